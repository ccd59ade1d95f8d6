"""A quiet start for the command line: TensorFlow's native start-up log.

Imported by `twoembed/__init__.py` before Keras, so it imports nothing heavy.

When TensorFlow 2.21 is imported it writes INFO lines from C++ straight to
file descriptor 2 (oneDNN, CUDA drivers, CPU features), whatever
`TF_CPP_MIN_LOG_LEVEL` says. A command line whose error is one line would
print ten. When twoembed is launched as the command line, those INFO records
are dropped from what the import writes; every other line (warnings, errors,
Python's own output) is written back, in order. A library import is left
alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# absl/glog records: "I0000 00:00:1795977332.413955    2049 port.cc:153] ..."
_RECORD = re.compile(rb"^[IWEF]\d{4} ")
_BANNER = b"WARNING: All log messages before absl::InitializeLog() is called"


def launched_as_cli() -> bool:
    """Whether this process is `twoembed ...` or `python -m twoembed ...`."""
    argv = list(getattr(sys, "orig_argv", ()))
    if "-m" in argv[:-1] and argv[argv.index("-m") + 1] == "twoembed":
        return True
    name = os.path.basename(sys.argv[0] if sys.argv else "").lower()
    return name in ("twoembed", "twoembed.exe", "twoembed-script.py")


def drop_info_records(text: bytes) -> bytes:
    """`text` without absl INFO records (and their continuation lines) and
    absl's banner about them.

    >>> drop_info_records(b"I0000 00:00:1.0 1 a.cc:1] hi\\nmore\\nW0000 warn\\n")
    b'W0000 warn\\n'
    """
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(_BANNER):
            dropping = False
            continue
        if _RECORD.match(line):
            dropping = line.startswith(b"I")
        if not dropping:
            kept.append(line)
    return b"".join(kept)


@contextlib.contextmanager
def quiet_native_start() -> Iterator[None]:
    """Drops native INFO records written to stderr inside the block, when
    launched as the command line; does nothing otherwise."""
    saved = None
    if launched_as_cli():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
            saved = os.dup(2)
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = drop_info_records(capture.read())
            if kept:
                os.write(2, kept)
