"""Reading pretrained word vectors from GloVe, word2vec and fastText text files.

`load_glove` reads the file in binary blocks. When the caller names the words
it needs, only the token of each line is looked at (the bytes before the first
space, found in place: the block is not split into lines) and only the rows of
the wanted words are split and parsed, in bulk. That keeps a 20k-word load from
a 1 GB file close to the cost of reading the file, and its memory close to the
size of the result.

A whole-file load hands 30 MiB blocks, tokens and all, to a C parser, two
blocks at a time. The parser is pandas' C reader when pandas is importable (it
is optional: about 1.5x faster than `np.loadtxt` per core, and it releases the
GIL, so the blocks really parse in parallel), else `np.loadtxt`. This fast
path only accepts a block it parses cleanly into `dim` numbers per row; any
other block (a bad row, a token with spaces, a `nan`) goes row by row through
the careful path, which words the error: file, line, what was found, what was
expected.

Example:

>>> words, matrix = load_glove("glove.6B.100d.txt", ["the", "cat"])  # doctest: +SKIP
>>> result = load_glove("glove.6B.zip", corpus_words, member=100,
...                     counts=corpus_counter, cache_dir="~/.cache/twoembed")
...                                                        # doctest: +SKIP
>>> vocab = result.vocabulary(special_tokens=["<url>"], promote_missing=50)
...                                                        # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import collections
import concurrent.futures
import contextlib
import csv
import dataclasses
import functools
import gzip
import hashlib
import io
import itertools
import json
import mmap
import os
import re
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Literal

import numpy as np

from twoembed._checks import check_tokens
from twoembed._files import PathLike, atomic_write
from twoembed.starts import StartSource, promoted_starts
from twoembed.vocab import Vocabulary

__all__ = ["LoadReport", "LoadedVectors", "load_glove"]

Matrix = np.ndarray

_BLOCK_SIZE = 1 << 20  # 1 MiB: large enough to amortise, small enough for L2/L3
_PARSE_BATCH = 4 << 20  # bytes of selected rows parsed per parser call
# Whole-file loads read bigger blocks, as a pandas call costs ~5 ms on top;
# kept under glibc's 32 MiB mmap ceiling, so that freed blocks are reused
# rather than mapped (and page-faulted) afresh for every block.
_ALL_BLOCK_SIZE = 30 << 20
# Blocks parsed at once. pandas' reader releases the GIL, so its calls run in
# parallel with each other and with the token work of the main thread.
_PARSE_THREADS = max(1, min(2, os.cpu_count() or 1))
_CACHE_VERSION = 2  # 2: `header` joined the options
# A field that reads as a number. When the fields between the first one and
# the last `dim` are all numbers, the row has too many values; otherwise they
# are part of a token containing spaces (glove.840B has ". . .").
_NUMBER = re.compile(
    rb"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan|inf(?:inity)?))"
)


@dataclasses.dataclass(frozen=True)
class LoadReport:
    """What `load_glove` found, skipped and could not find.

    Attributes:
        path: the file read (plus `:member` inside a zip).
        dim: the vector size.
        header: `(count, dim)` of a word2vec/fastText header, or None.
        lines_read: lines of the file read, header and blank lines included.
        num_requested: distinct words asked for; None when all were loaded.
        num_found: words returned.
        missing: requested words the file lacks; most frequent in the corpus
            first when `counts` were given, else in the order asked.
        lowercased: requested words that got the vector of their lowercase
            form (only with `lowercase_fallback=True`).
        duplicates: rows whose token was already seen (the first row wins).
            With `words`, only rows of requested words are counted.
        invalid_utf8: tokens with invalid UTF-8, replaced or skipped as
            `invalid_utf8=` said. Counted when all rows are loaded; with
            `words`, such a token just matches no requested word.
        skipped_rows: line numbers of malformed rows skipped with
            `on_bad_row="skip"`.
        corpus_tokens: tokens in the corpus counts, or None.
        token_coverage: share of corpus tokens whose word has a vector, or
            None without `counts`.
        missing_counts: `(word, count)` of missing words, most frequent
            first; empty without `counts`.
        from_cache: whether the result came from `cache_dir`.
        seconds: wall time of the call.
    """

    path: str
    dim: int
    header: tuple[int, int] | None
    lines_read: int
    num_requested: int | None
    num_found: int
    missing: tuple[str, ...]
    lowercased: tuple[str, ...]
    duplicates: int
    invalid_utf8: int
    skipped_rows: tuple[int, ...]
    corpus_tokens: int | None
    token_coverage: float | None
    missing_counts: tuple[tuple[str, int], ...]
    from_cache: bool
    seconds: float

    def most_frequent_missing(self, n: int = 10) -> list[tuple[str, int]]:
        """The `n` most frequent missing words with their corpus counts."""
        return list(self.missing_counts[:n])

    def __str__(self) -> str:
        return self.summary()

    def summary(self, top: int = 10) -> str:
        """The report as text, listing the `top` most frequent missing words."""
        lines = [f"{self.path}: {self.num_found} vectors of dim {self.dim}"]
        if self.num_requested is not None:
            lines.append(
                f"  found {self.num_found} of {self.num_requested} requested "
                f"words, {len(self.missing)} missing"
            )
        if self.token_coverage is not None:
            lines.append(
                f"  token coverage {self.token_coverage:.2%} of "
                f"{self.corpus_tokens} corpus tokens"
            )
        missing = self.most_frequent_missing(top)
        if missing:
            listed = ", ".join(f"{w!r} ({c})" for w, c in missing)
            lines.append(f"  {len(missing)} most frequent missing: {listed}")
        for label, value in (
            ("found by lowercase", len(self.lowercased)),
            ("duplicate rows ignored", self.duplicates),
            ("tokens with invalid UTF-8", self.invalid_utf8),
            ("malformed rows skipped", len(self.skipped_rows)),
        ):
            if value:
                lines.append(f"  {label}: {value}")
        return "\n".join(lines)


class LoadedVectors:
    """The words and matrix `load_glove` returns, plus its `LoadReport`.

    Unpacks as `(words, matrix)`: row `i` of `matrix` is the vector of
    `words[i]`, the layout `Vocabulary` and `build_embedding_block` expect.

    Example:

    >>> words, matrix = load_glove(path, ["the", "cat"])  # doctest: +SKIP
    >>> result = load_glove(path, ["the", "cat", "zyx"])  # doctest: +SKIP
    >>> result.missing, result.vocabulary(promote_missing=True).special_tokens
    ... # doctest: +SKIP
    (('zyx',), ('zyx',))
    """

    def __init__(self, words: list[str], matrix: Matrix, report: LoadReport):
        self.words = words
        self.matrix = matrix
        self.report = report

    def __iter__(self) -> Iterator[object]:
        return iter((self.words, self.matrix))

    def __repr__(self) -> str:
        return (
            f"LoadedVectors(num_words={len(self.words)}, dim={self.report.dim}, "
            f"missing={len(self.report.missing)})"
        )

    @property
    def missing(self) -> tuple[str, ...]:
        """Requested words without a vector, most frequent first."""
        return self.report.missing

    def vocabulary(
        self,
        special_tokens: Sequence[str] = (),
        promote_missing: int | bool = 0,
        promoted_start: StartSource | Sequence[StartSource] = "random",
    ) -> Vocabulary:
        """Builds the `Vocabulary` for these words.

        Args:
            special_tokens: trainable tokens such as `"<url>"`.
            promote_missing: how many missing words (most frequent first)
                become trainable special tokens too; True means all of them.
                The others fall to OOV.
            promoted_start: where promoted words start (`vocab.starts`, used
                by `build_embedding_block`): `"random"` (its
                `special_initializer`), `"case"` (the vector of the word's
                lowercase or capitalised form, where these words hold it),
                `"mean"` (of all rows), `"subword"` (vectors read from a
                fastText model), a callable `word -> vector or None`, or a
                sequence of these tried in order, e.g. `("case", "mean")`.

        Example:

        >>> vocab = result.vocabulary(["<url>"], promote_missing=100)
        ... # doctest: +SKIP
        """
        if isinstance(promote_missing, bool):
            count = len(self.missing) if promote_missing else 0
        elif isinstance(promote_missing, (int, np.integer)) and promote_missing >= 0:
            count = int(promote_missing)
        else:
            raise ValueError(
                "`promote_missing` must be a non-negative int or a bool. "
                f"Received: promote_missing={promote_missing!r}"
            )
        specials = list(special_tokens)
        taken = set(specials)
        promoted = [w for w in self.missing[:count] if w not in taken]
        starts = promoted_starts(
            self.words,
            promoted,
            promoted_start,
            subword=getattr(self, "subword_vector", None),
        )
        return Vocabulary(self.words, specials + promoted, starts=starts)


class _Progress:
    """Bytes-read progress on stderr, only for interactive loads over 2 s."""

    def __init__(self, label: str, total: int | None, verbose: int):
        self._label, self._total = label, total
        self._enabled = bool(verbose) and _stderr_is_tty()
        self._start = self._last = time.monotonic()
        self._done = 0
        self._shown = False

    def update(self, nbytes: int) -> None:
        self._done += nbytes
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._start < 2.0 or now - self._last < 0.25:
            return
        self._last = now
        done = f"{self._done / 2**20:,.0f} MiB"
        if self._total:
            done += f" / {self._total / 2**20:,.0f} MiB"
        sys.stderr.write(f"\rloading {self._label}: {done}")
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _zip_member(archive: zipfile.ZipFile, member: str | int | None, path: str) -> str:
    names = [n for n in archive.namelist() if not n.endswith("/")]
    if isinstance(member, str):
        chosen = [n for n in names if n == member or os.path.basename(n) == member]
    elif isinstance(member, int):
        pattern = re.compile(rf"(?<![0-9]){member}d(?![0-9A-Za-z])")
        chosen = [n for n in names if pattern.search(os.path.basename(n))]
    else:
        chosen = names
    if len(chosen) == 1:
        return chosen[0]
    if member is None:
        problem = f"{path} holds {len(names)} files"
    else:
        problem = f"member={member!r} matches {len(chosen)} of the files in {path}"
    raise ValueError(
        f"{problem}; pick one with `member=` (a name, or the dim as an int). "
        f"Members: {names}"
    )


def _open(
    path: str, member: str | int | None, closing: contextlib.ExitStack
) -> tuple[IO[bytes], str, int | None]:
    """Opens `path` for binary reading; returns (file, label, size or None)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No vector file at {path!r}. Received: path={path!r}")
    lower = path.lower()
    if lower.endswith(".zip"):
        archive = closing.enter_context(zipfile.ZipFile(path))
        name = _zip_member(archive, member, path)
        size = archive.getinfo(name).file_size
        return closing.enter_context(archive.open(name)), f"{path}:{name}", size
    if lower.endswith(".gz"):
        return closing.enter_context(gzip.open(path, "rb")), path, None
    if lower.endswith(".bz2"):
        return closing.enter_context(bz2.open(path, "rb")), path, None
    return closing.enter_context(open(path, "rb")), path, os.path.getsize(path)


# A block of `size` bytes and the rest of its last line: whole lines, kept
# apart because joining them would copy the block.
_Piece = tuple[bytes, bytes]


def _chunks(
    f: IO[bytes], progress: _Progress, size: int = _BLOCK_SIZE
) -> Iterator[_Piece]:
    """Yields the file in pieces of whole lines, each ending in b"\\n".

    Only the last piece may lack its b"\\n". The first piece is small: it
    only has to show the header and the field count.
    """
    want = min(size, 1 << 16)
    while True:
        block = f.read(want)
        if not block:
            return
        tail = b"" if block.endswith(b"\n") else f.readline()
        progress.update(len(block) + len(tail))
        yield block, tail
        want = size


def _lines(piece: _Piece) -> list[bytes]:
    """The lines of a `_chunks` piece, without their b"\\n"."""
    lines = (piece[0] + piece[1]).split(b"\n")
    if not lines[-1]:
        lines.pop()
    return lines


def _is_int(field: bytes) -> bool:
    return field.isdigit()


class _Reader:
    """Per-file state: dim, line numbers, bad-row policy and counters."""

    def __init__(self, label: str, dim: int, on_bad_row: str):
        self.label, self.dim, self.on_bad_row = label, dim, on_bad_row
        self.skipped: list[int] = []

    def bad_row(self, lineno: int, message: str) -> None:
        if self.on_bad_row == "skip":
            self.skipped.append(lineno)
            return
        raise ValueError(
            f"{self.label}, line {lineno}: {message} Pass on_bad_row='skip' "
            "to skip such rows."
        )

    def split(self, line: bytes, lineno: int) -> tuple[bytes, bytes] | None:
        """Returns (token, values) of a data line; None for a skipped row.

        The values are the last `dim` space-separated fields and the token is
        everything before them, so tokens may contain spaces (glove.840B).
        """
        s = line.rstrip()
        spaces = s.count(b" ")
        dim = self.dim
        if spaces == dim:
            token, _, values = s.partition(b" ")
        elif spaces > dim:
            token = s.rsplit(b" ", dim)[0]
            values = s[len(token) + 1 :]
            extra = token.split(b" ")[1:]
            if all(_NUMBER.fullmatch(x) for x in extra):
                self.bad_row(
                    lineno,
                    f"found {dim + len(extra)} values after the token "
                    f"{token.split(b' ')[0].decode('utf-8', 'replace')!r}, "
                    f"expected {dim}.",
                )
                return None
        else:
            first = s.split(b" ", 1)[0].decode("utf-8", "replace")
            self.bad_row(
                lineno,
                f"found {spaces} values after the token {first!r}, expected {dim}.",
            )
            return None
        if not token:
            self.bad_row(lineno, "the row starts with a space: its token is empty.")
            return None
        return token, values

    def parse(
        self, values: list[bytes], linenos: list[int]
    ) -> tuple[Matrix, list[int]]:
        """Parses rows of exactly `dim` space-separated numbers in one call.

        Returns the (n, dim) float32 matrix and the indices of the rows kept
        (all of them unless bad rows were skipped).
        """
        if not values:
            return np.zeros((0, self.dim), np.float32), []
        try:
            return _loadtxt(b"\n".join(values), self.dim), list(range(len(values)))
        except ValueError:
            pass
        kept, rows = [], []
        for i, (row, lineno) in enumerate(zip(values, linenos, strict=True)):
            try:
                rows.append(_loadtxt(row, self.dim))
                kept.append(i)
            except ValueError:
                self.bad_row(lineno, self._describe(row))
        if not rows:
            return np.zeros((0, self.dim), np.float32), []
        return np.concatenate(rows), kept

    def _describe(self, row: bytes) -> str:
        for column, field in enumerate(row.split(b" "), start=1):
            try:
                _loadtxt(field, 1)
            except ValueError:
                return (
                    f"value {column} is {field.decode('utf-8', 'replace')!r}, "
                    f"expected a number ({self.dim} numbers after the token)."
                )
        return f"could not read {self.dim} numbers from {row[:80]!r}."


def token_reads_back(token: str, dim: int) -> bool:
    """Whether a row `token v1 .. v<dim>` reads back with exactly this token.

    With `dim` known (a file with a `count dim` header), tokens may hold
    spaces, even a leading one, but not a line break or spaces followed only
    by number-like fields (`"route 66"` reads as a token with one value too
    many). Used to refuse such tokens before writing a file.
    """
    if not token or any(c in token for c in "\n\r"):
        return False
    encoded = token.encode("utf-8")
    try:
        split = _Reader("", dim, "raise").split(encoded + b" 0" * dim, 1)
    except ValueError:
        return False
    return split is not None and split[0] == encoded


def _loadtxt(text: bytes, dim: int) -> Matrix:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matrix = np.loadtxt(
            io.BytesIO(text),
            dtype=np.float32,
            delimiter=" ",
            comments=None,
            quotechar=None,
            ndmin=2,
            encoding="latin-1",
        )
    if matrix.shape[1] != dim:
        raise ValueError(f"expected {dim} columns, found {matrix.shape[1]}")
    return matrix


@functools.cache
def _pandas_read_csv():  # -> pandas.read_csv, or None
    """pandas' C reader if pandas is importable; it is optional.

    It parses floats about 1.5x faster than `np.loadtxt` on one core and,
    unlike `np.loadtxt`, releases the GIL, so blocks parse in parallel.
    """
    try:
        from pandas import read_csv
    except ImportError:
        return None
    return read_csv


# A true/false field after a space (rows with their token), or anywhere
# (rows of values only).
_BOOLEAN_AFTER_TOKEN = re.compile(rb"(?i) (?:true|false)(?=[ \r\n]|$)")
_BOOLEAN_VALUE = re.compile(rb"(?im)(?:^| )(?:true|false)(?=[ \r\n]|$)")


def _read_booleans(matrix: Matrix, text: bytes, values_only: bool) -> bool:
    """Whether pandas read true/false fields of `text` as 1/0 into `matrix`.

    pandas does that only for a column that is all true/false, so a block
    without a column of only 0s and 1s (every real block) is cleared by one
    cheap pass over the numbers; the text is searched only otherwise.
    """
    if not len(matrix):
        return False
    first = matrix[0]
    columns = np.flatnonzero((first == 0) | (first == 1))  # all-0/1 candidates
    if not columns.size:
        return False
    part = matrix[:, columns]
    if not ((part == 0) | (part == 1)).all(axis=0).any():
        return False
    pattern = _BOOLEAN_VALUE if values_only else _BOOLEAN_AFTER_TOKEN
    return pattern.search(text) is not None


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


def _parse_fast(text: bytes, rows: int, dim: int) -> Matrix | None:
    """Parses `rows` lines of `dim` numbers each, or None if that fails.

    None means the block is not that clean (a short or long row, a
    non-number, a `nan`): the caller then takes the careful path, which
    finds the bad row and words the error. So this path never needs to
    explain anything, only to never accept what `np.loadtxt` would refuse.
    """
    read_csv = _pandas_read_csv()
    if read_csv is None:
        try:
            matrix = _loadtxt(text, dim)
        except ValueError:
            return None
        return matrix if matrix.shape == (rows, dim) else None
    # pandas would drop a BOM and stop at a NUL where loadtxt fails.
    if text.startswith(b"\xef\xbb\xbf") or b"\0" in text:
        return None
    try:
        frame = read_csv(io.BytesIO(text), dtype=np.float32, **_READ_CSV_OPTIONS)
        matrix = frame.to_numpy()
    except Exception:  # any failure means "take the careful path"
        return None
    if matrix.shape != (rows, dim) or matrix.dtype != np.float32:
        return None
    # pandas fills missing fields with NaN; a NaN anywhere makes the sum NaN.
    if np.isnan(np.add.reduce(matrix, axis=None)):
        return None
    if _read_booleans(matrix, text, values_only=True):
        return None
    return matrix


@functools.cache
def _row_dtypes(dim: int) -> dict[int, type]:
    return {0: object, **{k: np.float32 for k in range(1, dim + 1)}}


class _PieceReader(io.RawIOBase):
    """A binary file over the parts of a `_Piece`, read without joining them."""

    def __init__(self, piece: _Piece):
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


def _parse_rows(piece: _Piece, dim: int) -> tuple[list[str | bytes], Matrix] | None:
    """Tokens and numbers of raw lines `token v1 ... v{dim}` in one pandas call.

    None sends the block to the careful path, as in `_parse_fast`; a token
    that is not UTF-8 does too (pandas refuses it).
    """
    read_csv = _pandas_read_csv()
    block, tail = piece
    if (
        read_csv is None
        or block.startswith(b"\xef\xbb\xbf")
        or b"\0" in block
        or b"\0" in tail
    ):
        return None
    try:
        frame = read_csv(
            _PieceReader(piece), dtype=_row_dtypes(dim), **_READ_CSV_OPTIONS
        )
        if frame.shape[1] != dim + 1:
            return None
        tokens = frame.pop(0).tolist()
        # C order here, in the worker, keeps the main thread's copy a memcpy.
        matrix = np.ascontiguousarray(frame.to_numpy())
    except Exception:  # any failure means "take the careful path"
        return None
    if matrix.dtype != np.float32 or np.isnan(np.add.reduce(matrix, axis=None)):
        return None
    if _read_booleans(matrix, block + tail, values_only=False):
        return None
    return tokens, matrix


def _shorten(line: bytes, limit: int = 80) -> str:
    text = line[:limit].decode("utf-8", "replace")
    return text + "..." if len(line) > limit else text


def _looks_like_header(line: bytes) -> bool:
    fields = line.split(b" ")
    return len(fields) == 2 and all(_is_int(f) for f in fields)


def _detect(
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
class _Raw:
    """What reading the file gives, before coverage: this is what is cached."""

    words: list[str]
    matrix: Matrix
    dim: int
    header: tuple[int, int] | None
    lines_read: int
    lowercased: list[str]
    duplicates: int
    invalid_utf8: int
    skipped_rows: list[int]


def _read_all(
    chunks: Iterator[_Piece],
    reader: _Reader,
    invalid_utf8: str,
    first: list[bytes],
    start: int,
    capacity: int,
) -> _Raw:
    dim = reader.dim
    matrix = _empty_rows(max(capacity, 16), dim)
    n = 0
    words: list[str] = []
    # Decoded tokens, and the raw bytes of those that are not UTF-8: a
    # duplicate is a repeated byte string, whatever it decodes to.
    seen: set[str | bytes] = set()
    duplicates = bad_utf8 = 0

    def take(piece: list[bytes] | _Piece, job: _Job | None) -> None:
        """Adds one block's rows, in file order; errors come from here."""
        nonlocal matrix, n, duplicates, bad_utf8, lineno
        parsed = None if job is None else job.result()
        # pandas decodes every token of a raw piece or refuses the piece.
        all_str = parsed is not None and isinstance(piece, tuple)
        if parsed is None and isinstance(piece, tuple):
            piece = _lines(piece)
            split = _split_values(piece)
            if split is not None:
                parsed = _parse_values(*split, len(piece), dim)
        first_line = lineno
        if parsed is None:
            lineno += len(piece)
            tokens, block = _careful_block(reader, piece, first_line)
            keys = _keys(tokens)
        else:
            keys, block = parsed
            lineno += len(keys)  # one row per line: a blank line never parses
            if "" in keys:
                keep = []
                for i, t in enumerate(keys):
                    if t:
                        keep.append(i)
                    else:
                        reader.bad_row(
                            first_line + i,
                            "the row starts with a space: its token is empty.",
                        )
                keys = [keys[i] for i in keep]
                block = block[keep]
        if len(set(keys)) != len(keys) or not seen.isdisjoint(keys):
            keep = []
            for i, t in enumerate(keys):
                if t in seen:
                    duplicates += 1
                else:
                    seen.add(t)
                    keep.append(i)
            keys = [keys[i] for i in keep]
            block = block[keep]
        else:
            seen.update(keys)
        invalid = (
            [] if all_str else [i for i, t in enumerate(keys) if isinstance(t, bytes)]
        )
        if invalid:
            bad_utf8 += len(invalid)
            if invalid_utf8 == "skip":
                keep = [i for i, t in enumerate(keys) if isinstance(t, str)]
                keys = [keys[i] for i in keep]
                block = block[keep]
            else:
                # Different invalid byte strings can decode to the same text,
                # or to a token already seen: the first one still wins.
                keep = []
                for i, t in enumerate(keys):
                    if isinstance(t, bytes):
                        text = t.decode("utf-8", "replace")
                        if text in seen:
                            duplicates += 1
                            continue
                        seen.add(text)
                        keys[i] = text
                    keep.append(i)
                if len(keep) != len(keys):
                    keys = [keys[i] for i in keep]
                    block = block[keep]
        words.extend(keys)  # type: ignore[arg-type]
        if n + len(block) > len(matrix):
            grown = _empty_rows(max(int(len(matrix) * 1.5), n + len(block)), dim)
            grown[:n] = matrix[:n]
            matrix = grown
        matrix[n : n + len(block)] = block
        n += len(block)

    # The main thread reads ahead while up to `workers` blocks are parsed;
    # blocks are taken in file order, so the first bad row is the one
    # reported and the rows keep the file's order. Raw blocks go to pandas
    # whole, tokens included, so the main thread does no per-line work; a
    # file whose lines need stripping (fastText's trailing space, CRLF) has
    # its tokens split off here instead.
    raw = _pandas_read_csv() is not None and all(
        line == line.rstrip() for line in first[:64]
    )
    workers = _PARSE_THREADS if _pandas_read_csv() is not None else 1
    queued: collections.deque = collections.deque()
    lineno = start  # line number of the first line of the next block taken
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        try:
            for piece in _chain_chunks(first, chunks):
                if isinstance(piece, tuple) and (
                    not raw or b"\r" in piece[0] or b"\r" in piece[1]
                ):
                    piece = _lines(piece)
                if isinstance(piece, tuple):
                    job = pool.submit(_parse_rows, piece, dim)
                else:
                    split = _split_values(piece)
                    job = None
                    if split is not None:
                        job = pool.submit(_parse_values, *split, len(piece), dim)
                queued.append((piece, job))
                # One block more than the workers: the next one is read
                # while both parse.
                while len(queued) > workers + 1:
                    take(*queued.popleft())
            while queued:
                take(*queued.popleft())
        finally:
            for *_, job in queued:
                if job is not None:
                    job.cancel()
    # Shrinking in place, or to a view whose unused pages were never touched,
    # avoids a second copy of a matrix that may be 2 GB.
    if matrix.base is None:
        matrix.resize((n, dim), refcheck=False)
    else:
        matrix = matrix[:n]
    return _Raw(
        words,
        matrix,
        dim,
        None,
        lineno - 1,
        [],
        duplicates,
        bad_utf8,
        sorted(reader.skipped),
    )


_Job = concurrent.futures.Future


def _chain_chunks(
    first: list[bytes], rest: Iterator[_Piece]
) -> Iterator[list[bytes] | _Piece]:
    if first:
        yield first
    yield from rest


def _split_values(lines: list[bytes]) -> tuple[list[bytes], bytes] | None:
    """Tokens and the joined numbers of stripped lines; None on a blank line.

    The token is what precedes the first space; that every row then holds
    exactly `dim` numbers is checked by the parse.
    """
    stripped = [line.rstrip() for line in lines]
    if not all(stripped):
        return None
    parts = [s.partition(b" ") for s in stripped]
    return [p[0] for p in parts], b"\n".join([p[2] for p in parts])


def _parse_values(
    tokens: list[bytes], text: bytes, rows: int, dim: int
) -> tuple[list[str | bytes], Matrix] | None:
    matrix = _parse_fast(text, rows, dim)
    return None if matrix is None else (_keys(tokens), matrix)


def _keys(tokens: list[bytes]) -> list[str | bytes]:
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


def _empty_rows(rows: int, dim: int) -> Matrix:
    """An uninitialised float32 `(rows, dim)` matrix, on small pages if big.

    NumPy asks for transparent huge pages for big arrays; writing a fresh
    458 MB matrix then took 0.8 s of kernel time here against 0.16-0.25 s
    on 4 KiB pages, and in the main thread, which the parse waits on.
    """
    nbytes = rows * dim * 4
    if nbytes < (64 << 20) or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.empty((rows, dim), np.float32)
    pages = mmap.mmap(-1, nbytes)
    pages.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(pages, np.float32).reshape(rows, dim)


def _careful_block(
    reader: _Reader, lines: list[bytes], lineno: int
) -> tuple[list[bytes], Matrix]:
    """Tokens and rows of one block, row by row where needed.

    Tokens may hold spaces, blank lines are skipped, and every bad row is
    raised or skipped with its line number, per `reader.on_bad_row`.
    """
    dim = reader.dim
    stripped = [line.rstrip() for line in lines]
    if all(s.count(b" ") == dim for s in stripped):
        parts = [s.partition(b" ") for s in stripped]
        tokens = [p[0] for p in parts]
        values = [p[2] for p in parts]
        linenos = list(range(lineno, lineno + len(stripped)))
    else:
        tokens, values, linenos = [], [], []
        for k, s in enumerate(stripped):
            if not s:
                continue
            split = reader.split(s, lineno + k)
            if split is not None:
                tokens.append(split[0])
                values.append(split[1])
                linenos.append(lineno + k)
    while b"" in tokens:
        k = tokens.index(b"")
        reader.bad_row(linenos[k], "the row starts with a space: its token is empty.")
        del tokens[k], values[k], linenos[k]
    block, kept = reader.parse(values, linenos)
    if len(kept) != len(tokens):
        tokens = [tokens[i] for i in kept]
    return tokens, block


def _hits(
    piece: list[bytes] | _Piece, prefixes: set[bytes]
) -> tuple[int, list[tuple[int, bytes]]]:
    """Counts the lines of a piece; returns those whose prefix is wanted.

    The prefix is what precedes the first space (a line without one loses
    its last byte, a CR if any). The lines of a `_Piece` are found in place:
    splitting all of them would copy the whole file.
    """
    if isinstance(piece, list):
        hits = [
            (k, line)
            for k, line in enumerate(piece)
            if line[: line.find(b" ")] in prefixes
        ]
        return len(piece), hits
    block, tail = piece
    find = block.find
    hits = []
    k = start = 0
    while (end := find(b"\n", start)) >= 0:
        space = find(b" ", start, end)
        if block[start : space if space >= 0 else max(start, end - 1)] in prefixes:
            hits.append((k, block[start:end]))
        k += 1
        start = end + 1
    if start < len(block) or tail:
        # The last line runs on into the tail.
        last = block[start:] + tail
        last = last[:-1] if last.endswith(b"\n") else last
        if last[: last.find(b" ")] in prefixes:
            hits.append((k, last))
        k += 1
    return k, hits


def _read_some(
    blocks: Iterator[_Piece],
    reader: _Reader,
    requested: list[str],
    lowercase_fallback: bool,
    first: list[bytes],
    start: int,
) -> _Raw:
    dim = reader.dim
    # Every file token of interest gets a slot; several words may share one.
    slot_of: dict[bytes, int] = {}
    for w in requested:
        slot_of.setdefault(w.encode("utf-8"), len(slot_of))
    if lowercase_fallback:
        for w in requested:
            slot_of.setdefault(w.lower().encode("utf-8"), len(slot_of))
    # A line is looked at only if the bytes before its first space could
    # start a wanted token; tokens with spaces are matched by their prefix.
    prefixes = {t.split(b" ", 1)[0] for t in slot_of}
    table = np.zeros((len(slot_of), dim), np.float32)
    filled = np.zeros(len(slot_of), bool)
    pending: list[bytes] = []
    pending_lines: list[int] = []
    pending_slots: list[int] = []
    pending_bytes = 0
    claimed: set[int] = set()
    duplicates = 0
    lineno = start
    lines_read = start - 1

    # With pandas, a batch of rows is parsed in a worker thread while the
    # scan goes on (pandas releases the GIL). Batches are settled in file
    # order, and before a later row's error is raised, so errors are the
    # same as with parsing in place.
    parse_ahead = _pandas_read_csv() is not None
    batches: collections.deque = collections.deque()

    def settle() -> None:
        values, linenos, slots, job = batches.popleft()
        block = None if job is None else job.result()
        if block is None:
            block, kept = reader.parse(values, linenos)
            slots = [slots[i] for i in kept]
        table[slots] = block
        filled[slots] = True

    def flush(pool: concurrent.futures.Executor) -> None:
        nonlocal pending, pending_lines, pending_slots, pending_bytes
        job = None
        if parse_ahead and pending:
            text = b"\n".join(pending)
            job = pool.submit(_parse_fast, text, len(pending), dim)
        batches.append((pending, pending_lines, pending_slots, job))
        pending, pending_lines, pending_slots, pending_bytes = [], [], [], 0
        while len(batches) > parse_ahead:
            settle()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            for piece in _chain_chunks(first, blocks):
                count, hits = _hits(piece, prefixes)
                lines_read += count
                for k, line in hits:
                    s = line.rstrip()
                    first_field = s.split(b" ", 1)[0]
                    if s.count(b" ") < dim and first_field not in slot_of:
                        continue  # a short line whose prefix happened to match
                    split = reader.split(s, lineno + k)
                    if split is None:
                        continue
                    token, values = split
                    slot = slot_of.get(token)
                    if slot is None:
                        continue
                    if slot in claimed:
                        duplicates += 1
                        continue
                    claimed.add(slot)
                    pending.append(values)
                    pending_lines.append(lineno + k)
                    pending_slots.append(slot)
                    pending_bytes += len(values)
                lineno += count
                if pending_bytes >= _PARSE_BATCH:
                    flush(pool)
            flush(pool)
            while batches:
                settle()
        except ValueError:
            # A batch before the bad row may hold an earlier bad row.
            while batches:
                settle()
            raise
    words, rows, lowercased, done = [], [], [], set()
    for w in requested:
        if w in done:
            continue
        done.add(w)
        slot = slot_of[w.encode("utf-8")]
        if not filled[slot] and lowercase_fallback:
            lower = slot_of[w.lower().encode("utf-8")]
            if filled[lower]:
                lowercased.append(w)
                slot = lower
        if filled[slot]:
            words.append(w)
            rows.append(slot)
    matrix = table if rows == list(range(len(table))) else table[rows]
    return _Raw(
        words,
        matrix,
        dim,
        None,
        lines_read,
        lowercased,
        duplicates,
        0,
        sorted(reader.skipped),
    )


def _check_counts(
    counts: Mapping[str, int] | Iterable[str] | None,
) -> dict[str, int] | None:
    if counts is None:
        return None
    if isinstance(counts, (str, bytes)):
        raise TypeError(
            "`counts` must map words to corpus counts or be an iterable of "
            f"corpus tokens, not a string. Received: counts={counts!r}"
        )
    if isinstance(counts, Mapping):
        return dict(counts)
    return dict(collections.Counter(counts))


def _cache_key(
    path: str, member: str | int | None, words: list[str] | None, options: dict
) -> dict:
    stat = os.stat(path)
    words_hash = None
    if words is not None:
        # JSON, not a join: ["a\nb"] and ["a", "b"] must not share a key.
        encoded = json.dumps(words, ensure_ascii=False).encode("utf-8")
        words_hash = hashlib.sha256(encoded).hexdigest()
    return {
        "version": _CACHE_VERSION,
        "path": os.path.realpath(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "member": member,
        "words": words_hash,
        "options": options,
    }


def _cache_paths(cache_dir: str, key: dict) -> tuple[str, str]:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = os.path.join(cache_dir, f"{os.path.basename(key['path'])}-{digest}")
    return stem + ".npy", stem + ".json"


def _cache_read(cache_dir: str, key: dict) -> _Raw | None:
    npy, meta = _cache_paths(cache_dir, key)
    try:
        with open(meta, encoding="utf-8") as f:
            stored = json.load(f)
        if stored.get("key") != key:
            return None
        # Copy-on-write: as writable as a fresh load, but an in-place change
        # (say, normalising rows) stays in this process, not in the cache.
        matrix = np.load(npy, mmap_mode="c")
    except (OSError, ValueError):
        return None
    header = tuple(stored["header"]) if stored["header"] else None
    return _Raw(
        stored["words"],
        matrix,
        stored["dim"],
        header,  # type: ignore[arg-type]
        stored["lines_read"],
        stored["lowercased"],
        stored["duplicates"],
        stored["invalid_utf8"],
        stored["skipped_rows"],
    )


def _cache_write(cache_dir: str, key: dict, raw: _Raw) -> None:
    try:
        stat = os.stat(key["path"])
    except OSError:
        return
    if (stat.st_size, stat.st_mtime_ns) != (key["size"], key["mtime_ns"]):
        return  # the file changed while it was read: this entry is dead already
    os.makedirs(cache_dir, exist_ok=True)
    npy, meta = _cache_paths(cache_dir, key)
    stored = dataclasses.asdict(raw)
    del stored["matrix"]
    stored["key"] = key
    # The metadata, written last and atomically, is what marks a cache entry
    # as complete: a crash mid-write leaves no entry that looks valid.
    with atomic_write(npy) as f:
        np.save(f, raw.matrix)
    with atomic_write(meta) as f:
        f.write(json.dumps(stored).encode("utf-8"))
    _cache_prune(cache_dir, key)


def _cache_prune(cache_dir: str, key: dict) -> None:
    """Deletes the entries of older versions of `key`'s file.

    An entry whose file has since changed size or mtime (or that an older
    twoembed wrote) can never be used again; left alone, every edit of a
    2 GB vectors file would leave its matrix behind. Entries of other files,
    of the current version of this one and of a newer twoembed are kept;
    nothing is pruned if the file changed again while it was being read.
    """
    try:
        stat = os.stat(key["path"])
        names = os.listdir(cache_dir)
    except OSError:
        return
    if (stat.st_size, stat.st_mtime_ns) != (key["size"], key["mtime_ns"]):
        return  # `key` is itself stale: another process may hold the newer one
    prefix = f"{os.path.basename(key['path'])}-"
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".json")):
            continue
        meta = os.path.join(cache_dir, name)
        try:
            with open(meta, encoding="utf-8") as f:
                old = json.load(f)["key"]
            stale = (
                old["path"] == key["path"]
                and old["version"] <= key["version"]
                and (old["version"], old["size"], old["mtime_ns"])
                != (key["version"], key["size"], key["mtime_ns"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not an entry of ours: leave it
        if stale:
            # The matrix first: if it cannot go (mapped elsewhere, on
            # Windows), the metadata stays and a later write retries.
            npy = meta[: -len(".json")] + ".npy"
            with contextlib.suppress(OSError):
                if os.path.exists(npy):
                    os.remove(npy)
                os.remove(meta)


def load_glove(
    path: PathLike,
    words: Iterable[str] | None = None,
    *,
    counts: Mapping[str, int] | Iterable[str] | None = None,
    lowercase_fallback: bool = False,
    member: str | int | None = None,
    dim: int | None = None,
    on_bad_row: Literal["raise", "skip"] = "raise",
    invalid_utf8: Literal["replace", "skip"] = "replace",
    header: bool | None = None,
    cache_dir: PathLike | None = None,
    verbose: int = 1,
) -> LoadedVectors:
    """Loads word vectors from a GloVe, word2vec or fastText text file.

    Args:
        path: a `.txt`/`.vec` file, optionally `.gz`, `.bz2` or `.zip`. A
            word2vec/fastText `count dim` first line is detected and skipped.
        words: the words to load, e.g. the corpus vocabulary. Only those the
            file has are returned, in this order, each once. None loads every
            row in file order.
        counts: corpus counts (a mapping word -> count, or an iterable of
            corpus tokens) for the token coverage and to order `missing`.
        lowercase_fallback: a requested word the file lacks gets the vector
            of its lowercase form, if the file has that (as torchtext does).
        member: inside a zip holding several files, the member's name or its
            dim (`100` picks `glove.6B.100d.txt`).
        dim: the vector size; None reads it from the header or first lines.
        on_bad_row: `"raise"` a ValueError on a row with the wrong number of
            values or a non-number, or `"skip"` it and list it in the report.
            With `words`, only rows of requested words are parsed and checked.
        invalid_utf8: a token with invalid UTF-8 is decoded with U+FFFD
            (`"replace"`) or dropped (`"skip"`); both are counted.
        header: whether the first line is a word2vec/fastText `count dim`
            header. None detects it: two integers followed by a line with at
            least `dim` values. Only a 1-value file can fool that (its row
            `"2 1"` looks like a header); say True or False there.
        cache_dir: opt-in cache. The result is stored there as `.npy` (read
            back memory-mapped, copy-on-write: changing it in place leaves
            the cache alone) plus JSON, keyed by the file's path, size and
            mtime, the words and the options; an entry that does not match
            is never used, and those of an older version of the file are
            deleted when a new one is written.
        verbose: 0 silences the progress line, which is otherwise shown on
            an interactive stderr when the load takes over 2 seconds.

    Returns:
        A `LoadedVectors` that unpacks as `(words, matrix)`, float32 matrix
        of shape `(len(words), dim)`, with `.report` and `.missing`.

    Example:

    >>> words, matrix = load_glove("glove.6B.50d.txt", ["the", "cat"])
    ... # doctest: +SKIP
    >>> matrix.shape  # doctest: +SKIP
    (2, 50)
    """
    started = time.perf_counter()
    path = os.fspath(path)
    requested = None if words is None else check_tokens(words, "words", unique=False)
    corpus = _check_counts(counts)
    if on_bad_row not in ("raise", "skip"):
        raise ValueError(
            "`on_bad_row` must be 'raise' or 'skip'. "
            f"Received: on_bad_row={on_bad_row!r}"
        )
    if invalid_utf8 not in ("replace", "skip"):
        raise ValueError(
            "`invalid_utf8` must be 'replace' or 'skip'. "
            f"Received: invalid_utf8={invalid_utf8!r}"
        )
    if dim is not None and (
        isinstance(dim, bool) or not isinstance(dim, int) or dim < 1
    ):
        raise ValueError(f"`dim` must be a positive int or None. Received: dim={dim!r}")
    if header is not None and not isinstance(header, bool):
        raise TypeError(
            f"`header` must be True, False or None. Received: header={header!r}"
        )
    if member is None and dim is not None and path.lower().endswith(".zip"):
        member = dim
    if not os.path.exists(path):
        raise FileNotFoundError(f"No vector file at {path!r}. Received: path={path!r}")

    raw = key = None
    if cache_dir is not None:
        cache_dir = os.path.expanduser(os.fspath(cache_dir))
        options = {
            "lowercase_fallback": bool(lowercase_fallback) and requested is not None,
            "dim": dim,
            "on_bad_row": on_bad_row,
            "invalid_utf8": invalid_utf8,
            "header": header,
        }
        key = _cache_key(path, member, requested, options)
        raw = _cache_read(cache_dir, key)
    from_cache = raw is not None
    label = path
    if raw is None:
        try:
            raw, label = _read(
                path,
                requested,
                lowercase_fallback,
                member,
                dim,
                on_bad_row,
                invalid_utf8,
                header,
                verbose,
            )
        except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as error:
            raise ValueError(
                f"{path} is not a readable {_kind(path)} file: {error}"
            ) from None
        except OSError as error:
            if isinstance(error, FileNotFoundError):
                raise
            # bz2 reports a corrupt stream as a bare OSError.
            raise ValueError(f"Cannot read {path}: {error}") from None
        if cache_dir is not None and key is not None:
            _cache_write(cache_dir, key, raw)
    elif path.lower().endswith(".zip"):
        label = f"{path}:{member}"

    report = _report(
        label, raw, requested, corpus, from_cache, time.perf_counter() - started
    )
    return LoadedVectors(list(raw.words), raw.matrix, report)


def _kind(path: str) -> str:
    """'gzip', 'bz2', 'zip' or 'text', from the file name."""
    lower = path.lower()
    for suffix, kind in ((".gz", "gzip"), (".bz2", "bz2"), (".zip", "zip")):
        if lower.endswith(suffix):
            return kind
    return "text"


def _read(
    path: str,
    requested: list[str] | None,
    lowercase_fallback: bool,
    member: str | int | None,
    dim: int | None,
    on_bad_row: str,
    invalid_utf8: str,
    has_header: bool | None,
    verbose: int,
) -> tuple[_Raw, str]:
    with contextlib.ExitStack() as closing:
        f, label, size = _open(path, member, closing)
        progress = _Progress(label, size, verbose)
        closing.callback(progress.close)
        chunks = _chunks(
            f, progress, _ALL_BLOCK_SIZE if requested is None else _BLOCK_SIZE
        )
        first: list[bytes] = []
        # Enough lines to see a header and the usual field count.
        for chunk in chunks:
            if not first and chunk[0].startswith(b"\xef\xbb\xbf"):
                # A UTF-8 byte-order mark is not part of the first token.
                chunk = (chunk[0][3:], chunk[1])
            first.extend(_lines(chunk))
            if sum(1 for line in first if line.strip()) >= 2:
                break
        try:
            header, found_dim = _detect(first, dim, has_header)
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
        reader = _Reader(label, found_dim, on_bad_row)
        if requested is None:
            if header is not None and header[0] > 0:
                # Every value takes at least 2 bytes: a bogus count cannot
                # make us allocate more than the file could hold.
                # A compressed file has no size: start at most at 1M rows
                # and grow, rather than trust the count.
                capacity = (
                    min(header[0], 1 << 20)
                    if size is None
                    else min(header[0], size // (2 * found_dim) + 16)
                )
            elif size and first:
                per_line = max(1, sum(map(len, first)) // len(first))
                capacity = int(size / per_line * 1.05) + 16
            else:
                capacity = 1024
            raw = _read_all(chunks, reader, invalid_utf8, first, start, capacity)
        else:
            raw = _read_some(
                chunks, reader, requested, lowercase_fallback, first, start
            )
    raw.header = header
    return raw, label


def _report(
    label: str,
    raw: _Raw,
    requested: list[str] | None,
    corpus: dict[str, int] | None,
    from_cache: bool,
    seconds: float,
) -> LoadReport:
    found = set(raw.words)
    missing: list[str] = []
    num_requested = None
    if requested is not None:
        unique = list(dict.fromkeys(requested))
        num_requested = len(unique)
        missing = [w for w in unique if w not in found]
    corpus_tokens = coverage = None
    missing_counts: list[tuple[str, int]] = []
    if corpus is not None:
        corpus_tokens = sum(corpus.values())
        covered = sum(c for w, c in corpus.items() if w in found)
        coverage = covered / corpus_tokens if corpus_tokens else 0.0
        # Python's sort is stable: equal counts keep the order asked.
        missing.sort(key=lambda w: -corpus.get(w, 0))
        candidates = (
            missing if requested is not None else [w for w in corpus if w not in found]
        )
        missing_counts = sorted(
            ((w, corpus.get(w, 0)) for w in candidates), key=lambda wc: -wc[1]
        )
    return LoadReport(
        path=label,
        dim=raw.dim,
        header=raw.header,
        lines_read=raw.lines_read,
        num_requested=num_requested,
        num_found=len(raw.words),
        missing=tuple(missing),
        lowercased=tuple(raw.lowercased),
        duplicates=raw.duplicates,
        invalid_utf8=raw.invalid_utf8,
        skipped_rows=tuple(raw.skipped_rows),
        corpus_tokens=corpus_tokens,
        token_coverage=coverage,
        missing_counts=tuple(missing_counts),
        from_cache=from_cache,
        seconds=seconds,
    )
