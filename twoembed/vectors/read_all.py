"""Reading every row of a file: big blocks parsed in bulk by a thread pool.

The main thread reads ahead while up to `workers` blocks are parsed; blocks
are taken in file order, so the first bad row is the one reported and the
rows keep the file's order. Raw blocks go to pandas whole, tokens included,
so the main thread does no per-line work; a file whose lines need stripping
(fastText's trailing space, CRLF) has its tokens split off here instead.
"""

from __future__ import annotations

import collections
import concurrent.futures
import mmap
import os
from collections.abc import Iterator

import numpy as np

from twoembed.vectors import bulk
from twoembed.vectors.result import RawVectors
from twoembed.vectors.rows import EMPTY_TOKEN, RowRules, careful_block
from twoembed.vectors.sources import Piece, chain, lines

Matrix = np.ndarray
# Blocks parsed at once. pandas' reader releases the GIL, so its calls run in
# parallel with each other and with the token work of the main thread.
PARSE_THREADS = max(1, min(2, os.cpu_count() or 1))


def empty_rows(rows: int, dim: int) -> Matrix:
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


class _Rows:
    """The rows taken so far, in file order: tokens seen, matrix, counters."""

    def __init__(self, rules: RowRules, invalid_utf8: str, capacity: int, start: int):
        self.rules, self.invalid_utf8 = rules, invalid_utf8
        self.matrix = empty_rows(max(capacity, 16), rules.dim)
        self.n = 0
        self.words: list[str] = []
        # Decoded tokens, and the raw bytes of those that are not UTF-8: a
        # duplicate is a repeated byte string, whatever it decodes to.
        self.seen: set[str | bytes] = set()
        self.duplicates = self.bad_utf8 = 0
        self.lineno = start  # line number of the first line of the next block

    def take(
        self,
        piece: list[bytes] | Piece,
        job: concurrent.futures.Future | None,
        read_csv: bulk.ReadCsv | None,
    ) -> None:
        """Adds one block's rows, in file order; errors come from here."""
        dim = self.rules.dim
        parsed = None if job is None else job.result()
        # pandas decodes every token of a raw piece or refuses the piece.
        all_str = parsed is not None and isinstance(piece, tuple)
        if parsed is None and isinstance(piece, tuple):
            piece = lines(piece)
            split = bulk.split_values(piece)
            if split is not None:
                parsed = bulk.parse_values(*split, len(piece), dim, read_csv)
        first_line = self.lineno
        if parsed is None:
            self.lineno += len(piece)
            tokens, block = careful_block(self.rules, piece, first_line)
            keys = bulk.keys(tokens)
        else:
            keys, block = parsed
            self.lineno += len(keys)  # one row per line: a blank line never parses
            if "" in keys:
                keep = []
                for i, t in enumerate(keys):
                    if t:
                        keep.append(i)
                    else:
                        self.rules.bad_row(first_line + i, EMPTY_TOKEN)
                keys = [keys[i] for i in keep]
                block = block[keep]
        keys, block = self._first_of_each(keys, block)
        if not all_str:
            keys, block = self._decode_invalid(keys, block)
        self._append(keys, block)

    def _first_of_each(self, keys: list, block: Matrix) -> tuple[list, Matrix]:
        seen = self.seen
        if len(set(keys)) == len(keys) and seen.isdisjoint(keys):
            seen.update(keys)
            return keys, block
        keep = []
        for i, t in enumerate(keys):
            if t in seen:
                self.duplicates += 1
            else:
                seen.add(t)
                keep.append(i)
        return [keys[i] for i in keep], block[keep]

    def _decode_invalid(self, keys: list, block: Matrix) -> tuple[list, Matrix]:
        invalid = [i for i, t in enumerate(keys) if isinstance(t, bytes)]
        if not invalid:
            return keys, block
        self.bad_utf8 += len(invalid)
        if self.invalid_utf8 == "skip":
            keep = [i for i, t in enumerate(keys) if isinstance(t, str)]
            return [keys[i] for i in keep], block[keep]
        # Different invalid byte strings can decode to the same text, or to a
        # token already seen: the first one still wins.
        keep = []
        for i, t in enumerate(keys):
            if isinstance(t, bytes):
                text = t.decode("utf-8", "replace")
                if text in self.seen:
                    self.duplicates += 1
                    continue
                self.seen.add(text)
                keys[i] = text
            keep.append(i)
        if len(keep) != len(keys):
            return [keys[i] for i in keep], block[keep]
        return keys, block

    def _append(self, keys: list, block: Matrix) -> None:
        self.words.extend(keys)
        n, dim = self.n, self.rules.dim
        if n + len(block) > len(self.matrix):
            grown = empty_rows(max(int(len(self.matrix) * 1.5), n + len(block)), dim)
            grown[:n] = self.matrix[:n]
            self.matrix = grown
        self.matrix[n : n + len(block)] = block
        self.n = n + len(block)

    def result(self) -> RawVectors:
        matrix, n, dim = self.matrix, self.n, self.rules.dim
        # Shrinking in place, or to a view whose unused pages were never
        # touched, avoids a second copy of a matrix that may be 2 GB.
        if matrix.base is None:
            matrix.resize((n, dim), refcheck=False)
        else:
            matrix = matrix[:n]
        return RawVectors(
            self.words,
            matrix,
            dim,
            None,
            self.lineno - 1,
            [],
            self.duplicates,
            self.bad_utf8,
            sorted(self.rules.skipped),
        )


def read_all(
    pieces: Iterator[Piece],
    rules: RowRules,
    invalid_utf8: str,
    first: list[bytes],
    start: int,
    capacity: int,
    read_csv: bulk.ReadCsv | None,
) -> RawVectors:
    """Every row after `first` (line `start` on), in file order, duplicates dropped."""
    dim = rules.dim
    rows = _Rows(rules, invalid_utf8, capacity, start)
    raw = read_csv is not None and all(line == line.rstrip() for line in first[:64])
    workers = PARSE_THREADS if read_csv is not None else 1
    queued: collections.deque = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        try:
            for piece in chain(first, pieces):
                if isinstance(piece, tuple) and (
                    not raw or b"\r" in piece[0] or b"\r" in piece[1]
                ):
                    piece = lines(piece)
                if isinstance(piece, tuple):
                    job = pool.submit(bulk.parse_rows, piece, dim, read_csv)
                else:
                    split = bulk.split_values(piece)
                    job = None
                    if split is not None:
                        job = pool.submit(
                            bulk.parse_values, *split, len(piece), dim, read_csv
                        )
                queued.append((piece, job))
                # One block more than the workers: the next one is read
                # while both parse.
                while len(queued) > workers + 1:
                    rows.take(*queued.popleft(), read_csv)
            while queued:
                rows.take(*queued.popleft(), read_csv)
        finally:
            for _, job in queued:
                if job is not None:
                    job.cancel()
    return rows.result()
