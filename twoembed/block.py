"""The two-embedding block: frozen pretrained rows plus trainable special rows.

The graph is the well-known recipe, made correct on Keras 3:

    ids ─ Lambda(map_unknown_ids_to_oov) ─┬─ Embedding(frozen) ───────────────┐
                                          │                                   Add
                                          └─ Lambda(shift_ids) ─ ReLU ─       │
                                             SpecialEmbedding(k+2 rows) ──────┘

Every function, layer, initializer and constraint in it is registered under the
package name `twoembed`, so a saved model loads in safe mode after
`import twoembed`, with no `custom_objects`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from twoembed._checks import check_max_len
from twoembed.vocab import Vocabulary

__all__ = [
    "PinFirstRow",
    "SpecialEmbedding",
    "ZeroFirstRow",
    "build_embedding_block",
    "map_unknown_ids_to_oov",
    "shift_ids",
]

# Rows checked or copied into the frozen table at a time: bounds transient
# copies to ~5 MB at dim 300, whatever the size of the pretrained matrix.
_FILL_CHUNK_ROWS = 4096


@keras.saving.register_keras_serializable(package="twoembed")
def shift_ids(ids: Any, offset: int) -> Any:
    """Shifts ids down by `offset` (the number of normal words).

    A module-level, registered function rather than a Python `lambda`: Keras
    refuses to load a `lambda` in safe mode, and the recipe's lambda closes
    over a free variable that is not saved at all. `offset` travels in the
    `Lambda`'s `arguments`, so it is part of the saved config.
    """
    return ids - ops.cast(offset, ids.dtype)


@keras.saving.register_keras_serializable(package="twoembed")
def map_unknown_ids_to_oov(ids: Any, oov_id: int) -> Any:
    """Maps every id outside `[0, oov_id]` to `oov_id`.

    Without it an out-of-range id raises on a TensorFlow CPU, gives a zero row
    on GPU, is clamped under XLA and gives NaN under JAX; with it every
    backend and device sees the OOV vector.
    """
    oov = ops.cast(oov_id, ids.dtype)
    unknown = ops.logical_or(ops.less(ids, 0), ops.greater(ids, oov))
    return ops.where(unknown, oov, ids)


@keras.saving.register_keras_serializable(package="twoembed")
class ZeroFirstRow(keras.initializers.Initializer):
    """Draws a table from `initializer`, then sets row 0 to zeros.

    Args:
        initializer: the initializer of the other rows (any Keras identifier).

    Example:

    >>> table = ZeroFirstRow("ones")((3, 2))
    >>> keras.ops.convert_to_numpy(table).tolist()
    [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, initializer: Any = "uniform"):
        self.initializer = keras.initializers.get(initializer)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _zero_first_row(self.initializer(shape, dtype=dtype))

    def get_config(self) -> dict[str, Any]:
        return {"initializer": keras.initializers.serialize(self.initializer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ZeroFirstRow:
        return cls(keras.initializers.deserialize(config["initializer"]))


@keras.saving.register_keras_serializable(package="twoembed")
class PinFirstRow(keras.constraints.Constraint):
    """Keeps row 0 of an embedding table at exactly zero after every update.

    Row 0 of the trainable table is what every normal word looks up after the
    shift. Its gradient is the sum over all normal words, so an unpinned row 0
    trains into an offset shared by every "frozen" vector.
    """

    def __call__(self, w: Any) -> Any:
        return _zero_first_row(w)


@keras.saving.register_keras_serializable(package="twoembed")
class SpecialEmbedding(keras.layers.Embedding):
    """The trainable table of the special and OOV rows: an `Embedding` whose
    gradient reaches the optimizer dense, and skips row 0.

    Its few rows are looked up once per token, thousands of times a batch.
    Keras' `Embedding` hands the optimizer a sparse gradient of one row per
    token, which Adam densifies twice (two scatter-adds under XLA); a table
    of k+2 rows is cheaper summed once, densely. Same values, same config.

    Its gradient also leaves out row 0, what every normal word looks up and
    the block pins at zero: on TensorFlow and JAX the sum of nearly every
    token into a row that is reset after each update, most of the backward
    pass (measured in `benchmarks/bench_train_step.py`), is not even done.
    Row 0's gradient is zero on every backend, so it does not count in a
    global gradient norm (`global_clipnorm`).

    Example:

    >>> layer = SpecialEmbedding(4, 2, embeddings_initializer="ones")
    >>> keras.ops.convert_to_numpy(layer(np.array([[0, 3]]))).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def call(self, inputs: Any) -> Any:
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            # A read tensor, not the tf.Variable: used inside the custom
            # gradient, a variable would need a gradient of its own (eager).
            table = tf.convert_to_tensor(ops.convert_to_tensor(self.embeddings))
            vectors = _lookup_skipping_row_zero(table, inputs)
        elif backend == "jax":
            table = ops.convert_to_tensor(self.embeddings)
            vectors = _jax_lookup_skipping_row_zero(table, inputs)
        else:
            # Row 0 through stop_gradient: its gradient is zero here too, so
            # an optimizer (a global clipnorm, say) sees the same gradient on
            # every backend. It is still summed, then dropped.
            table = ops.convert_to_tensor(self.embeddings)
            table = ops.concatenate([ops.stop_gradient(table[:1]), table[1:]], axis=0)
            vectors = ops.take(table, inputs, axis=0)
        return ops.cast(vectors, self.compute_dtype)


def _lookup_skipping_row_zero(table: Any, ids: Any) -> Any:
    """`take(table, ids)` on TensorFlow, whose gradient is a dense table with
    row 0 left at zero.

    Ids 0 become segment -1 in the backward pass, which TensorFlow's
    `unsorted_segment_sum` (and XLA's scatter) drop without doing the add: on
    a batch of mostly normal words only the special and OOV tokens cost
    anything.
    """
    import tensorflow as tf

    @tf.custom_gradient
    def lookup(table: Any) -> Any:
        def grad(upstream: Any) -> Any:
            segments = tf.where(ids > 0, ids, tf.constant(-1, ids.dtype))
            return tf.math.unsorted_segment_sum(
                upstream, segments, tf.shape(table, out_type=ids.dtype)[0]
            )

        return tf.gather(table, ids), grad

    return lookup(table)


def _jax_lookup_skipping_row_zero(table: Any, ids: Any) -> Any:
    """The same lookup on JAX: ids 0 go to segment `rows`, out of range, which
    `jax.ops.segment_sum` drops."""
    import jax
    import jax.numpy as jnp

    rows = table.shape[0]

    @jax.custom_vjp
    def lookup(table: Any, ids: Any) -> Any:
        return jnp.take(table, ids, axis=0)

    def forward(table: Any, ids: Any) -> Any:
        return lookup(table, ids), ids

    def backward(ids: Any, upstream: Any) -> Any:
        segments = jnp.where(ids > 0, ids, rows).reshape(-1)
        values = upstream.reshape(-1, upstream.shape[-1])
        return jax.ops.segment_sum(values, segments, num_segments=rows), None

    lookup.defvjp(forward, backward)
    return lookup(table, ids)


def _zero_first_row(table: Any) -> Any:
    # `where`, not a multiply: it gives +0.0 even for negative or NaN rows.
    table = ops.convert_to_tensor(table)  # JAX hands constraints the Variable
    rows = ops.arange(ops.shape(table)[0])
    is_first = ops.expand_dims(ops.equal(rows, 0), -1)
    return ops.where(is_first, ops.zeros((), table.dtype), table)


def _as_vocabulary(
    vocab: Vocabulary | Sequence[str], special_tokens: Sequence[str] | None
) -> Vocabulary:
    if isinstance(special_tokens, (str, bytes)):
        raise TypeError(
            "`special_tokens` must be a sequence of strings, not a single string. "
            f"Received: special_tokens={special_tokens!r}"
        )
    if isinstance(vocab, Vocabulary):
        if special_tokens is not None and tuple(special_tokens) != (
            vocab.special_tokens
        ):
            raise ValueError(
                "`special_tokens` does not match the Vocabulary's. Pass None "
                "to use the Vocabulary's, or the same tokens in the same "
                f"order. Received: special_tokens={list(special_tokens)!r}, "
                f"vocab.special_tokens={list(vocab.special_tokens)!r}"
            )
        return vocab
    return Vocabulary(vocab, () if special_tokens is None else special_tokens)


def _check_matrix(matrix: Any, vocab: Vocabulary, frozen_dtype: str) -> np.ndarray:
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
    # One chunked pass: NaN/inf, and values the frozen table's dtype cannot
    # hold (float16 tops out at 65504).
    limit = float(np.finfo(frozen_dtype).max) if frozen_dtype == "float16" else None
    for start in range(0, array.shape[0], _FILL_CHUNK_ROWS):
        chunk = array[start : start + _FILL_CHUNK_ROWS]
        bad = ~np.isfinite(chunk)
        if limit is not None:
            bad |= np.abs(chunk) > limit
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            row += start
            received = (
                f"Received: glove_matrix[{row}, {col}]={array[row, col]} (the "
                f"vector of {vocab.words[row]!r})"
            )
            if not np.isfinite(array[row, col]):
                raise ValueError(f"`glove_matrix` must be finite. {received}")
            raise ValueError(
                f'`frozen_dtype="float16"` holds values up to {limit:g}. {received}'
            )
    return array


def _fill_frozen_table(variable: Any, matrix: np.ndarray) -> None:
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


def build_embedding_block(
    vocab: Vocabulary | Sequence[str],
    glove_matrix: Any,
    special_tokens: Sequence[str] | None = None,
    max_len: int | None = None,
    *,
    special_initializer: Any = None,
    frozen_dtype: str = "float32",
    name: str = "twoembed",
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Builds the two-embedding block as a Keras functional graph.

    Normal words get their pretrained vector, frozen; special tokens and OOV
    get a trainable vector. The output carries the mask `ids != 0`.

    Args:
        vocab: a `Vocabulary`, or the list of normal words (then
            `special_tokens` completes the layout of `Vocabulary`).
        glove_matrix: shape `(len(words), dim)`; row `i` is the vector of
            `words[i]`. No pad row. Not modified and not kept.
        special_tokens: the special tokens. None means the Vocabulary's, or
            none when `vocab` is a list of words.
        max_len: fixed sequence length, or None for any length.
        special_initializer: initializer of the special and OOV rows. None
            draws from a normal distribution with the pretrained matrix's
            standard deviation, so new vectors start on the same scale.
        frozen_dtype: `"float32"`, or `"float16"` to hold the pretrained table
            in half the memory. Each stored value is then rounded to float16
            (relative error at most 2**-11, about 5e-4); the block's output
            stays float32, and the rounded rows stay exact in training.
        name: prefix of the block's layer names; give each block in a model
            its own.

    Returns:
        `(inputs, outputs)`: int32 ids of shape `(batch, max_len)` and
        vectors of shape `(batch, max_len, dim)`.

    Example:

    >>> vocab = Vocabulary(["the", "cat"], ["<url>"])
    >>> inputs, outputs = build_embedding_block(vocab, np.ones((2, 4)))
    >>> model = keras.Model(inputs, outputs)
    >>> sum(int(np.prod(w.shape)) for w in model.trainable_weights)  # (1 + 2) x 4
    12
    """
    vocab = _as_vocabulary(vocab, special_tokens)
    max_len = check_max_len(max_len)
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str. Received: name={name!r}")
    if not name:
        raise ValueError("`name` must be a non-empty str. Received: name=''")
    if frozen_dtype not in ("float32", "float16"):
        raise ValueError(
            '`frozen_dtype` must be "float32" or "float16". Received: '
            f"frozen_dtype={frozen_dtype!r}"
        )
    matrix = _check_matrix(glove_matrix, vocab, frozen_dtype)
    dim = int(matrix.shape[1])
    if special_initializer is None:
        sample = matrix[:: max(1, len(matrix) // 10_000)]  # a view, not a copy
        std = float(np.std(sample)) or 0.05
        special_initializer = keras.initializers.RandomNormal(stddev=std)

    inputs = keras.Input(shape=(max_len,), dtype="int32", name=f"{name}_ids")
    ids = keras.layers.Lambda(
        map_unknown_ids_to_oov,
        arguments={"oov_id": vocab.oov_id},
        name=f"{name}_known_ids",
    )(inputs)

    pretrained = keras.layers.Embedding(
        vocab.size,
        dim,
        embeddings_initializer="zeros",  # filled below, never put in the config
        mask_zero=True,
        trainable=False,
        dtype=frozen_dtype,  # Add casts its output to the float32 of the rest
        name=f"{name}_pretrained",
    )
    pretrained_vectors = pretrained(ids)
    _fill_frozen_table(pretrained.embeddings, matrix)

    shifted = keras.layers.Lambda(
        shift_ids, arguments={"offset": vocab.num_words}, name=f"{name}_shift"
    )(ids)
    special_ids = keras.layers.Activation("relu", name=f"{name}_clip")(shifted)
    # Rows: 0 = every normal word (pinned at zero), 1..k = specials, k+1 = OOV.
    # mask_zero marks special/OOV positions; Add ORs it with the pretrained
    # mask, giving exactly `ids != 0`. Without a mask here, Add drops both.
    special_vectors = SpecialEmbedding(
        len(vocab.special_tokens) + 2,
        dim,
        embeddings_initializer=ZeroFirstRow(special_initializer),
        embeddings_constraint=PinFirstRow(),
        mask_zero=True,
        name=f"{name}_special",
    )(special_ids)

    outputs = keras.layers.Add(name=f"{name}_vectors")(
        [pretrained_vectors, special_vectors]
    )
    return inputs, outputs
