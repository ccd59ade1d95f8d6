"""The reader of the text format: GloVe, word2vec and fastText `.txt`/`.vec`.

One line per word, `token v1 ... v<dim>`, optionally after a `count dim`
header; plain, `.gz`, `.bz2` or inside a `.zip`. It follows the reader
contract of `twoembed.vectors` (see there).
"""

from __future__ import annotations

import contextlib

from twoembed.vectors import bulk
from twoembed.vectors.header import Start, read_start
from twoembed.vectors.options import LoadOptions
from twoembed.vectors.progress import Progress
from twoembed.vectors.read_all import read_all
from twoembed.vectors.read_some import read_some
from twoembed.vectors.result import RawVectors
from twoembed.vectors.rows import RowRules
from twoembed.vectors.sources import chunks, open_source


def read_text(
    path: str, requested: list[str] | None, options: LoadOptions
) -> tuple[RawVectors, str]:
    """Reads a text vector file; returns the rows and the file's label.

    Example:

    >>> raw, label = read_text("vec.txt", ["the"], LoadOptions())  # doctest: +SKIP
    """
    read_csv = bulk.choose_parser(options.parser)
    block_size = (
        options.whole_file_block_size if requested is None else options.block_size
    )
    with contextlib.ExitStack() as closing:
        f, label, size = open_source(path, options.member, closing)
        progress = Progress(label, size, options.verbose, options.progress_after)
        closing.callback(progress.close)
        pieces = chunks(f, progress, block_size)
        start = read_start(pieces, label, options.dim, options.header)
        rules = RowRules(label, start.dim, options.on_bad_row)
        if requested is None:
            raw = read_all(
                pieces,
                rules,
                options.invalid_utf8,
                start.first,
                start.lineno,
                _capacity(start, size),
                read_csv,
            )
        else:
            raw = read_some(
                pieces,
                rules,
                requested,
                options.lowercase_fallback,
                start.first,
                start.lineno,
                options.parse_batch,
                read_csv,
            )
    raw.header = start.header
    return raw, label


def _capacity(start: Start, size: int | None) -> int:
    """Rows to allocate for a whole-file load, before it may have to grow."""
    header, first = start.header, start.first
    if header is not None and header[0] > 0:
        # Every value takes at least 2 bytes: a bogus count cannot make us
        # allocate more than the file could hold. A compressed file has no
        # size: start at most at 1M rows and grow, rather than trust the count.
        if size is None:
            return min(header[0], 1 << 20)
        return min(header[0], size // (2 * start.dim) + 16)
    if size and first:
        per_line = max(1, sum(map(len, first)) // len(first))
        return int(size / per_line * 1.05) + 16
    return 1024
