"""The options that travel through one load, checked once, in one frozen object."""

from __future__ import annotations

import dataclasses
from typing import Literal

BLOCK_SIZE = 1 << 20  # 1 MiB: large enough to amortise, small enough for L2/L3
PARSE_BATCH = 4 << 20  # bytes of selected rows parsed per parser call
# Whole-file loads read bigger blocks, as a pandas call costs ~5 ms on top;
# kept under glibc's 32 MiB mmap ceiling, so that freed blocks are reused
# rather than mapped (and page-faulted) afresh for every block.
WHOLE_FILE_BLOCK_SIZE = 30 << 20


@dataclasses.dataclass(frozen=True)
class LoadOptions:
    """How to read one vector file; `load_glove`'s arguments, checked.

    The first fields change what is read (they are part of the cache key);
    the last ones only how fast it is read and shown: block sizes, the bulk
    parser (`"auto"`: pandas when importable, else NumPy) and the delay
    before the progress line.

    Example:

    >>> LoadOptions(on_bad_row="skip").on_bad_row
    'skip'
    """

    lowercase_fallback: bool = False
    member: str | int | None = None
    dim: int | None = None
    on_bad_row: Literal["raise", "skip"] = "raise"
    invalid_utf8: Literal["replace", "skip"] = "replace"
    header: bool | None = None
    verbose: int = 1
    block_size: int = BLOCK_SIZE
    whole_file_block_size: int = WHOLE_FILE_BLOCK_SIZE
    parse_batch: int = PARSE_BATCH
    parser: Literal["auto", "pandas", "numpy"] = "auto"
    progress_after: float = 2.0

    def __post_init__(self) -> None:
        if self.on_bad_row not in ("raise", "skip"):
            raise ValueError(
                "`on_bad_row` must be 'raise' or 'skip'. "
                f"Received: on_bad_row={self.on_bad_row!r}"
            )
        if self.invalid_utf8 not in ("replace", "skip"):
            raise ValueError(
                "`invalid_utf8` must be 'replace' or 'skip'. "
                f"Received: invalid_utf8={self.invalid_utf8!r}"
            )
        dim = self.dim
        if dim is not None and (
            isinstance(dim, bool) or not isinstance(dim, int) or dim < 1
        ):
            raise ValueError(
                f"`dim` must be a positive int or None. Received: dim={dim!r}"
            )
        if self.header is not None and not isinstance(self.header, bool):
            raise TypeError(
                "`header` must be True, False or None. "
                f"Received: header={self.header!r}"
            )
        if self.parser not in ("auto", "pandas", "numpy"):
            raise ValueError(
                "`parser` must be 'auto', 'pandas' or 'numpy'. "
                f"Received: parser={self.parser!r}"
            )

    def cache_options(self, selected: bool) -> dict:
        """The options that change the result, as the cache key holds them.

        The same dict as 0.1.0 wrote, so its cache entries stay valid.
        """
        return {
            "lowercase_fallback": bool(self.lowercase_fallback) and selected,
            "dim": self.dim,
            "on_bad_row": self.on_bad_row,
            "invalid_utf8": self.invalid_utf8,
            "header": self.header,
        }
