"""fastText's subword vectors: the n-grams of words, hashed, and the mean of
their rows, read from the memory-mapped input matrix of a `.bin`.

The n-grams of a word are the substrings of `<word>` of `minn` to `maxn`
characters (UTF-8 aware; `<` and `>` alone excluded), hashed with 32-bit
FNV-1a over their bytes taken as signed chars (`Dictionary::hash`) into
`bucket` rows after the `nwords` word rows (`Dictionary::computeSubwords`).
A word's vector is the mean of its own row, if any, and those rows
(`FastText::getWordVector`).

Example:

>>> vectors = mean_rows(matrix, model, [b"cat"], [None])  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import mmap
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twoembed.vectors.fasttext_bin import Model

EOS = b"</s>"
# Memory one gather may touch: bounds the pages of the matrix held at once.
_CHUNK_BYTES = 32 << 20
# Words whose n-grams are hashed at once: bounds the index arrays.
_WORD_BATCH = 1 << 16
_FNV_BASIS = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)


class MappedMatrix:
    """The input matrix, memory-mapped read-only."""

    def __init__(self, model: Model):
        self.model = model

    def __enter__(self) -> MappedMatrix:
        with open(self.model.path, "rb") as f:
            self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(mmap, "MADV_RANDOM"):
            # Rows are read scattered: without this, each fault maps (and
            # counts in the process' memory) up to 64 KiB around the row.
            self.map.madvise(mmap.MADV_RANDOM)
        rows, row_bytes = self.model.nwords + self.model.bucket, 4 * self.model.dim
        # Rows of bytes: the matrix starts at any offset, and NumPy may copy
        # a misaligned float32 array before indexing it.
        self.rows = np.frombuffer(
            self.map, np.uint8, rows * row_bytes, self.model.matrix_offset
        ).reshape(rows, row_bytes)
        return self

    def take(self, rows: np.ndarray) -> np.ndarray:
        """Rows as float32; the pages they touched are released afterwards,
        so the process never holds more of the matrix than one take."""
        values = self.rows[rows].view("<f4").astype(np.float32, copy=False)
        if hasattr(mmap, "MADV_DONTNEED"):
            start = self.model.matrix_offset - self.model.matrix_offset % mmap.PAGESIZE
            self.map.madvise(mmap.MADV_DONTNEED, start, len(self.map) - start)
        return values

    def __exit__(self, *exc: object) -> None:
        del self.rows
        self.map.close()


def subword_rows(tokens: list[bytes], model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram rows of each token (fastText's `computeSubwords`).

    Returns `(rows, owner)`: input-matrix rows and the index of the token
    each belongs to. Vectorised over all characters of all tokens: FNV-1a
    is extended one character per step, for every start position at once.
    """
    if model.maxn < 1 or model.bucket < 1 or not tokens:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    wrapped = [b"<" + t + b">" if t != EOS else b"" for t in tokens]
    data = np.frombuffer(b"".join(wrapped), np.uint8)
    lengths = np.fromiter(map(len, wrapped), np.int64, len(wrapped))
    is_start = (data & 0xC0) != 0x80
    char_at = np.flatnonzero(is_start)  # byte offset of every character
    char_end = np.append(char_at[1:], len(data))
    word_of_byte = np.repeat(np.arange(len(tokens)), lengths)
    owner_all = word_of_byte[char_at]
    nchars = np.bincount(owner_all, minlength=len(tokens))
    first_char = np.cumsum(nchars) - nchars
    position = np.arange(len(char_at)) - first_char[owner_all]
    left = nchars[owner_all] - position  # characters from here to the end
    signed = data.view(np.int8).astype(np.int32).view(np.uint32)

    active = np.arange(len(char_at))  # start characters still extending
    hashes = np.full(len(char_at), _FNV_BASIS, np.uint32)
    rows, owners = [], []
    for n in range(1, model.maxn + 1):
        keep = left[active] >= n
        active, hashes = active[keep], hashes[keep]
        if not len(active):
            break
        char = active + (n - 1)
        begin, width = char_at[char], char_end[char] - char_at[char]
        for b in range(int(width.max())):
            more = width > b
            hashes[more] = (hashes[more] ^ signed[begin[more] + b]) * _FNV_PRIME
        if n >= model.minn:
            take = np.ones(len(active), bool)
            if n == 1:  # "<" and ">" alone are not n-grams
                take = (position[active] != 0) & (left[active] != 1)
            rows.append(model.nwords + (hashes[take] % model.bucket).astype(np.int64))
            owners.append(owner_all[active[take]])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(owners)


def mean_rows(
    matrix: MappedMatrix, model: Model, tokens: list[bytes], ids: list[int | None]
) -> tuple[np.ndarray, np.ndarray]:
    """fastText's vector of each token: the mean of its own row (`ids[k]`,
    None outside the dictionary) and its n-gram rows.

    Returns float32 `(len(tokens), dim)` and the number of rows averaged.
    The sum goes rank by rank: first every token's first row, then every
    token's second row, ...; within a rank no token repeats, so each step
    is one gather and one fancy-indexed add, with no per-token reduction.
    """
    out = np.zeros((len(tokens), model.dim), np.float32)
    counts = np.zeros(len(tokens), np.int64)
    span = max(1, _CHUNK_BYTES // (4 * model.dim))  # rows of one take's span
    total = model.nwords + model.bucket
    for start in range(0, len(tokens), _WORD_BATCH):
        batch = tokens[start : start + _WORD_BATCH]
        rows, owner = subword_rows(batch, model)
        batch_ids = ids[start : start + len(batch)]
        own = [(k, i) for k, i in enumerate(batch_ids) if i is not None]
        if own:  # first: a stable sort keeps them at rank 0
            rows = np.concatenate([np.array([i for _, i in own], np.int64), rows])
            owner = np.concatenate([np.array([k for k, _ in own], np.int64), owner])
        if not len(rows):
            continue
        counts[start : start + len(batch)] += np.bincount(owner, minlength=len(batch))
        by_owner = np.argsort(_small(owner), kind="stable")
        sorted_owner = owner[by_owner]
        run_starts = np.flatnonzero(np.r_[True, sorted_owner[1:] != sorted_owner[:-1]])
        lengths = np.diff(np.r_[run_starts, len(owner)])
        rank = np.arange(len(owner)) - np.repeat(run_starts, lengths)
        rank[by_owner] = rank.copy()  # back in the order of `rows`
        # Each take reads the rows of one rank inside one span of the file:
        # the kernel maps up to 64 KiB around each row it faults in, so a
        # take must not scatter over the whole matrix.
        cell = rank * (total // span + 1) + rows // span
        order = np.argsort(cell, kind="stable")
        cell = cell[order]
        edges = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1], True])
        for a, b in itertools.pairwise(edges):
            picked = order[a:b]
            out[start + owner[picked]] += matrix.take(rows[picked])
    has = counts > 0
    out[has] /= counts[has, None].astype(np.float32)
    return out, counts


def _small(keys: np.ndarray) -> np.ndarray:
    """`keys` as uint16 when they fit: NumPy's stable sort is then a radix sort."""
    return keys.astype(np.uint16) if keys.max(initial=0) < 1 << 16 else keys
