"""`load_vectors` (alias `load_glove`): checks its arguments, detects the
format, asks the cache or the format's reader, reports."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import os
import stat
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import numpy as np

from twoembed._checks import check_tokens
from twoembed._files import PathLike
from twoembed.vectors.cache import cache_key, cache_read, cache_write
from twoembed.vectors.coverage import check_counts, make_report
from twoembed.vectors.detect import FORMATS, check_format
from twoembed.vectors.fasttext_bin import Model, read_fasttext
from twoembed.vectors.in_memory import is_in_memory, read_in_memory
from twoembed.vectors.limits import MAX_DIM
from twoembed.vectors.options import LoadOptions
from twoembed.vectors.result import LoadedVectors, RawVectors
from twoembed.vectors.sources import kind
from twoembed.vectors.text_format import read_text
from twoembed.vectors.word2vec_binary import read_word2vec

# A format's reader: (path, words or None, options) -> (rows, label).
Reader = Callable[[str, "list[str] | None", LoadOptions], "tuple[RawVectors, str]"]
READERS: dict[str, Reader] = {
    "text": read_text,
    "word2vec-binary": read_word2vec,
    "fasttext": read_fasttext,
}


def load_vectors(
    path: PathLike | object,
    words: Iterable[str] | None = None,
    *,
    counts: Mapping[str, int] | Iterable[str] | None = None,
    format: Literal["auto", "text", "word2vec-binary", "fasttext"] = "auto",
    subwords: bool = True,
    lowercase_fallback: bool = False,
    member: str | int | None = None,
    dim: int | None = None,
    on_bad_row: Literal["raise", "skip"] = "raise",
    invalid_utf8: Literal["replace", "skip"] = "replace",
    header: bool | None = None,
    cache_dir: PathLike | None = None,
    verbose: int = 1,
    max_dim: int | None = MAX_DIM,
) -> LoadedVectors:
    """Loads word vectors from a file (text, word2vec binary, fastText
    `.bin`) or from memory. `load_glove` is this same function.

    Args:
        path: a GloVe/word2vec/fastText text file (`.txt`/`.vec`), a
            word2vec binary (`.bin`), each optionally `.gz`, `.bz2` or in a
            `.zip`, or a fastText model `.bin`. A `count dim` first line is
            detected and skipped. Or vectors in memory: an object with
            `index_to_key` and `vectors` (gensim's `KeyedVectors`), or a
            `(words, matrix)` pair.
        words: the words to load, e.g. the corpus vocabulary. Only those the
            file has are returned, in this order, each once. None loads every
            row in file order.
        counts: corpus counts (a mapping word -> count, or an iterable of
            corpus tokens) for the token coverage and to order `missing`.
        format: `"auto"` detects it from the content: fastText's magic
            number (or a pre-2017 model's arguments), a `count dim` line
            followed by binary rows, else text. Or name it; a binary file
            read as `"text"` (or the reverse) is an error.
        subwords: for a fastText `.bin`, requested words outside its
            dictionary get fastText's vector from their character n-grams
            (listed in `report.from_subwords`); False reports them missing.
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
        header: for text files, whether the first line is a `count dim`
            header. None detects it: two integers followed by a line with at
            least `dim` values. Only a 1-value file can fool that (its row
            `"2 1"` looks like a header); say True or False there.
        cache_dir: opt-in cache. The result is stored there as `.npy` (read
            back memory-mapped, copy-on-write: changing it in place leaves
            the cache alone) plus JSON, keyed by the file's path, size and
            mtime, the words and the options; an entry that does not match
            is never used, and those of an older version of the file are
            deleted when a new one is written. Not used for vectors in memory.
        verbose: 0 silences the progress line, which is otherwise shown on
            an interactive stderr when the load takes over 2 seconds.
        max_dim: the largest vector size read from a file's header or rows
            (131072 by default; None: no cap): a guard against a corrupt or
            hostile file. A `dim` you pass is not capped.

    Limits: a line longer than 64 MiB is refused (ValueError naming the
    file and line), so memory stays bounded whatever the file holds. A
    whole-file load warns when a `count dim` header's count differs from
    the rows read (a truncated or padded file). A path that is not a regular
    file (a pipe, a device), a tar archive, a compression other than gzip,
    bz2 and zip, and an encrypted or Deflate64 zip member are refused; with
    `words`, so is a file whose first row is not a row.

    Returns:
        A `LoadedVectors` that unpacks as `(words, matrix)`, float32 matrix
        of shape `(len(words), dim)`, with `.report` and `.missing`, and for
        a fastText `.bin` a `.subword_vectors(words)` function.

    Example:

    >>> words, matrix = load_vectors("glove.6B.50d.txt", ["the", "cat"])
    ... # doctest: +SKIP
    >>> result = load_vectors("cc.en.300.bin", corpus_words)  # doctest: +SKIP
    >>> import numpy as np
    >>> load_vectors((["a", "b"], np.eye(2)), ["b", "c"]).report.missing
    ('c',)
    """
    return load(
        path,
        words,
        counts=counts,
        cache_dir=cache_dir,
        format=format,
        options=LoadOptions(
            subwords=subwords,
            lowercase_fallback=lowercase_fallback,
            member=member,
            dim=dim,
            on_bad_row=on_bad_row,
            invalid_utf8=invalid_utf8,
            header=header,
            verbose=verbose,
            max_dim=max_dim,
        ),
    )


load_glove = load_vectors


def load(
    path: PathLike | object,
    words: Iterable[str] | None = None,
    *,
    counts: Mapping[str, int] | Iterable[str] | None = None,
    cache_dir: PathLike | None = None,
    options: LoadOptions | None = None,
    format: str = "auto",
) -> LoadedVectors:
    """`load_vectors` with its options in one object.

    Example:

    >>> load("vec.txt", options=LoadOptions(on_bad_row="skip"))  # doctest: +SKIP
    """
    started = time.perf_counter()
    options = LoadOptions() if options is None else options
    if cache_dir is not None:
        cache_dir = _check_path(cache_dir, "cache_dir")
    requested = None if words is None else check_tokens(words, "words", unique=False)
    corpus = check_counts(counts)
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {FORMATS}. Received: format={format!r}"
        )
    if is_in_memory(path):
        raw, label = read_in_memory(path, requested, options)
        _warn_non_finite(label, raw)
        report = make_report(
            label,
            raw,
            requested,
            corpus,
            False,
            time.perf_counter() - started,
            "in-memory",
        )
        return LoadedVectors(list(raw.words), raw.matrix, report)
    try:
        path = os.fspath(path)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            "`path` must be a file path, an object with `index_to_key` and "
            f"`vectors`, or a (words, matrix) pair. Received: {type(path).__name__}"
        ) from None
    path = _check_path(path, "path")  # a bytes path is refused here
    if options.member is None and options.dim is not None and kind(path) == "zip":
        options = dataclasses.replace(options, member=options.dim)
    _check_exists(path)
    format = _read(check_format, path, options.member, format)
    raw, label, from_cache = _read_or_cached(
        format, path, requested, options, cache_dir
    )
    if requested is None:
        _check_header_count(label, raw, options.invalid_utf8 == "skip")
    if not from_cache:  # checked when the entry was read
        _warn_non_finite(label, raw)
    report = make_report(
        label,
        raw,
        requested,
        corpus,
        from_cache,
        time.perf_counter() - started,
        format,
    )
    subword_vectors = (
        None if raw.source is None else Model(**raw.source).subword_vectors
    )
    return LoadedVectors(list(raw.words), raw.matrix, report, subword_vectors)


def _read_or_cached(
    format: str,
    path: str,
    requested: list[str] | None,
    options: LoadOptions,
    cache_dir: PathLike | None,
) -> tuple[RawVectors, str, bool]:
    """The rows from the cache if it holds them, else read (and cached)."""
    reader = READERS[format]
    if cache_dir is None:
        return *_read(reader, path, requested, options), False
    cache_dir = os.path.expanduser(os.fspath(cache_dir))
    cached = options.cache_options(requested is not None)
    if format != "text":  # text keys stay as 0.1.0 wrote them
        cached = {**cached, "format": format, "subwords": options.subwords}
    key = cache_key(path, options.member, requested, cached)
    raw = cache_read(cache_dir, key)
    if raw is not None:
        label = f"{path}:{options.member}" if kind(path) == "zip" else path
        return raw, label, True
    raw, label = _read(reader, path, requested, options)
    cache_write(cache_dir, key, raw)
    return raw, label, False


def _read(reader: Callable, path: str, *args: object):
    """Runs `reader(path, ...)`, turning a corrupt archive's errors into a
    ValueError."""
    try:
        return reader(path, *args)
    except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{path} is not a readable {kind(path)} file: {error}"
        ) from None
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        # bz2 reports a corrupt stream as a bare OSError.
        raise ValueError(f"Cannot read {path}: {error}") from None


def _check_path(path: object, what: str) -> str:
    """`path` as a str; bytes paths are refused (the file name goes into
    messages, cache keys and JSON as text)."""
    try:
        text = os.fspath(path)  # type: ignore[arg-type]
    except TypeError:
        text = None
    if not isinstance(text, str):
        raise TypeError(
            f"`{what}` must be a str or os.PathLike[str]. Received: "
            f"{what}={path!r} of type {type(path).__name__}"
        )
    return text


# What a path that is neither a regular file nor a directory leads to.
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_exists(path: str) -> None:
    """Refuses a missing path, a symlink loop, and a path that is not a
    regular file: a pipe (`/dev/stdin`, `<(cat f)`) would lose the bytes
    read to detect its format before the reader opens it again."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No vector file at {path!r}. Received: path={path!r}"
        ) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ValueError(
                f"{path!r} is a loop of symbolic links: it leads to no file. "
                f"Received: path={path!r}"
            ) from None
        raise ValueError(
            f"Cannot open {path!r}: {error.strerror}. Received: path={path!r}"
        ) from None
    for test, what in _NOT_REGULAR:
        if test(mode):
            raise ValueError(
                f"{path!r} is {what}, not a regular file: a vector file is "
                "read more than once (its first bytes to detect the format, "
                "then its rows), so give a regular file. Save the stream to a "
                "file first; .gz, .bz2 and .zip files are decompressed by the "
                f"loader itself. Received: path={path!r}"
            )


def _warn_non_finite(label: str, raw: RawVectors, chunk_rows: int = 16384) -> None:
    """Warns when rows hold nan or inf (a value past float32's range, such as
    1e39, became inf): `build_embedding_block` would refuse them. One pass
    in chunks, at about 1% of a whole-file load's time."""
    matrix, bad = raw.matrix, []
    for start in range(0, len(matrix), chunk_rows):
        chunk = matrix[start : start + chunk_rows]
        if not np.isfinite(chunk).all():
            rows = np.flatnonzero(~np.isfinite(chunk).all(axis=1)) + start
            bad.extend(rows.tolist())
    if bad:
        words = [raw.words[i] for i in bad[:5]]
        warnings.warn(
            f"{label}: {len(bad)} {'row holds' if len(bad) == 1 else 'rows hold'} "
            "nan or inf (a value past float32's range, about 3.4e38, becomes inf), "
            f"e.g. {words!r}; build_embedding_block refuses such rows: mend the "
            "file, or leave those words out with `words=`.",
            UserWarning,
            stacklevel=4,
        )


def _check_header_count(label: str, raw: RawVectors, utf8_skipped: bool) -> None:
    """Warns when a header's row count differs from the rows the file holds
    (the rows kept, and those dropped as duplicates, bad or invalid UTF-8)."""
    if raw.header is None:
        return
    rows = len(raw.words) + raw.duplicates + len(raw.skipped_rows)
    rows += raw.invalid_utf8 if utf8_skipped else 0
    if raw.header[0] != rows:
        warnings.warn(
            f"{label}: its `count dim` header says {raw.header[0]} rows, but "
            f"{rows} {'was' if rows == 1 else 'were'} read; the file may be "
            "truncated, or the header wrong.",
            UserWarning,
            stacklevel=4,
        )
