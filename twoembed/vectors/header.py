"""Detecting a word2vec/fastText `count dim` header and the vector size."""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Iterator

from twoembed.vectors.sources import Piece, lines


def _shorten(line: bytes, limit: int = 80) -> str:
    text = line[:limit].decode("utf-8", "replace")
    return text + "..." if len(line) > limit else text


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
                f"it. Received: first line {_shorten(data[0])!r}"
            )
    elif data and _looks_like_header(data[0]):
        # header=False: say why its first row will not read as `dim` values.
        rows = collections.Counter(s.count(b" ") for s in data[1:])
        if rows and rows.most_common(1)[0][0] != 1:
            raise ValueError(
                "header=False, but the first non-blank line looks like a "
                "word2vec/fastText `count dim` header, and the rows after it "
                "hold more than one value. Pass header=None or True. Received: "
                f"first line {_shorten(data[0])!r}"
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
    pieces: Iterator[Piece], label: str, dim: int | None, has_header: bool | None
) -> Start:
    """Reads enough lines to see a header and the usual field count."""
    first: list[bytes] = []
    for piece in pieces:
        if not first and piece[0].startswith(b"\xef\xbb\xbf"):
            # A UTF-8 byte-order mark is not part of the first token.
            piece = (piece[0][3:], piece[1])
        first.extend(lines(piece))
        if sum(1 for line in first if line.strip()) >= 2:
            break
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
    if found_dim < 1:
        raise ValueError(
            f"{label}, line {start}: found no values after the first "
            "token; expected a token followed by numbers."
        )
    return Start(header, found_dim, first, start)
