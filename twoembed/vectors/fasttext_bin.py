"""Reading fastText's `.bin` models: the word vectors, subwords included.

The layout, top to bottom, as fastText writes it (`FastText::saveModel`;
all little-endian, `i32`/`i64`/`f64`):

- magic `i32` 793712314 and version `i32` (11 or 12). Files from fastText
  before 2017 lack both: they start with the arguments (as gensim detects
  them: the first `i32` is not the magic number);
- the arguments (`Args::save`): dim, ws, epoch, minCount, neg, wordNgrams,
  loss, model, bucket, minn, maxn, lrUpdateRate as `i32`, t as `f64`;
- the dictionary (`Dictionary::save`): size, nwords, nlabels as `i32`,
  ntokens `i64`, pruneidx_size `i64` (not in old files), then `size`
  entries of a NUL-terminated token, a count `i64` and a type `i8` (0 word,
  1 label; words come first), then `pruneidx_size` pairs of `i32`;
- a byte `quant_input` (not in old files; 1 in a quantized `.ftz`);
- the input matrix (`DenseMatrix::save`): rows `i64` = nwords + bucket,
  dim `i64`, then float32 values row by row; then the output matrix.

A word's vector is what fastText's `getWordVector` gives: the mean of its
own input row (if it is in the dictionary) and the rows of its character
n-grams: the substrings of `<word>` of `minn` to `maxn` characters (UTF-8
aware), each hashed with 32-bit FNV-1a over its bytes taken as signed
chars, modulo `bucket`, at row `nwords + hash`. The matrix is memory-mapped
and read in row order, chunk by chunk, the pages of each chunk released
after use, so a filtered load never holds the matrix.

Example:

>>> vectors = read_fasttext_bin("cc.en.300.bin", Wanted(["cat"], False))
... # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import itertools
import mmap
import os
import re
import struct

import numpy as np

from twoembed.vectors.options import LoadOptions
from twoembed.vectors.result import RawVectors
from twoembed.vectors.wanted import Wanted, decode_tokens, first_of_each

MAGIC = 793712314
VERSIONS = (11, 12)
EOS = b"</s>"
_ARGS = struct.Struct("<12id")
_ARG_NAMES = (
    "dim ws epoch min_count neg word_ngrams loss model bucket minn maxn "
    "lr_update_rate t"
).split()
_ENTRY = re.compile(rb"([^\x00]*)\x00(?s:.{9})")
# Memory one gather may touch: bounds the pages of the matrix held at once.
_CHUNK_BYTES = 32 << 20
# Words whose n-grams are hashed at once: bounds the index arrays.
_WORD_BATCH = 1 << 16
_FNV_BASIS = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)


def is_fasttext_bin(head: bytes) -> bool:
    """Whether a file starts with fastText's magic number."""
    return len(head) >= 4 and struct.unpack("<i", head[:4])[0] == MAGIC


def looks_like_old_fasttext(head: bytes) -> bool:
    """Whether a file starts with the arguments of a pre-2017 fastText model."""
    if len(head) < _ARGS.size:
        return False
    return _plausible(dict(zip(_ARG_NAMES, _ARGS.unpack_from(head), strict=True)))


def _plausible(args: dict) -> bool:
    return (
        0 < args["dim"] <= 100_000
        and 0 < args["ws"] <= 1000
        and 0 < args["epoch"] <= 100_000
        and args["loss"] in (1, 2, 3, 4)
        and args["model"] in (1, 2, 3)
        and args["bucket"] >= 0
        and 0 <= args["minn"] <= args["maxn"] <= 100
        and 0.0 <= args["t"] < 1.0
    )


@dataclasses.dataclass(frozen=True)
class Model:
    """Where the pieces of a `.bin` are, and the arguments subwords need."""

    path: str
    size: int
    mtime: int
    dim: int
    minn: int
    maxn: int
    bucket: int
    nwords: int
    matrix_offset: int
    supervised: bool

    def subword_vectors(self, words: list[str]) -> np.ndarray:
        """fastText's vector for words outside its dictionary: the mean of
        their n-gram rows, float32 `(len(words), dim)`; a row of zeros for a
        word without n-grams (as fastText gives).

        Example:

        >>> result = twoembed.load_vectors("cc.en.300.bin", ["cat"])
        ... # doctest: +SKIP
        >>> result.subword_vectors(["catz", "dogz"]).shape  # doctest: +SKIP
        (2, 300)
        """
        stat = os.stat(self.path)
        if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime):
            raise ValueError(
                f"{self.path} changed since it was loaded: its subword vectors "
                "would not match. Load it again."
            )
        tokens = [w.encode("utf-8") for w in words]
        with _Matrix(self) as matrix:
            return mean_rows(matrix, self, tokens, [None] * len(tokens))[0]


class _Matrix:
    """The input matrix, memory-mapped read-only."""

    def __init__(self, model: Model):
        self.model = model

    def __enter__(self) -> _Matrix:
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


def read_fasttext(
    path: str, requested: list[str] | None, options: LoadOptions
) -> tuple[RawVectors, str]:
    """The reader of `format="fasttext"` (see `twoembed.vectors`).

    Example:

    >>> raw, label = read_fasttext("cc.en.300.bin", ["the"], LoadOptions())
    ... # doctest: +SKIP
    """
    wanted = (
        None if requested is None else Wanted(requested, options.lowercase_fallback)
    )
    raw, model = read_fasttext_bin(path, wanted, options.invalid_utf8, options.subwords)
    if options.dim is not None and options.dim != model.dim:
        raise ValueError(
            f"{path}: the model's vectors have dim {model.dim}, but dim="
            f"{options.dim} was passed. Pass dim=None to use the model's."
        )
    return raw, path


def read_fasttext_bin(
    path: str,
    wanted: Wanted | None = None,
    invalid_utf8: str = "replace",
    subwords: bool = True,
) -> tuple[RawVectors, Model]:
    """Reads a fastText `.bin`; returns the vectors and the `Model`.

    With `wanted`, requested words outside the dictionary get their
    n-gram vector when `subwords` (listed in `from_subwords`), else they
    are missing. None gives every dictionary word (labels left out).

    Raises:
        ValueError: a wrong magic number or version, a quantized model, a
            file cut short (with the part, byte offset and bytes expected).
    """
    with open(path, "rb") as f:
        stat = os.fstat(f.fileno())
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if stat.st_size else b""
    try:
        model, entries = _read_layout(path, buf, stat)
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()
    tokens = entries[: model.nwords]
    with _Matrix(model) as matrix:
        if wanted is None:
            words, keep, invalid = decode_tokens(tokens, invalid_utf8)
            if keep is not None:
                tokens = [tokens[i] for i in keep]
                ids = keep.tolist()
            else:
                ids = list(range(len(tokens)))
            vectors, _ = mean_rows(matrix, model, tokens, ids)
            first = first_of_each(words)
            duplicates = 0
            if first is not None:
                duplicates = len(words) - len(first)
                words = [words[i] for i in first]
                vectors = vectors[first]
            result = RawVectors(
                words,
                vectors,
                model.dim,
                None,
                len(entries),
                [],
                duplicates,
                invalid,
                [],
                source=dataclasses.asdict(model),
            )
            return result, model
        id_of = {}
        for i, token in enumerate(tokens):
            if token in wanted.slot_of:
                id_of.setdefault(token, i)
        slot_tokens = list(wanted.slot_of)
        filled = np.array([t in id_of for t in slot_tokens], bool)
        found = [t for t in slot_tokens if t in id_of]
        table = np.zeros((len(slot_tokens), model.dim), np.float32)
        if found:
            vectors, _ = mean_rows(matrix, model, found, [id_of[t] for t in found])
            table[[wanted.slot_of[t] for t in found]] = vectors
        fallback: dict[str, int] = {}
        built: list[str] = []
        if subwords:
            others = wanted.unresolved(filled)
            vectors, counts = mean_rows(
                matrix, model, [w.encode("utf-8") for w in others], [None] * len(others)
            )
            has = counts > 0
            built = [w for w, h in zip(others, has, strict=True) if h]
            fallback = {w: len(table) + k for k, w in enumerate(built)}
            table = np.concatenate([table, vectors[has]])
        words, rows, lowercased = wanted.pick(filled, fallback)
        result = RawVectors(
            words,
            table[rows],
            model.dim,
            None,
            len(entries),
            lowercased,
            0,
            0,
            [],
            [w for w in words if w in fallback],
            dataclasses.asdict(model),
        )
        return result, model


def _read_layout(path: str, buf, stat: os.stat_result) -> tuple[Model, list[bytes]]:
    """Reads header, arguments and dictionary; checks the matrix is whole."""
    size = len(buf)

    def need(offset: int, nbytes: int, what: str) -> None:
        if offset + nbytes > size:
            raise ValueError(
                f"{path} is cut short inside {what}: at byte offset {offset}, "
                f"expected {nbytes} bytes, found {max(0, size - offset)} (file "
                f"size {size}). Is the download complete?"
            )

    need(0, 8, "the header")
    magic, version = struct.unpack_from("<2i", buf, 0)
    new_format = magic == MAGIC
    if new_format:
        if version not in VERSIONS:
            raise ValueError(
                f"{path} is a fastText model of version {version}, which this "
                f"reader does not know; expected one of {VERSIONS}."
            )
        offset = 8
    else:
        offset = 0
    if not new_format and not looks_like_old_fasttext(bytes(buf[: _ARGS.size])):
        raise ValueError(
            f"{path} is not a fastText .bin: expected the magic number {MAGIC} "
            f"(or the arguments of a pre-2017 model) at its start. Received: "
            f"{bytes(buf[:8])!r} (first int32 {magic})"
        )
    need(offset, _ARGS.size, "the model's arguments")
    args = dict(zip(_ARG_NAMES, _ARGS.unpack_from(buf, offset), strict=True))
    offset += _ARGS.size
    if args["dim"] < 1:
        raise ValueError(
            f"{path}: its arguments give dim {args['dim']}; expected at least 1."
        )
    if new_format and version == 11 and args["model"] == 3:
        args["maxn"] = 0  # as fastText: old supervised models use no n-grams

    head = "<3iqq" if new_format else "<3iq"
    need(offset, struct.calcsize(head), "the dictionary's header")
    counts = struct.unpack_from(head, buf, offset)
    offset += struct.calcsize(head)
    nentries, nwords, nlabels = counts[:3]
    prune = counts[4] if new_format else -1
    if not 0 <= nwords <= nentries or nlabels != nentries - nwords:
        raise ValueError(
            f"{path}: its dictionary header says {nentries} entries, {nwords} "
            f"words and {nlabels} labels; expected words + labels = entries."
        )
    entries, offset = _entries(path, buf, offset, nentries, need)
    if prune > 0:
        raise ValueError(
            f"{path} is a quantized fastText model (.ftz: pruned dictionary), "
            "which this reader does not read. Use the model's .bin, or its "
            ".vec as a text file."
        )
    if new_format:
        need(offset, 1, "the quantization flag")
        if buf[offset] != 0:
            raise ValueError(
                f"{path} is a quantized fastText model (.ftz), which this "
                "reader does not read. Use the model's .bin, or its .vec."
            )
        offset += 1
    need(offset, 16, "the input matrix's header")
    rows, cols = struct.unpack_from("<2q", buf, offset)
    offset += 16
    if cols != args["dim"] or rows != nwords + args["bucket"]:
        raise ValueError(
            f"{path}: its input matrix is {rows} x {cols}; expected "
            f"{nwords + args['bucket']} x {args['dim']} (words + buckets x dim)."
        )
    row_bytes = 4 * cols
    if offset + rows * row_bytes > size:
        whole = (size - offset) // row_bytes
        raise ValueError(
            f"{path} is cut short inside the input matrix: row {whole} (of "
            f"{rows}) at byte offset {offset + whole * row_bytes}, expected "
            f"{row_bytes} bytes per row ({rows * row_bytes} in all), found "
            f"{size - offset - whole * row_bytes}. Is the download complete?"
        )
    model = Model(
        path,
        stat.st_size,
        stat.st_mtime_ns,
        cols,
        args["minn"],
        args["maxn"],
        args["bucket"],
        nwords,
        offset,
        args["model"] == 3,
    )
    return model, entries


def _entries(path: str, buf, offset: int, count: int, need) -> tuple[list[bytes], int]:
    """The dictionary's tokens, read by regex passes (in C, no Python per
    entry) over windows of the file; returns them and the offset after the
    dictionary."""
    entries: list[bytes] = []
    window = max(1 << 16, 32 * count)
    while len(entries) < count:
        # A window may end inside an entry: that one is matched next time.
        found = _ENTRY.findall(buf, offset, min(len(buf), offset + window))
        found = found[: count - len(entries)]
        entries += found
        offset += sum(map(len, found)) + 10 * len(found)
        if not found and offset + window >= len(buf):
            raise ValueError(
                f"{path} is cut short inside the dictionary: entry "
                f"{len(entries) + 1} of {count} at byte offset {offset} has "
                f"{len(buf) - offset} bytes left; expected a NUL-terminated "
                "token, then 9 bytes (count, type). Is the download complete?"
            )
        window *= 2
    return entries, offset


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
    matrix: _Matrix, model: Model, tokens: list[bytes], ids: list[int | None]
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
