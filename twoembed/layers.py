"""The block's registered pieces: the id functions, the row-0 initializer and
constraint, and the trainable table whose gradient skips row 0.

Each is registered under the package name `twoembed` (e.g. `twoembed>shift_ids`),
so a saved model loads in safe mode after `import twoembed`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = [
    "PinFirstRow",
    "SpecialEmbedding",
    "ZeroFirstRow",
    "map_unknown_ids_to_oov",
    "shift_ids",
]


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

    >>> import numpy as np
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
