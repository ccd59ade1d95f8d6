"""The reader of the text format: GloVe, word2vec and fastText `.txt`/`.vec`.

One line per word, `token v1 ... v<dim>`, optionally after a `count dim`
header; plain, `.gz`, `.bz2` or inside a `.zip`. It follows the reader
contract of `twoembed.vectors` (see there).
"""

from __future__ import annotations

import contextlib

from twoembed.vectors import bulk
from twoembed.vectors.header import Start, read_start
from twoembed.vectors.limits import FIRST_ALLOCATION_BYTES
from twoembed.vectors.options import LoadOptions
from twoembed.vectors.progress import Progress
from twoembed.vectors.read_all import read_all
from twoembed.vectors.read_some import read_some
from twoembed.vectors.result import RawVectors
from twoembed.vectors.rows import RowRules
from twoembed.vectors.sources import chunks, kind, open_source


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
        pieces = chunks(f, progress, block_size, options.max_line_bytes)
        start = read_start(
            pieces, label, options.dim, options.header, options.max_dim
        )
        rules = RowRules(label, start.dim, options.on_bad_row)
        if start.dim > bulk.PANDAS_MAX_DIM:
            read_csv = None  # pandas' cost per column would dominate
        if requested is None:
            raw = read_all(
                pieces,
                rules,
                options.invalid_utf8,
                start.first,
                start.lineno,
                _capacity(start, size if kind(path) == "text" else None),
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
    """Rows to allocate for a whole-file load, before it may have to grow.

    `size` is the file's size when it bounds the text (a plain file), else
    None: a header's count is then not trusted beyond
    `FIRST_ALLOCATION_BYTES`, however small the file.
    """
    header, first, dim = start.header, start.first, start.dim
    if size is None:
        rows = max(16, FIRST_ALLOCATION_BYTES // (4 * dim))
        return min(header[0], rows) if header is not None and header[0] > 0 else 1024
    if header is not None and header[0] > 0:
        # Every value takes at least 2 bytes: a bogus count cannot make us
        # allocate more than twice the file's size.
        return min(header[0], size // (2 * dim) + 16)
    if first:
        per_line = max(1, sum(map(len, first)) // len(first))
        return int(size / per_line * 1.05) + 16
    return 1024
