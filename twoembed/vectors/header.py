"""Detecting a word2vec/fastText `count dim` header and the vector size."""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Iterator

from twoembed.vectors.limits import MAX_DIM, quote
from twoembed.vectors.sources import LineTooLong, Piece, lines


def _is_int(field: bytes) -> bool:
    return field.isdigit()


def _looks_like_header(line: bytes) -> bool:
    fields = line.split(b" ")
    return len(fields) == 2 and all(_is_int(f) for f in fields)


def detect(
    lines: list[bytes], dim: int | None, has_header: bool | None = None
) -> tuple[tuple[int, int] | None, int]:
    """Finds a `count dim` header and the vector size from the first lines.

    `has_header` None guesses; True requires a header (ValueError if the
    first line is not one); False reads the first line as data.
    """
    # The first 64 non-blank lines (blank lines first do not count).
    data = list(itertools.islice((s for s in map(bytes.rstrip, lines) if s), 64))
    header = None
    if data and has_header is not False:
        if _looks_like_header(data[0]):
            count, size = (int(f) for f in data[0].split(b" "))
            following = data[1].count(b" ") if len(data) > 1 else size
            if size >= 1 and (has_header or following >= size):
                header = (count, size)
                data = data[1:]
        if header is None and has_header:
            raise ValueError(
                "header=True, but the first non-blank line is not a `count dim` "
                "header (two integers, dim >= 1). Pass header=None to detect "
                f"it. Received: first line {quote(data[0])}"
            )
    elif data and _looks_like_header(data[0]):
        # header=False: say why its first row will not read as `dim` values.
        rows = collections.Counter(s.count(b" ") for s in data[1:])
        if rows and rows.most_common(1)[0][0] != 1:
            raise ValueError(
                "header=False, but the first non-blank line looks like a "
                "word2vec/fastText `count dim` header, and the rows after it "
                "hold more than one value. Pass header=None or True. Received: "
                f"first line {quote(data[0])}"
            )
    if dim is None:
        if header is not None:
            dim = header[1]
        elif data:
            # The most common field count: robust to tokens with spaces.
            dim = collections.Counter(s.count(b" ") for s in data).most_common(1)[0][0]
        else:
            dim = 0
    return header, dim


@dataclasses.dataclass
class Start:
    """The first lines of a file, read to find its header and vector size.

    `first` holds the data lines read so far (header dropped), the first of
    them being line `lineno` of the file.
    """

    header: tuple[int, int] | None
    dim: int
    first: list[bytes]
    lineno: int


def read_start(
    pieces: Iterator[Piece],
    label: str,
    dim: int | None,
    has_header: bool | None,
    max_dim: int | None = MAX_DIM,
) -> Start:
    """Reads enough lines to see a header and the usual field count.

    A vector size read from the file (not passed as `dim`) above `max_dim`
    is refused, as are files whose values are separated by tabs or whose
    lines end with a bare `\\r`.
    """
    first: list[bytes] = []
    try:
        for piece in pieces:
            if not first and piece[0].startswith(b"\xef\xbb\xbf"):
                # A UTF-8 byte-order mark is not part of the first token.
                piece = (piece[0][3:], piece[1])
            first.extend(lines(piece))
            if sum(1 for line in first if line.strip()) >= 2:
                break
    except LineTooLong as error:
        raise error.error(label, len(first) + 1) from None
    try:
        header, found_dim = detect(first, dim, has_header)
    except ValueError as error:
        raise ValueError(f"{label}: {error}") from None
    if header is not None and dim is not None and header[1] != dim:
        raise ValueError(
            f"{label}: its `count dim` header says vectors of dim "
            f"{header[1]}, but dim={dim} was passed. Pass dim=None to "
            f"use the header's. Received: header {header[0]} {header[1]}"
        )
    nonblank = sum(1 for line in first if line.strip())
    if nonblank == 0:
        raise ValueError(f"{label} is empty: it holds no vectors.")
    if header is not None and nonblank == 1:
        raise ValueError(
            f"{label} holds the header {header[0]} {header[1]} but no vectors."
        )
    start = 1
    if header is not None:
        while not first[0].strip():
            first.pop(0)
            start += 1
        first.pop(0)
        start += 1
    _check_separators(first, label, start)
    if found_dim < 1:
        raise ValueError(
            f"{label}, line {start}: found no values after the first "
            "token; expected a token followed by numbers."
        )
    if dim is None and max_dim is not None and found_dim > max_dim:
        where = (
            f"its `count dim` header says dim {found_dim}"
            if header is not None
            else f"its rows hold {found_dim} values after the token"
        )
        raise ValueError(
            f"{label}: {where}, more than max_dim={max_dim}, the most "
            "load_glove reads unless told (a guard against a corrupt or "
            "hostile file). Pass a larger max_dim (or None) if the file is "
            "right."
        )
    return Start(header, found_dim, first, start)


def _check_separators(first: list[bytes], label: str, start: int) -> None:
    """Refuses a first row separated by tabs, or holding a bare `\\r`.

    Rows are split on single spaces and lines on `\\n` (a `\\r` before it
    is stripped); read as such, those files give dim 1 and tokens such as
    `'the\\t0.1'`, or one giant line.
    """
    for k, line in enumerate(first):
        row = line.rstrip()
        if not row:
            continue
        if b"\r" in row:
            raise ValueError(
                f"{label}, line {start + k}: holds a '\\r' that does not end "
                "the line: its lines seem to end with '\\r' alone (old Mac "
                "line ends). Convert them to '\\n' (or '\\r\\n')."
            )
        if row.count(b"\t") > row.count(b" "):
            raise ValueError(
                f"{label}, line {start + k}: its fields are separated by tabs; "
                "vector files separate the token and values with single "
                "spaces. Convert the tabs to spaces (e.g. tr '\\t' ' ')."
            )
        return
