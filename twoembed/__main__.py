"""`python -m twoembed`: the same command line as the `twoembed` script."""

import sys

from twoembed.cli import main

if __name__ == "__main__":
    sys.exit(main())
