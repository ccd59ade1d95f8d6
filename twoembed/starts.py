"""Where the trainable rows start: `special_init` checked and turned into rows,
and the starts of promoted missing words.

A start is one of:

- a normal word: its pretrained vector;
- a list of normal words: the mean of their vectors (`["mean"]` is the word
  "mean", should the vocabulary hold it);
- `"mean"`: the mean of all pretrained rows;
- a vector of length `dim`.

Rows without a start keep the block's `special_initializer` draw. Starts
reach a model through its weights, never through `config.json`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from twoembed import fill
from twoembed.vocab import OOV, Vocabulary

__all__ = ["PROMOTED_STARTS", "promoted_starts", "start_rows"]

# What `LoadedVectors.vocabulary(promoted_start=...)` names; a callable
# `word -> vector or None` is a source too (a fastText model's subwords, say).
PROMOTED_STARTS = ("random", "mean", "case", "subword")

StartSource = str | Callable[[str], Any]


def start_rows(
    special_init: Mapping[Any, Any] | None, vocab: Vocabulary, matrix: np.ndarray
) -> dict[int, np.ndarray]:
    """The float32 start of each special-table row given a start.

    `vocab.starts` first, then `special_init` over it. Rows are those of the
    special table: special token `j` is row `j + 1`, OOV row `k + 1`.

    Example:

    >>> vocab = Vocabulary(["a", "b"], ["<u>"])
    >>> rows = start_rows({"<u>": "b", OOV: "mean"}, vocab, np.eye(2))
    >>> {row: vector.tolist() for row, vector in rows.items()}
    {1: [0.0, 1.0], 2: [0.5, 0.5]}
    """
    if special_init is not None and not isinstance(special_init, Mapping):
        raise TypeError(
            "`special_init` must be a mapping from a special token (or "
            "twoembed.OOV) to its start. Received: special_init of type "
            f"{type(special_init).__name__}"
        )
    given = {**vocab.starts, **(special_init or {})}
    row_of = {token: j + 1 for j, token in enumerate(vocab.special_tokens)}
    row_of[OOV] = len(vocab.special_tokens) + 1
    for key in given:
        if not isinstance(key, (str, type(OOV))) or key not in row_of:
            raise ValueError(
                f"`special_init` key {key!r} is neither a special token nor "
                "twoembed.OOV (the key of the OOV row). Special tokens: "
                f"{list(vocab.special_tokens)[:10]!r}"
            )
    word_row = {word: i for i, word in enumerate(vocab.words)}
    mean: list[np.ndarray] = []  # computed once, only when asked for

    def the_mean() -> np.ndarray:
        if not mean:
            mean.append(matrix_mean(matrix))
        return mean[0]

    return {
        row_of[key]: _start_vector(key, value, matrix, word_row, the_mean)
        for key, value in given.items()
    }


def _start_vector(
    key: Any,
    value: Any,
    matrix: np.ndarray,
    word_row: dict[str, int],
    the_mean: Callable[[], np.ndarray],
) -> np.ndarray:
    where = f"special_init[{key!r}]"
    if isinstance(value, str):
        if value == "mean":
            return the_mean()
        value = [value]
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, bytes)
        and value
        and all(isinstance(v, str) for v in value)
    ):
        value = list(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        unknown = [w for w in value if w not in word_row]
        if unknown:
            raise ValueError(
                f"{where} names {unknown[0]!r}, which is not one of the "
                f"vocabulary's {len(word_row)} normal words (a start word needs "
                f'a pretrained vector; "mean" is the mean of all of them). '
                f"Received: {where}={_short(value)}"
            )
        rows = matrix[[word_row[w] for w in value]].astype(np.float64)
        return rows.mean(axis=0).astype(np.float32)
    return _check_vector(where, value, matrix.shape[1])


def _check_vector(where: str, value: Any, dim: int) -> np.ndarray:
    try:
        vector = np.asarray(value)
    except Exception:  # ragged lists and the like
        vector = np.asarray(None)
    if vector.dtype == bool or not (
        np.issubdtype(vector.dtype, np.floating) or vector.dtype.kind in "iu"
    ):
        raise TypeError(
            f"{where} must be a normal word, a list of them, \"mean\" or a "
            f"vector of {dim} numbers. Received: {where}={_short(value)}"
        )
    if vector.shape != (dim,):
        raise ValueError(
            f"{where} must be a vector of length {dim} (the pretrained "
            f"vectors' dim). Received: {where} with shape {vector.shape}"
        )
    limit = float(np.finfo(np.float32).max)
    bad = ~np.isfinite(vector) | (np.abs(vector) > limit)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{where} must be finite and within float32's range (+-{limit:g}). "
            f"Received: {where}[{i}]={vector[i]}"
        )
    return vector.astype(np.float32)


def matrix_mean(matrix: np.ndarray) -> np.ndarray:
    """The mean row, summed in float64 chunk by chunk (no full-size copy)."""
    total = np.zeros(matrix.shape[1], dtype=np.float64)
    for start in range(0, matrix.shape[0], fill._FILL_CHUNK_ROWS):
        total += matrix[start : start + fill._FILL_CHUNK_ROWS].sum(
            axis=0, dtype=np.float64
        )
    return (total / max(1, matrix.shape[0])).astype(np.float32)


def promoted_starts(
    words: Sequence[str],
    promoted: Sequence[str],
    source: StartSource | Sequence[StartSource],
    subword: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """The start of each promoted word, for `Vocabulary(starts=)`.

    `source` is one of `PROMOTED_STARTS`, a callable `word -> vector or None`,
    or a sequence of these tried in order; the first that gives a start wins.
    `"case"` is the word's lowercase or capitalised form, where `words` holds
    it; `"mean"` always gives one; `"random"` none (the block's
    `special_initializer`). `"subword"` calls `subword`, which vectors read
    from a fastText model provide.

    Example:

    >>> promoted_starts(["paris", "the"], ["Paris", "zyx"], ("case", "mean"))
    {'Paris': 'paris', 'zyx': 'mean'}
    """
    sources = [source] if isinstance(source, str) or callable(source) else source
    try:
        sources = list(sources)
    except TypeError:
        sources = [source]
    if not sources:
        raise ValueError("`promoted_start` is empty. Received: promoted_start=()")
    for s in sources:
        if callable(s):
            continue
        if s not in PROMOTED_STARTS:
            raise ValueError(
                f"`promoted_start` must be one of {list(PROMOTED_STARTS)}, a "
                "callable `word -> vector or None`, or a sequence of these. "
                f"Received: promoted_start={source!r}"
            )
        if s == "subword" and subword is None:
            raise ValueError(
                '`promoted_start="subword"` needs vectors that carry subword '
                "information (a fastText .bin model); these do not. Use "
                '"case" or "mean", or pass a callable `word -> vector`.'
            )
    known = set(words)
    starts: dict[str, Any] = {}
    for word in promoted:
        for s in sources:
            start = _one_start(word, s, known, subword)
            if start is not None:
                starts[word] = start
                break
    return starts


def _one_start(
    word: str, source: StartSource, known: set[str], subword: Any
) -> Any:
    if source == "random":
        return None
    if source == "mean":
        return "mean"
    if source == "case":
        for form in (word.lower(), word[:1].upper() + word[1:], word.capitalize()):
            if form != word and form in known:
                return form
        return None
    found = (subword if source == "subword" else source)(word)
    if found is None:
        return None
    return _check_vector(f"the start of {word!r}", found, np.asarray(found).size)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}... ({len(text)} characters)"
