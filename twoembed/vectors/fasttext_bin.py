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
import mmap
import os
import re
import struct

import numpy as np

from twoembed.vectors.options import LoadOptions
from twoembed.vectors.result import RawVectors
from twoembed.vectors.subwords import MappedMatrix, mean_rows
from twoembed.vectors.wanted import Wanted, decode_tokens, first_of_each

MAGIC = 793712314
VERSIONS = (11, 12)
_ARGS = struct.Struct("<12id")
_ARG_NAMES = (
    "dim ws epoch min_count neg word_ngrams loss model bucket minn maxn "
    "lr_update_rate t"
).split()
_ENTRY = re.compile(rb"([^\x00]*)\x00(?s:.{9})")


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
        with MappedMatrix(self) as matrix:
            return mean_rows(matrix, self, tokens, [None] * len(tokens))[0]


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
    with MappedMatrix(model) as matrix:
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
