"""Reading only the rows of selected words: a token scan, rows parsed in batches.

Only the token of each line is looked at (the bytes before the first space,
found in place: the block is not split into lines) and only the rows of the
wanted words are split and parsed, in bulk. With pandas, a batch of rows is
parsed in a worker thread while the scan goes on (pandas releases the GIL).
Batches are settled in file order, and before a later row's error is raised,
so errors are the same as with parsing in place.
"""

from __future__ import annotations

import collections
import concurrent.futures
from collections.abc import Iterator

import numpy as np

from twoembed.vectors import bulk
from twoembed.vectors.result import RawVectors
from twoembed.vectors.rows import RowRules, careful_block
from twoembed.vectors.sources import LineTooLong, Piece, chain
from twoembed.vectors.wanted import Wanted


def hits(
    piece: list[bytes] | Piece, prefixes: set[bytes]
) -> tuple[int, list[tuple[int, bytes]]]:
    """Counts the lines of a piece; returns those whose prefix is wanted.

    The prefix is what precedes the first space (a line without one loses
    its last byte, a CR if any). The lines of a `Piece` are found in place:
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


class _Table:
    """One slot per file token of interest (`Wanted.slot_of`), filled as rows
    are parsed."""

    def __init__(self, wanted: Wanted, dim: int):
        self.slot_of = wanted.slot_of  # several words may share a slot
        self.matrix = np.zeros((len(self.slot_of), dim), np.float32)
        self.filled = np.zeros(len(self.slot_of), bool)


class _Batches:
    """Rows waiting to be parsed, and batches parsing in a worker thread."""

    def __init__(
        self,
        rules: RowRules,
        table: _Table,
        pool: concurrent.futures.Executor,
        read_csv: bulk.ReadCsv | None,
    ):
        self.rules, self.table, self.pool, self.read_csv = rules, table, pool, read_csv
        self.parse_ahead = read_csv is not None
        self.running: collections.deque = collections.deque()
        self._clear()

    def _clear(self) -> None:
        self.values: list[bytes] = []
        self.linenos: list[int] = []
        self.slots: list[int] = []
        self.nbytes = 0

    def add(self, values: bytes, lineno: int, slot: int) -> None:
        self.values.append(values)
        self.linenos.append(lineno)
        self.slots.append(slot)
        self.nbytes += len(values)

    def flush(self) -> None:
        """Starts parsing the waiting rows; settles all but the newest batch."""
        job = None
        if self.parse_ahead and self.values:
            text = b"\n".join(self.values)
            dim = self.rules.dim
            job = self.pool.submit(
                bulk.parse_fast, text, len(self.values), dim, self.read_csv
            )
        self.running.append((self.values, self.linenos, self.slots, job))
        self._clear()
        while len(self.running) > self.parse_ahead:
            self.settle()

    def settle(self) -> None:
        """Puts the oldest batch's rows in the table (or raises its bad row)."""
        values, linenos, slots, job = self.running.popleft()
        block = None if job is None else job.result()
        if block is None:
            block, kept = self.rules.parse(values, linenos)
            slots = [slots[i] for i in kept]
        self.table.matrix[slots] = block
        self.table.filled[slots] = True

    def settle_all(self) -> None:
        while self.running:
            self.settle()


def read_some(
    pieces: Iterator[Piece],
    rules: RowRules,
    requested: list[str],
    lowercase_fallback: bool,
    first: list[bytes],
    start: int,
    parse_batch: int,
    read_csv: bulk.ReadCsv | None,
) -> RawVectors:
    """The rows of `requested` words, in the order asked, each once.

    The first row is checked as a whole-file load checks it, requested or
    not: it set `dim`, and a file that is no vector file at all (a JSON
    vocabulary, a `.npy`) would otherwise load as "0 vectors".
    """
    check_first_row(rules, first, start)
    dim = rules.dim
    wanted = Wanted(requested, lowercase_fallback)
    table = _Table(wanted, dim)
    slot_of = table.slot_of
    # A line is looked at only if the bytes before its first space could
    # start a wanted token; tokens with spaces are matched by their prefix.
    prefixes = {t.split(b" ", 1)[0] for t in slot_of}
    claimed: set[int] = set()
    duplicates = 0
    lineno = start
    lines_read = start - 1
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        batches = _Batches(rules, table, pool, read_csv)
        try:
            for piece in chain(first, pieces):
                count, found = hits(piece, prefixes)
                lines_read += count
                for k, line in found:
                    s = line.rstrip()
                    first_field = s.split(b" ", 1)[0]
                    if s.count(b" ") < dim and first_field not in slot_of:
                        continue  # a short line whose prefix happened to match
                    split = rules.split(s, lineno + k)
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
                    batches.add(values, lineno + k, slot)
                lineno += count
                if batches.nbytes >= parse_batch:
                    batches.flush()
            batches.flush()
            batches.settle_all()
        except ValueError:
            # A batch before the bad row may hold an earlier bad row.
            batches.settle_all()
            raise
        except LineTooLong as error:
            batches.settle_all()
            raise error.error(rules.label, lineno) from None
    words, slots, lowercased = wanted.pick(table.filled)
    matrix = table.matrix
    return RawVectors(
        words,
        matrix if slots == list(range(len(matrix))) else matrix[slots],
        dim,
        None,
        lines_read,
        lowercased,
        duplicates,
        0,
        sorted(set(rules.skipped)),  # the first row may be skipped twice
    )


def check_first_row(rules: RowRules, first: list[bytes], start: int) -> None:
    """Parses the first non-blank line of `first` (line `start` on): a bad
    row is raised, or skipped, as `rules` says."""
    for k, line in enumerate(first):
        if line.strip():
            careful_block(rules, [line], start + k)
            return
