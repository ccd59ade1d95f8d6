"""The frozen table's contents: the pretrained matrix checked, then written into
the zero-initialised variable in place, chunk by chunk, per backend."""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np

from twoembed.vocab import Vocabulary

# Rows checked or copied into the frozen table at a time: bounds transient
# copies to ~5 MB at dim 300, whatever the size of the pretrained matrix.
_FILL_CHUNK_ROWS = 4096


def value_limit(dtype: Any, frozen_dtype: str) -> float | None:
    """The largest magnitude a frozen table of `frozen_dtype` holds, when
    values of `dtype` can exceed it (float16 tops out at 65504, float32 at
    3.4e38: a float64 1e39 would become inf); None when they cannot."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize > np.dtype(frozen_dtype).itemsize:
        return float(np.finfo(frozen_dtype).max)
    return None


def first_bad_value(chunk: np.ndarray, limit: float | None) -> tuple[int, int] | None:
    """(row, column) of the first NaN/inf in `chunk`, or of a value beyond
    `limit`; None if every value is fine."""
    bad = ~np.isfinite(chunk)
    if limit is not None:
        bad |= np.abs(chunk) > limit
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    return int(row), int(col)


def check_matrix(matrix: Any, vocab: Vocabulary, frozen_dtype: str) -> np.ndarray:
    """Returns the matrix as a number array, refusing bad shapes and values.

    Never copies an array that is already float32 or float64, and never
    writes to it.
    """
    if isinstance(matrix, np.ndarray):
        array = matrix
    else:
        try:
            array = np.asarray(keras.ops.convert_to_numpy(matrix))
        except Exception as error:
            raise TypeError(
                "`glove_matrix` must be an array of shape (len(words), dim). "
                f"Received: glove_matrix of type {type(matrix).__name__}"
            ) from error
    if not (np.issubdtype(array.dtype, np.floating) or array.dtype.kind in "iu"):
        raise TypeError(
            "`glove_matrix` must hold numbers. Received: glove_matrix with "
            f"dtype={array.dtype}"
        )
    if array.ndim != 2:
        raise ValueError(
            "`glove_matrix` must be 2-D, shape (len(words), dim). Received: "
            f"glove_matrix with shape={array.shape}"
        )
    expected = (vocab.num_words, array.shape[1])
    if array.shape[0] != vocab.num_words:
        raise ValueError(
            f"`glove_matrix` has {array.shape[0]} rows but there are "
            f"{vocab.num_words} words: expected shape {expected}, one row per "
            "word in word order. The matrix has no pad row; the block adds "
            f"row 0 itself. Received: glove_matrix with shape={array.shape}"
        )
    if array.shape[1] < 1:
        raise ValueError(
            "`glove_matrix` must have at least one column. Received: "
            f"glove_matrix with shape={array.shape}"
        )
    # One chunked pass: NaN/inf, and values the frozen table's dtype cannot hold.
    limit = value_limit(array.dtype, frozen_dtype)
    for start in range(0, array.shape[0], _FILL_CHUNK_ROWS):
        bad = first_bad_value(array[start : start + _FILL_CHUNK_ROWS], limit)
        if bad is not None:
            row, col = bad
            row += start
            received = (
                f"Received: glove_matrix[{row}, {col}]={array[row, col]} (the "
                f"vector of {vocab.words[row]!r})"
            )
            if not np.isfinite(array[row, col]):
                raise ValueError(f"`glove_matrix` must be finite. {received}")
            raise ValueError(
                f'`frozen_dtype="{frozen_dtype}"` holds values up to {limit:g} '
                f"(range +-{limit:g}). {received}"
            )
    return array


def fill_frozen_table(variable: Any, matrix: np.ndarray) -> None:
    """Writes `matrix` into rows 1..n of the zero-initialised `variable`.

    Chunk by chunk, in place: the only full-size copies alive are the
    caller's matrix and the variable itself, on every backend.
    """
    n = matrix.shape[0]
    dtype = keras.backend.standardize_dtype(variable.dtype)
    backend = keras.backend.backend()

    def chunks() -> Any:
        for start in range(0, n, _FILL_CHUNK_ROWS):
            stop = min(start + _FILL_CHUNK_ROWS, n)
            yield start + 1, np.asarray(matrix[start:stop], dtype=dtype)

    if backend == "tensorflow":
        _fill_tensorflow(variable.value, chunks())
    elif backend == "jax":
        put = _jax_put_rows()
        for row, rows in chunks():
            # The old buffer is donated: updated in place, not copied. Each
            # write is awaited: JAX dispatches asynchronously and holds a copy
            # of every pending chunk (+200 MB at 400k x 300, measured).
            variable.assign(put(variable.value, rows, row).block_until_ready())
    elif backend == "torch":
        import torch

        with torch.no_grad():
            table = variable.value
            for row, rows in chunks():
                # torch refuses negative strides and warns on a read-only
                # view of the caller's array: copy the chunk only then.
                rows = np.require(rows, requirements=("C", "W"))
                table[row : row + len(rows)].copy_(torch.from_numpy(rows))
    else:  # e.g. numpy: one padded copy
        table = np.zeros(tuple(variable.shape), dtype=dtype)
        table[1 : n + 1] = matrix
        variable.assign(table)


def _fill_tensorflow(tf_variable: Any, chunks: Any) -> None:
    # A sliced `assign` would copy the whole variable; a scatter does not.
    import tensorflow as tf

    for row, rows in chunks:
        tf_variable.scatter_update(
            tf.IndexedSlices(tf.constant(rows), tf.range(row, row + len(rows)))
        )
    # A sparse write leaves a TF variable in copy-on-read mode for good:
    # every later read, i.e. every train step, would copy the whole table
    # (measured: 32 ms instead of 7 ms a step at 400k x 300). Switch it off.
    disable_copy_on_read = getattr(tf.raw_ops, "DisableCopyOnRead", None)
    if disable_copy_on_read is not None:
        for component in getattr(tf_variable, "values", (tf_variable,)):
            disable_copy_on_read(resource=component.handle)


@functools.cache
def _jax_put_rows() -> Any:
    import jax

    def put(table: Any, rows: Any, row: Any) -> Any:
        return jax.lax.dynamic_update_slice(table, rows, (row, 0))

    return jax.jit(put, donate_argnums=0)
