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
from typing import Any

# absl/glog records: "I0000 00:00:1795977332.413955    2049 port.cc:153] ..."
_RECORD = re.compile(rb"^[IWEF]\d{4} ")
_BANNER = b"WARNING: All log messages before absl::InitializeLog() is called"
_SCRIPT_NAMES = ("twoembed", "twoembed.exe", "twoembed-script.py")
_MODULE_NAMES = ("twoembed", "twoembed.__main__", "twoembed.cli")
_M_OPTION = re.compile(r"-[bBdEiIOPqRsSuvx]*m(.*)")


def launched_as_cli() -> bool:
    """Whether this process is `twoembed ...` or `python -m twoembed ...`."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":  # its value while `python -m NAME` imports NAME's package
        for i, arg in enumerate(sys.orig_argv[1:], start=1):
            # -m alone or last in a group of one-letter flags: -m, -Im, -mNAME
            found = _M_OPTION.fullmatch(arg)
            if found:
                name = found.group(1) or "".join(sys.orig_argv[i + 1 : i + 2])
                return name in _MODULE_NAMES
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


class _Forward:
    """A stand-in for `sys.stderr` whose target can be swapped.

    Whatever grabs `sys.stderr` during the imports (TensorFlow's logging
    handler does) keeps working after the block: it then writes to the
    restored stderr instead of the closed stream of the block.
    """

    def __init__(self, target: Any):
        self.target = target

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


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
        python_stderr = sys.stderr
        python_stderr.flush()
        capture = stack.enter_context(tempfile.TemporaryFile())
        saved = os.dup(2)
        stack.callback(os.close, saved)
        real = stack.enter_context(
            open(
                saved,
                "w",
                closefd=False,
                encoding=python_stderr.encoding,
                errors=python_stderr.errors,
                buffering=1,
            )
        )
    except Exception:  # any odd stderr: start without the filter
        stack.close()
        yield
        return
    forward = _Forward(real)
    had_faulthandler = faulthandler.is_enabled()
    with stack:
        try:
            os.dup2(capture.fileno(), 2)
            sys.stderr = forward  # Python's output goes straight to the real stderr
            faulthandler.enable(file=real)
            yield
        finally:
            with contextlib.suppress(Exception):
                real.flush()
            os.dup2(saved, 2)
            forward.target = sys.stderr = python_stderr
            faulthandler.disable()
            if had_faulthandler:
                faulthandler.enable()
            capture.seek(0)
            kept = drop_info_records(capture.read())
            if kept:
                with contextlib.suppress(Exception):
                    python_stderr.flush()
                    if hasattr(python_stderr, "buffer"):
                        python_stderr.buffer.write(kept)
                        python_stderr.flush()
                    else:
                        python_stderr.write(kept.decode("utf-8", "replace"))
