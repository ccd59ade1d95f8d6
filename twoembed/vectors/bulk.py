"""Bulk parsers (pandas' C reader, else NumPy), and when they fall back.

A bulk parser only accepts a block it reads cleanly into `dim` numbers per
row; on anything else it returns None, and the caller sends the block to
`rows.careful_block`, which finds the bad row and words the error. So these
functions never explain anything; they must only never accept what
`np.loadtxt` would refuse.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from twoembed.vectors.rows import loadtxt
from twoembed.vectors.sources import Piece

Matrix = np.ndarray
ReadCsv = Callable[..., object]  # pandas.read_csv
# Above this many values per row NumPy parses instead: pandas' cost per
# column grows with the width (here, 2M values: pandas 0.4 s at dim 300 and
# 2000, 1.4 s at 4000, 4.5 s at 30000; np.loadtxt 0.4-0.6 s at every width).
PANDAS_MAX_DIM = 2048


@functools.cache
def pandas_read_csv():  # -> pandas.read_csv, or None
    """pandas' C reader if pandas is importable; it is optional.

    It parses floats about 1.5x faster than `np.loadtxt` on one core and,
    unlike `np.loadtxt`, releases the GIL, so blocks parse in parallel.
    """
    try:
        from pandas import read_csv
    except ImportError:
        return None
    return read_csv


def choose_parser(parser: str) -> ReadCsv | None:
    """pandas' `read_csv` for "pandas" (and "auto" when importable), else None.

    None means NumPy parses. Example:

    >>> choose_parser("numpy") is None
    True
    """
    if parser == "numpy":
        return None
    read_csv = pandas_read_csv()
    if read_csv is None and parser == "pandas":
        raise ImportError(
            "parser='pandas' needs pandas: pip install 'twoembed[fast]'. "
            f"Received: parser={parser!r}"
        )
    return read_csv


# A field `-0` (or `-00`...): read as an integer, it loses its sign.
_MINUS_ZERO = re.compile(rb"(?m)(?:^| )-0+(?= |\r?$)")


def _float32(frame: Any, text: bytes | Piece) -> Matrix | None:
    """The numbers of a pandas frame read from `text` as a C-ordered float32
    matrix, or None unless pandas read every column as float64 and no `-0`
    can have lost its sign.

    pandas infers each column's type, so a column of true/false (bool), of
    integers only (int64) or with any field that is not a number (str) sends
    the block to the careful path. It infers by chunks of rows, though, and
    merges a chunk read as int64 into a float64 column: a `-0` there would be
    `+0`. So a block with a positive zero is searched for a `-0` field (real
    blocks hold few zeros, if any; turning the chunks off cost more).
    Naming a float32 dtype per column instead made the whole-file load take
    1.2-1.5x as long with pandas 3.1; the float64 values cast to float32 are
    the ones that dtype gave, and `np.loadtxt`'s (README, "Loading speed").
    """
    if not all(dtype == np.float64 for dtype in frame.dtypes):
        return None
    # 1e39 becomes inf, as np.loadtxt gives; inf and -inf sum to NaN.
    with np.errstate(over="ignore", invalid="ignore"):
        matrix = np.ascontiguousarray(frame.to_numpy(np.float32))
        # Not seen (a missing field is read as "", a str column), but a NaN
        # pandas filled in would make the sum NaN.
        total = np.add.reduce(matrix, axis=None)
    if np.isnan(total) and np.isnan(matrix).any():
        return None
    zeros = matrix == 0
    if zeros.any() and not np.signbit(matrix[zeros]).all():
        whole = text if isinstance(text, bytes) else b"".join(text)  # rare: a copy
        if _MINUS_ZERO.search(whole):
            return None
    return matrix


# pandas.read_csv settings of both fast parsers: split on single spaces, with
# no quoting, comments, NA words or blank-line skipping, so that any row it
# accepts is one np.loadtxt would read the same way.
_READ_CSV_OPTIONS = {
    "sep": " ",
    "header": None,
    "index_col": False,
    "engine": "c",
    "quoting": csv.QUOTE_NONE,
    "comment": None,
    "na_filter": False,
    "skip_blank_lines": False,
}


def parse_fast(
    text: bytes, rows: int, dim: int, read_csv: ReadCsv | None
) -> Matrix | None:
    """Parses `rows` lines of `dim` numbers each, or None if that fails.

    None means the block is not that clean (a short or long row, a
    non-number, a `nan`): the caller then takes the careful path, which
    finds the bad row and words the error. So this path never needs to
    explain anything, only to never accept what `np.loadtxt` would refuse.
    """
    if read_csv is None:
        try:
            matrix = loadtxt(text, dim)
        except ValueError:
            return None
        return matrix if matrix.shape == (rows, dim) else None
    # pandas would drop a BOM and stop at a NUL where loadtxt fails.
    if text.startswith(b"\xef\xbb\xbf") or b"\0" in text:
        return None
    try:
        matrix = _float32(read_csv(io.BytesIO(text), **_READ_CSV_OPTIONS), text)
    except Exception:  # any failure means "take the careful path"
        return None
    if matrix is None or matrix.shape != (rows, dim):
        return None
    return matrix


class _PieceReader(io.RawIOBase):
    """A binary file over the parts of a `Piece`, read without joining them."""

    def __init__(self, piece: Piece):
        self._parts = [memoryview(part) for part in piece if part]

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if not self._parts:
            return b""
        if size is None or size < 0:
            data = b"".join(self._parts)
            self._parts = []
            return data
        head = self._parts[0]
        if len(head) <= size:
            self._parts.pop(0)
            return head.tobytes()
        self._parts[0] = head[size:]
        return head[:size].tobytes()

    def readinto(self, buffer: memoryview | bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def parse_rows(
    piece: Piece, dim: int, read_csv: ReadCsv
) -> tuple[list[str | bytes], Matrix] | None:
    """Tokens and numbers of raw lines `token v1 ... v{dim}` in one pandas call.

    None sends the block to the careful path, as in `parse_fast`; a token
    that is not UTF-8 does too (pandas refuses it).
    """
    block, tail = piece
    if (
        read_csv is None
        or block.startswith(b"\xef\xbb\xbf")
        or b"\0" in block
        or b"\0" in tail
    ):
        return None
    try:
        # Tokens stay Python strings (object), not pandas 3's inferred `str`.
        frame = read_csv(_PieceReader(piece), dtype={0: object}, **_READ_CSV_OPTIONS)
        if frame.shape[1] != dim + 1:
            return None
        tokens = frame.pop(0).tolist()
        # C order here, in the worker, keeps the main thread's copy a memcpy.
        matrix = _float32(frame, piece)
    except Exception:  # any failure means "take the careful path"
        return None
    if matrix is None:
        return None
    return tokens, matrix


def split_values(lines: list[bytes]) -> tuple[list[bytes], bytes] | None:
    """Tokens and the joined numbers of stripped lines; None on a blank line.

    The token is what precedes the first space; that every row then holds
    exactly `dim` numbers is checked by the parse.
    """
    stripped = [line.rstrip() for line in lines]
    if not all(stripped):
        return None
    parts = [s.partition(b" ") for s in stripped]
    return [p[0] for p in parts], b"\n".join([p[2] for p in parts])


def parse_values(
    tokens: list[bytes], text: bytes, rows: int, dim: int, read_csv: ReadCsv | None
) -> tuple[list[str | bytes], Matrix] | None:
    matrix = parse_fast(text, rows, dim, read_csv)
    return None if matrix is None else (keys(tokens), matrix)


def keys(tokens: list[bytes]) -> list[str | bytes]:
    """Decoded tokens; those that are not valid UTF-8 stay bytes."""
    try:
        return [t.decode("utf-8") for t in tokens]
    except UnicodeDecodeError:
        pass
    keys: list[str | bytes] = []
    for t in tokens:
        try:
            keys.append(t.decode("utf-8"))
        except UnicodeDecodeError:
            keys.append(t)
    return keys
