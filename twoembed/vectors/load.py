"""`load_glove`: checks its arguments, asks the cache or a format's reader, reports."""

from __future__ import annotations

import dataclasses
import gzip
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from twoembed._checks import check_tokens
from twoembed._files import PathLike
from twoembed.vectors.cache import cache_key, cache_read, cache_write
from twoembed.vectors.coverage import check_counts, make_report
from twoembed.vectors.options import LoadOptions
from twoembed.vectors.result import LoadedVectors, RawVectors
from twoembed.vectors.sources import kind
from twoembed.vectors.text_format import read_text

# A format's reader: (path, words or None, options) -> (rows, label).
Reader = Callable[[str, "list[str] | None", LoadOptions], "tuple[RawVectors, str]"]
READERS: dict[str, Reader] = {"text": read_text}


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
    return load(
        path,
        words,
        counts=counts,
        cache_dir=cache_dir,
        options=LoadOptions(
            lowercase_fallback=lowercase_fallback,
            member=member,
            dim=dim,
            on_bad_row=on_bad_row,
            invalid_utf8=invalid_utf8,
            header=header,
            verbose=verbose,
        ),
    )


def load(
    path: PathLike,
    words: Iterable[str] | None = None,
    *,
    counts: Mapping[str, int] | Iterable[str] | None = None,
    cache_dir: PathLike | None = None,
    options: LoadOptions | None = None,
    format: str = "text",
) -> LoadedVectors:
    """`load_glove` with its options in one object, for a format in `READERS`.

    Example:

    >>> load("vec.txt", options=LoadOptions(on_bad_row="skip"))  # doctest: +SKIP
    """
    started = time.perf_counter()
    options = LoadOptions() if options is None else options
    path = os.fspath(path)
    requested = None if words is None else check_tokens(words, "words", unique=False)
    corpus = check_counts(counts)
    if format not in READERS:
        raise ValueError(
            f"`format` must be one of {sorted(READERS)}. Received: format={format!r}"
        )
    if options.member is None and options.dim is not None and kind(path) == "zip":
        options = dataclasses.replace(options, member=options.dim)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No vector file at {path!r}. Received: path={path!r}")
    raw, label, from_cache = _read_or_cached(
        READERS[format], path, requested, options, cache_dir
    )
    report = make_report(
        label, raw, requested, corpus, from_cache, time.perf_counter() - started
    )
    return LoadedVectors(list(raw.words), raw.matrix, report)


def _read_or_cached(
    reader: Reader,
    path: str,
    requested: list[str] | None,
    options: LoadOptions,
    cache_dir: PathLike | None,
) -> tuple[RawVectors, str, bool]:
    """The rows from the cache if it holds them, else read (and cached)."""
    if cache_dir is None:
        return *_read(reader, path, requested, options), False
    cache_dir = os.path.expanduser(os.fspath(cache_dir))
    key = cache_key(
        path, options.member, requested, options.cache_options(requested is not None)
    )
    raw = cache_read(cache_dir, key)
    if raw is not None:
        label = f"{path}:{options.member}" if kind(path) == "zip" else path
        return raw, label, True
    raw, label = _read(reader, path, requested, options)
    cache_write(cache_dir, key, raw)
    return raw, label, False


def _read(
    reader: Reader, path: str, requested: list[str] | None, options: LoadOptions
) -> tuple[RawVectors, str]:
    """Runs `reader`, turning a corrupt archive's errors into a ValueError."""
    try:
        return reader(path, requested, options)
    except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{path} is not a readable {kind(path)} file: {error}"
        ) from None
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        # bz2 reports a corrupt stream as a bare OSError.
        raise ValueError(f"Cannot read {path}: {error}") from None
