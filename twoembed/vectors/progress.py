"""The MiB-read progress bar: tqdm's, only on an interactive stderr, after 2 s.

tqdm is optional (`pip install "twoembed[progress]"`); without it a load
shows no progress. `keras.utils.Progbar` was the other candidate, but it
writes to stdout, counts steps, and importing Keras would stall a load
that has nothing else to do with it.
"""

from __future__ import annotations

import sys

_MIB = float(1 << 20)
_KNOWN = (
    "{desc}: {percentage:3.0f}%|{bar}| {n:,.0f}/{total:,.0f} MiB "
    "[{elapsed}<{remaining}]"
)
_UNKNOWN = "{desc}: {n:,.0f} MiB [{elapsed}]"


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Counts the bytes read; shows them when `verbose` and stderr is a terminal.

    Example:

    >>> progress = Progress("vec.txt", 2**20, verbose=0)
    >>> progress.update(2**20); progress.close()
    """

    def __init__(self, label: str, total: int | None, verbose: int, after: float = 2.0):
        self._bar = None
        if not (verbose and stderr_is_tty()):
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._bar = tqdm(
            desc=f"loading {label}",
            total=None if total is None else total / _MIB,
            unit="MiB",
            file=sys.stderr,
            delay=after,
            mininterval=0.25,
            bar_format=_UNKNOWN if total is None else _KNOWN,
            leave=True,
        )

    def update(self, nbytes: int) -> None:
        if self._bar is not None:
            self._bar.update(nbytes / _MIB)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
