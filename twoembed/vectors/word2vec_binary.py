"""Reading word2vec's C binary format, plain or from a `.gz`/`.bz2` stream.

The layout, top to bottom:

- a first line `count dim` in ASCII (e.g. b"3000000 300\\n");
- `count` rows, each the token's bytes, one space, and `dim` little-endian
  float32 values; word2vec.c writes a b"\\n" after each row, gensim does not,
  so a b"\\n" before a token is skipped.

Rows are found by one scan that looks for the space after each token and
jumps over the `4 * dim` bytes of its vector; the vector bytes are copied
straight into the result (whole-file loads) or, for a filtered load, only
those of requested tokens are. The file is read in blocks of `BLOCK_SIZE`,
never whole, so a filtered load holds about its result plus one block.

Example:

>>> import io, numpy as np
>>> data = b"2 3\\n" + b"".join(
...     w + b" " + np.arange(3, dtype="<f4").tobytes() + b"\\n" for w in (b"a", b"b"))
>>> read_word2vec_binary(io.BytesIO(data), "x.bin").words
['a', 'b']
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Container, Iterator
from typing import IO

import numpy as np

from twoembed.vectors.options import LoadOptions
from twoembed.vectors.progress import Progress
from twoembed.vectors.result import RawVectors
from twoembed.vectors.sources import open_source
from twoembed.vectors.wanted import Wanted, decode_tokens, first_of_each

BLOCK_SIZE = 16 << 20
# word2vec.c caps tokens at 100 bytes; gensim writes any length. A token
# longer than this is not a token: the file is not word2vec binary.
MAX_TOKEN = 1 << 16
_HEADER = re.compile(rb"\s*([-+]?\d+)[ \t]+([-+]?\d+)\s*")


def parse_header(line: bytes) -> tuple[int, int] | None:
    """`(count, dim)` from a `count dim` first line, else None."""
    match = _HEADER.fullmatch(line)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def looks_like_text(row: bytes, dim: int) -> bool:
    """Whether a row (from its token on) reads as a text row of `dim` values.

    A binary row passes only if its `4 * dim` float32 bytes happen to spell
    numbers separated by spaces up to a b"\\n": practically never.
    """
    fields = row.lstrip(b"\n").split(b"\n", 1)[0].split()
    if len(fields) < dim + 1:
        return False
    try:
        [float(v) for v in fields[-dim:]]
    except ValueError:
        return False
    return True


def looks_like_word2vec_binary(head: bytes) -> bool:
    """Whether a file's first bytes are a `count dim` line and a binary row."""
    line, newline, rest = head.partition(b"\n")
    header = parse_header(line) if newline else None
    if header is None or header[0] < 1 or header[1] < 1:
        return False
    rest = rest.lstrip(b"\n")
    space = rest.find(b" ", 0, MAX_TOKEN)
    values = rest[space + 1 : space + 1 + 4 * header[1]]
    if space < 0 or len(values) < 4 * header[1] or looks_like_text(rest, header[1]):
        return False
    # Text is printable UTF-8; float32 bytes almost never are.
    try:
        text = values.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return (
        not text.replace("\t", " ").replace("\r", " ").replace("\n", " ").isprintable()
    )


def read_word2vec(
    path: str, requested: list[str] | None, options: LoadOptions
) -> tuple[RawVectors, str]:
    """The reader of `format="word2vec-binary"` (see `twoembed.vectors`).

    Example:

    >>> raw, label = read_word2vec("vec.bin", ["the"], LoadOptions())
    ... # doctest: +SKIP
    """
    with contextlib.ExitStack() as closing:
        f, label, size = open_source(path, options.member, closing)
        progress = Progress(label, size, options.verbose, options.progress_after)
        closing.callback(progress.close)
        wanted = (
            None if requested is None else Wanted(requested, options.lowercase_fallback)
        )
        raw = read_word2vec_binary(
            _Counted(f, progress), label, wanted, options.invalid_utf8, size
        )
    if options.dim is not None and options.dim != raw.dim:
        raise ValueError(
            f"{label}: its header says vectors of dim {raw.dim}, but dim="
            f"{options.dim} was passed. Pass dim=None to use the header's."
        )
    return raw, label


class _Counted:
    """A file whose reads move the progress line."""

    def __init__(self, f: IO[bytes], progress: Progress):
        self.f, self.progress = f, progress

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.progress.update(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.f.readline(size)


def read_word2vec_binary(
    f: IO[bytes],
    label: str,
    wanted: Wanted | None = None,
    invalid_utf8: str = "replace",
    size: int | None = None,
) -> RawVectors:
    """Reads a word2vec binary stream.

    Args:
        f: the file, positioned at its start (decompressed if need be).
        label: the file's name, for error messages.
        wanted: the requested words; None reads every row.
        invalid_utf8: `"replace"` or `"skip"` a token with invalid UTF-8.
        size: the file's size if known: bounds the rows a header may claim.

    Raises:
        ValueError: no `count dim` header, a `dim` below 1, a truncated file
            (with row, byte offset and bytes expected), a text file.
    """
    line = f.readline(256)
    header = parse_header(line.rstrip(b"\n")) if line.endswith(b"\n") else None
    if header is None:
        raise ValueError(
            f"{label} is not a word2vec binary file: expected a first line "
            f"`count dim` (two integers). Received: {line[:60]!r}"
        )
    count, dim = header
    if dim < 1 or count < 1:
        raise ValueError(
            f"{label}: its header `{count} {dim}` announces "
            f"{'vectors of dim ' + str(dim) if dim < 1 else 'no vectors'}; "
            "expected a count and a dim of at least 1."
        )
    scan = _Scan(f, label, count, dim, len(line))
    if wanted is None:
        return scan.all_rows(invalid_utf8, size)
    return scan.some_rows(wanted)


class _Scan:
    """One pass over the rows, block by block.

    The loop only finds each row's token and where its vector starts; the
    vectors of a block are then copied in one NumPy gather from a view of
    the block that has a row starting at every byte.
    """

    def __init__(self, f: IO[bytes], label: str, count: int, dim: int, start: int):
        self.f, self.label, self.count, self.dim = f, label, count, dim
        self.nbytes = 4 * dim
        # Enough bytes for any row: a refill is due when fewer remain.
        self.need = MAX_TOKEN + self.nbytes + 2
        self.buf = b""
        self.base = start  # file offset of buf[0]
        self.pos = 0
        self.eof = False

    def refill(self) -> None:
        while len(self.buf) - self.pos < self.need and not self.eof:
            block = self.f.read(max(BLOCK_SIZE, self.need))
            self.eof = not block
            self.buf = self.buf[self.pos :] + block
            self.base += self.pos
            self.pos = 0

    def gather(self, starts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The vector bytes at `starts` in the current block, `(n, nbytes)`."""
        every_byte = np.lib.stride_tricks.sliding_window_view(
            np.frombuffer(self.buf, np.uint8), self.nbytes
        )
        # Fancy indexing, not np.take: take would first copy the window view
        # into a contiguous array of nbytes times the block.
        if out is None:
            return every_byte[starts]
        out[...] = every_byte[starts]
        return out

    def check(self, row: int, space: int) -> None:
        """Raises for a row cut short or a text file read as binary."""
        end = space + 1 + self.nbytes
        if space < 0 or end > len(self.buf):
            self.fail(row, space)
        if row == 0 and looks_like_text(self.buf[self.pos : end + MAX_TOKEN], self.dim):
            raise ValueError(
                f"{self.label} looks like a text vector file, not word2vec "
                f"binary: the bytes after its first token are digits and "
                f"spaces, where {self.nbytes} bytes of float32 values (dim "
                f"{self.dim}) were expected. Pass format='text' or 'auto'."
            )

    def fail(self, row: int, space: int) -> None:
        while self.buf[self.pos : self.pos + 1] == b"\n":
            self.pos += 1  # the end of the row before
        at = self.base + self.pos
        where = f"{self.label}, row {row + 1} of {self.count} (byte offset {at})"
        if space < 0 and len(self.buf) - self.pos >= MAX_TOKEN:
            raise ValueError(
                f"{where}: no space within {MAX_TOKEN} bytes; expected a "
                "token, a space and the vector. Is it word2vec binary?"
            )
        if space < 0:
            have = len(self.buf) - self.pos
            raise ValueError(
                f"{where}: the file ends {have} bytes into the row, before "
                f"the space after its token; expected a token, a space and "
                f"{self.nbytes} bytes of vector (dim {self.dim}): the file is "
                f"truncated or its header claims more than its {row} rows."
            )
        have = len(self.buf) - space - 1
        token = self.buf[self.pos : space]
        raise ValueError(
            f"{where}: the file ends inside the vector of {token!r}: "
            f"expected {self.nbytes} bytes (dim {self.dim} float32), found "
            f"{have}: the file is truncated."
        )

    def finish(self) -> None:
        """Refuses non-blank data after the rows the header announced."""
        rest = self.buf[self.pos :]
        if not rest.strip():
            rest += self.f.read(MAX_TOKEN)
        if rest.strip():
            raise ValueError(
                f"{self.label}: data goes on after the {self.count} rows its "
                f"header announces (byte offset {self.base + self.pos}); "
                "expected the end of the file. Is the header's count wrong?"
            )

    def blocks(
        self, keep: Container[bytes] | None
    ) -> Iterator[tuple[list[bytes], np.ndarray]]:
        """Yields `(tokens, vector offsets)` block by block, for the rows
        whose token is in `keep` (None: every row); `gather` copies the
        vectors while the block is current.

        One `findall` per block finds the rows (in C: no Python code runs
        per row); their offsets follow from the token lengths. A token
        keeps the b"\\n" that ended the row before it, if any.
        """
        nbytes, count = self.nbytes, self.count
        row_pattern = re.compile(rb"([^ ]{0,%d}) (?s:.{%d})" % (MAX_TOKEN, nbytes))
        done = 0
        while done < count:
            self.refill()
            tokens = row_pattern.findall(self.buf, self.pos)[: count - done]
            if not tokens:
                space = self.buf.find(b" ", self.pos, self.pos + MAX_TOKEN)
                self.fail(done, space)
            lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
            ends = self.pos + np.cumsum(lengths + (1 + nbytes))
            starts = ends - nbytes
            # The rows of a block are consecutive unless a row without a
            # space (not word2vec binary) made findall skip ahead.
            if not (
                self.buf.startswith(tokens[0] + b" ", self.pos)
                and self.buf.startswith(
                    tokens[-1] + b" ", int(starts[-1]) - 1 - len(tokens[-1])
                )
            ):
                self.fail(done, -1)
            if done == 0:
                self.check(0, int(starts[0]) - 1)
            if keep is not None:
                hits = [k for k, t in enumerate(tokens) if t in keep]
                tokens = [tokens[k] for k in hits]
                starts = starts[hits]
            yield tokens, starts
            done += len(lengths)
            self.pos = int(ends[-1])
        self.finish()

    def all_rows(self, invalid_utf8: str, size: int | None) -> RawVectors:
        count, nbytes = self.count, self.nbytes
        # Every row takes at least 4 * dim + 2 bytes: a bogus count cannot
        # make us allocate more than the file could hold. A compressed file
        # has no size: start at 256k rows and grow.
        if size is None:
            rows = min(count, 1 << 18)
        else:
            rows = min(count, size // (nbytes + 2) + 1)
        out = np.empty((rows, nbytes), np.uint8)
        tokens: list[bytes] = []
        for block_tokens, starts in self.blocks(None):
            start = len(tokens)
            if start + len(starts) > len(out):
                grown = min(count, 2 * len(out) + len(starts))
                out = np.resize(out, (grown, nbytes))
            self.gather(starts, out[start : start + len(starts)])
            tokens.extend(block_tokens)
        matrix = out.view("<f4")
        words, keep, invalid = _decode(tokens, invalid_utf8)
        if keep is not None:
            matrix = matrix[keep]
        first = first_of_each(words)
        duplicates = 0
        if first is not None:
            duplicates = len(words) - len(first)
            words = [words[i] for i in first]
            matrix = matrix[first]
        return RawVectors(
            words,
            matrix.astype(np.float32, copy=False),
            self.dim,
            (count, self.dim),
            count,
            [],
            duplicates,
            invalid,
            [],
        )

    def some_rows(self, wanted: Wanted) -> RawVectors:
        # Tokens may keep the b"\\n" ending the row before: match both.
        slot_of = {**wanted.slot_of}
        slot_of.update({b"\n" + t: slot for t, slot in wanted.slot_of.items()})
        table = np.zeros((len(wanted.slot_of), self.nbytes), np.uint8)
        filled = np.zeros(len(wanted.slot_of), bool)
        duplicates = 0
        for block_tokens, starts in self.blocks(slot_of):
            vectors = self.gather(starts)
            for token, vector in zip(block_tokens, vectors, strict=True):
                slot = slot_of[token]
                if filled[slot]:
                    duplicates += 1
                    continue
                filled[slot] = True
                table[slot] = vector
        words, rows, lowercased = wanted.pick(filled)
        matrix = table.view("<f4")
        matrix = matrix if rows == list(range(len(table))) else matrix[rows]
        return RawVectors(
            words,
            matrix.astype(np.float32, copy=False),
            self.dim,
            (self.count, self.dim),
            self.count,
            lowercased,
            duplicates,
            0,
            [],
        )


def _decode(
    tokens: list[bytes], invalid_utf8: str
) -> tuple[list[str], np.ndarray | None, int]:
    """`decode_tokens` for tokens that may start with b"\\n", fast path first.

    Tokens hold no space, so one decode of them joined by spaces, split
    again, gives the words without a Python call per token.
    """
    try:
        text = b" ".join(tokens).decode("utf-8")
    except UnicodeDecodeError:
        return decode_tokens([t.lstrip(b"\n") for t in tokens], invalid_utf8)
    text = text.replace(" \n", " ")
    words = text.split(" ")
    if len(words) != len(tokens):  # an empty input or a lone b"\n" token
        words = [t.lstrip(b"\n").decode("utf-8") for t in tokens]
    elif " \n" in text or text.startswith("\n"):
        words = [w.lstrip("\n") for w in words]
    return words, None, 0
