"""A quiet start for the command line: TensorFlow's native start-up log.

Imported by `twoembed/__init__.py` before Keras, so it imports nothing heavy.

When TensorFlow 2.21 is imported it writes INFO lines from C++ straight to
file descriptor 2 (oneDNN, CUDA drivers, CPU features), whatever
`TF_CPP_MIN_LOG_LEVEL` says. A command line whose error is one line would
print ten. When twoembed is launched as the command line, native output
written during the package's imports is held back, and written back without
its absl INFO records; native warnings and errors are kept, in order.
Python's own output (warnings included) bypasses the capture and appears as
it is written. A library import is left alone.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# absl/glog records: "I0000 00:00:1795977332.413955    2049 port.cc:153] ..."
_RECORD = re.compile(rb"^[IWEF]\d{4} ")
_BANNER = b"WARNING: All log messages before absl::InitializeLog() is called"
_SCRIPT_NAMES = ("twoembed", "twoembed.exe", "twoembed-script.py")


def launched_as_cli() -> bool:
    """Whether this process is `twoembed ...` or `python -m twoembed ...`."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":  # its value while `python -m NAME` imports NAME's package
        for i, arg in enumerate(sys.orig_argv):
            if arg == "-m":
                return sys.orig_argv[i + 1 : i + 2] == ["twoembed"]
            if arg.startswith("-m"):  # python -mtwoembed
                return arg == "-mtwoembed"
        return False
    return os.path.basename(argv0).lower() in _SCRIPT_NAMES


def drop_info_records(text: bytes) -> bytes:
    """Native log output without absl INFO records (and their continuation
    lines) and absl's banner about them.

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
    launched as the command line; does nothing otherwise, or if stderr cannot
    be redirected.

    If the process dies inside the block (a native abort), the held-back
    lines are lost; Python's fault handler then still prints the fatal error
    and the import that caused it on the real stderr.
    """
    if not launched_as_cli():
        yield
        return
    stack = contextlib.ExitStack()
    try:
        sys.stderr.flush()
        capture = stack.enter_context(tempfile.TemporaryFile())
        saved = os.dup(2)
        stack.callback(os.close, saved)
        real = stack.enter_context(
            open(
                saved,
                "w",
                closefd=False,
                encoding=sys.stderr.encoding,
                errors=sys.stderr.errors,
                buffering=1,
            )
        )
    except (OSError, ValueError, AttributeError):
        stack.close()
        yield
        return
    with stack:
        python_stderr = sys.stderr
        had_faulthandler = faulthandler.is_enabled()
        os.dup2(capture.fileno(), 2)
        sys.stderr = real  # Python's output goes straight to the real stderr
        faulthandler.enable(file=real)
        try:
            yield
        finally:
            real.flush()
            os.dup2(saved, 2)
            sys.stderr = python_stderr
            faulthandler.disable()
            if had_faulthandler:
                faulthandler.enable()
            capture.seek(0)
            kept = drop_info_records(capture.read())
            if kept:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    python_stderr.buffer.write(kept)
                    python_stderr.flush()
