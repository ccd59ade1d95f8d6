"""The loader's caps, and how its messages quote what a hostile file holds.

A vector file comes from anywhere: a line of 4 GiB, a row of a million
values or a header claiming 10**12 rows must end in a clear error (or a
correct load) in bounded memory, and an error must not quote a 100 MB token
back in full.

- `MAX_LINE_BYTES`: no line may be longer (the longest real row, 300
  values at full float precision, is under 10 KB).
- `MAX_DIM`: the default `max_dim` of `load_glove`; far above any published
  embedding (fastText, GloVe and word2vec use at most 300-1000 values).
- `FIRST_ALLOCATION_BYTES`: the most the first whole-file matrix may take
  when the file's size does not bound it (compressed files, zip members);
  the matrix grows beyond it as rows are read.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_LINE_BYTES = 64 << 20
MAX_DIM = 1 << 17
FIRST_ALLOCATION_BYTES = 512 << 20
QUOTED_BYTES = 80
LISTED_NAMES = 10


def size_text(nbytes: int) -> str:
    """`64 MiB` for whole MiB, else a byte count: `1,000 bytes`."""
    if nbytes >= 1 << 20 and nbytes % (1 << 20) == 0:
        return f"{nbytes >> 20} MiB"
    return f"{nbytes:,} bytes"


def quote(data: bytes | str, limit: int = QUOTED_BYTES) -> str:
    """`data` for a message: its first `limit` characters and, if it is
    longer, its length, as `'abc...' (104,857,600 bytes)`.

    >>> quote(b"the")
    "'the'"
    >>> quote(b"x" * 100, limit=3)
    "'xxx...' (100 bytes)"
    """
    if isinstance(data, bytes):
        text = data[:limit].decode("utf-8", "replace")
    else:
        text = data[:limit]
    if len(data) <= limit:
        return repr(text)
    unit = "bytes" if isinstance(data, bytes) else "characters"
    return f"{text + '...'!r} ({len(data):,} {unit})"


def list_names(names: Sequence[str], limit: int = LISTED_NAMES) -> str:
    """The first `limit` names and how many more: `['a', 'b'] and 5 more`.

    >>> list_names(["a", "b", "c"], limit=2)
    "['a', 'b'] and 1 more"
    """
    shown = [n if len(n) <= QUOTED_BYTES else n[:QUOTED_BYTES] + "..." for n in names]
    if len(names) <= limit:
        return repr(shown)
    return f"{shown[:limit]!r} and {len(names) - limit:,} more"


def check_max_dim(max_dim: object) -> None:
    """Refuses a `max_dim` that is not a positive int or None."""
    if max_dim is None:
        return
    if isinstance(max_dim, bool) or not isinstance(max_dim, int):
        raise TypeError(
            f"`max_dim` must be a positive int or None. Received: max_dim={max_dim!r}"
        )
    if max_dim < 1:
        raise ValueError(
            f"`max_dim` must be a positive int or None. Received: max_dim={max_dim!r}"
        )
