"""Vectors already in memory: a gensim `KeyedVectors` or a `(words, matrix)` pair.

Duck-typed (no gensim import): any object with `index_to_key` (the words)
and `vectors` (their rows) will do. The same filtering and counters as a
file; the caller's arrays are copied, never changed.
"""

from __future__ import annotations

import numpy as np

from twoembed._checks import check_tokens
from twoembed.vectors.options import LoadOptions
from twoembed.vectors.result import RawVectors
from twoembed.vectors.wanted import Wanted, first_of_each


def _as_float32(rows: np.ndarray) -> np.ndarray:
    """`rows` as float32; a value past its range becomes inf, which the load
    then warns of by row (so NumPy's own overflow warning is left out)."""
    with np.errstate(over="ignore"):
        return rows.astype(np.float32)


def is_in_memory(source: object) -> bool:
    """Whether `source` is vectors in memory rather than a path."""
    if hasattr(source, "index_to_key") and hasattr(source, "vectors"):
        return True
    return isinstance(source, (tuple, list)) and len(source) == 2


def read_in_memory(
    source: object, requested: list[str] | None, options: LoadOptions
) -> tuple[RawVectors, str]:
    """Rows of in-memory vectors, as a file's reader gives them.

    Example:

    >>> import numpy as np
    >>> raw, label = read_in_memory((["a", "b"], np.eye(2)), ["b"], LoadOptions())
    >>> raw.words, raw.matrix.tolist(), label
    (['b'], [[0.0, 1.0]], '(words, matrix)')
    """
    if hasattr(source, "index_to_key") and hasattr(source, "vectors"):
        words, matrix = source.index_to_key, source.vectors
        label = f"{type(source).__name__} in memory"
    else:
        words, matrix = source  # type: ignore[misc]
        label = "(words, matrix)"
    words = check_tokens(words, "words of the in-memory vectors", unique=False)
    matrix = _check_matrix(matrix, len(words), label)
    if options.dim is not None and options.dim != matrix.shape[1]:
        raise ValueError(
            f"{label} has vectors of dim {matrix.shape[1]}, but dim={options.dim} "
            "was passed. Pass dim=None to use theirs."
        )
    dim = matrix.shape[1]
    if requested is None:
        first = first_of_each(words)
        rows = np.arange(len(words)) if first is None else first
        kept = [words[i] for i in rows]
        raw = RawVectors(
            kept,
            _as_float32(matrix[rows]),
            dim,
            None,
            len(words),
            [],
            len(words) - len(rows),
            0,
            [],
        )
        return raw, label
    wanted = Wanted(requested, options.lowercase_fallback)
    row_of_slot = np.full(len(wanted.slot_of), -1, np.int64)
    duplicates = 0
    for i, w in enumerate(words):
        slot = wanted.slot_of.get(w.encode("utf-8"))
        if slot is None:
            continue
        if row_of_slot[slot] >= 0:
            duplicates += 1
        else:
            row_of_slot[slot] = i
    picked, slots, lowercased = wanted.pick(row_of_slot >= 0)
    rows = row_of_slot[np.array(slots, np.int64)]
    raw = RawVectors(
        picked,
        _as_float32(matrix[rows]),
        dim,
        None,
        len(words),
        lowercased,
        duplicates,
        0,
        [],
    )
    return raw, label


def _check_matrix(matrix: object, rows: int, label: str) -> np.ndarray:
    try:
        array = np.asarray(matrix)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{label}: the matrix is not an array: {error}") from None
    if array.ndim != 2 or array.shape[0] != rows or array.shape[1] < 1:
        raise ValueError(
            f"{label}: expected a matrix of shape ({rows}, dim) for its {rows} "
            f"words. Received: shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(
        array.dtype, np.complexfloating
    ):
        raise TypeError(
            f"{label}: expected a real-valued matrix. Received: dtype {array.dtype}"
        )
    return array
