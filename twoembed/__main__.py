"""`python -m twoembed`: the same command line as the `twoembed` script."""

import sys

from twoembed.cli import main

sys.exit(main())
