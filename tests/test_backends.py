"""The block under other runtimes: JAX, torch, and TensorFlow's MirroredStrategy.

Each runs in a subprocess: the Keras backend and TensorFlow's logical devices
are fixed when a process first imports them.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

# A tiny task whose label only a special vector can learn. Shared by both
# scripts; prints nothing, asserts everything.
TRAIN = """
import numpy as np
import keras
import twoembed

words = ["a", "b", "c", "d"]
matrix = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
vocab = twoembed.Vocabulary(words, ["<u>", "<n>"])
twoembed.fill._FILL_CHUNK_ROWS = 3  # the frozen table is filled in 3 + 1 rows

def build():
    inputs, vectors = twoembed.build_embedding_block(vocab, matrix)
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    outputs = keras.layers.Dense(1, activation="sigmoid")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    return model

rng = np.random.default_rng(0)
x = rng.integers(-2, vocab.size + 2, size=(64, 6)).astype("int32")
y = (x == vocab.id_of("<u>")).any(axis=1).astype("float32")

def block_outputs(model, ids=None):
    block = keras.Model(
        model.get_layer("twoembed_ids").output,
        model.get_layer("twoembed_vectors").output,
    )
    ids = np.arange(vocab.size) if ids is None else np.array(ids)
    return block.predict(ids[None].astype("int32"), verbose=0)[0]

def check_trained(model, before):
    after = block_outputs(model)
    np.testing.assert_array_equal(after[0], 0.0)
    np.testing.assert_array_equal(after[1:5], matrix)
    assert np.abs(after[5] - before[5]).max() > 1e-3, "<u> did not learn"
    unknown = block_outputs(model, [vocab.oov_id, -1, vocab.oov_id + 3])
    np.testing.assert_array_equal(unknown[1:], unknown[[0, 0]])
"""


def run(script: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def skip_unless_installed(backend: str) -> None:
    # jax is a test extra, so CI never skips it; torch is only checked where a
    # developer has installed it.
    if importlib.util.find_spec(backend) is None:
        if backend == "jax" and os.environ.get("CI"):
            pytest.fail("CI must install the test extra, jax included")
        pytest.skip(f"{backend} is not installed")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_block_trains_saves_and_reloads_in_safe_mode_under(backend, tmp_path):
    skip_unless_installed(backend)
    path = tmp_path / "m.keras"
    env = {"KERAS_BACKEND": backend}
    run(
        TRAIN
        + f"""
assert keras.backend.backend() == {backend!r}
model = build()
before = block_outputs(model)
model.fit(x, y, epochs=5, batch_size=16, verbose=0)
check_trained(model, before)
model.save({str(path)!r})
ids, half = twoembed.build_embedding_block(vocab, matrix, frozen_dtype="float16")
table = keras.Model(ids, half).get_layer("twoembed_pretrained").get_weights()[0]
np.testing.assert_array_equal(table[1:5], matrix.astype("float16"))
np.save({str(tmp_path / "expected.npy")!r}, model.predict(x, verbose=0))
""",
        env,
    )
    out = run(
        f"""
import numpy as np
import twoembed
import keras
assert keras.backend.backend() == {backend!r}
model = keras.models.load_model({str(path)!r})
x = np.random.default_rng(0).integers(-2, 10, size=(64, 6)).astype("int32")
np.testing.assert_array_equal(
    model.predict(x, verbose=0), np.load({str(tmp_path / "expected.npy")!r})
)
print("reloaded")
""",
        env,
    )
    assert "reloaded" in out


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_special_table_gradient_is_the_lookups_with_row_zero_left_out_under(backend):
    skip_unless_installed(backend)
    out = run(
        """
import keras
import numpy as np
from twoembed.layers import SpecialEmbedding

rng = np.random.default_rng(0)
table = rng.normal(size=(5, 3)).astype("float32")
ids = np.array([[0, 3, 0, 1], [4, 0, 3, 0]], dtype="int32")
weights = rng.normal(size=(2, 4, 3)).astype("float32")

def vectors_and_gradient(layer_class):
    layer = layer_class(5, 3)
    layer.build()
    layer.embeddings.assign(table)
    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        def loss(t):
            vectors, _ = layer.stateless_call([t], [], jnp.array(ids))
            return jnp.sum(vectors * weights), vectors

        grad = jax.jit(jax.value_and_grad(loss, has_aux=True))
        (_, vectors), gradient = grad(jnp.array(table))
    else:
        import torch

        vectors = layer(torch.tensor(ids))
        (vectors * torch.tensor(weights)).sum().backward()
        gradient = layer.embeddings.value.grad
        vectors = vectors.detach()
    return keras.ops.convert_to_numpy(vectors), keras.ops.convert_to_numpy(gradient)

vectors, gradient = vectors_and_gradient(SpecialEmbedding)
plain_vectors, plain_gradient = vectors_and_gradient(keras.layers.Embedding)
np.testing.assert_array_equal(vectors, plain_vectors)
np.testing.assert_array_equal(gradient[0], 0.0)
assert np.abs(plain_gradient[0]).max() > 0
np.testing.assert_allclose(gradient[1:], plain_gradient[1:], rtol=1e-6)
print("gradient ok")
""",
        {"KERAS_BACKEND": backend},
    )
    assert "gradient ok" in out


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_frozen_table_is_filled_in_place_under(backend):
    skip_unless_installed(backend)
    out = run(
        """
import keras
import numpy as np
import twoembed
from twoembed.fill import fill_frozen_table

twoembed.fill._FILL_CHUNK_ROWS = 3
matrix = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
layer = keras.layers.Embedding(7, 5, embeddings_initializer="zeros")
layer.build()

def address(variable):
    if keras.backend.backend() == "jax":
        return variable.value.unsafe_buffer_pointer()
    return variable.value.data_ptr()

before = address(layer.embeddings)
reversed_rows = matrix[::-1]  # a view with a negative stride
reversed_rows.flags.writeable = False
fill_frozen_table(layer.embeddings, reversed_rows)
assert address(layer.embeddings) == before, "the table was copied"
table = layer.get_weights()[0]
np.testing.assert_array_equal(table[1:5], matrix[::-1])
np.testing.assert_array_equal(table[[0, 5, 6]], 0.0)
print("in place")
""",
        {"KERAS_BACKEND": backend},
    )
    assert "in place" in out


def test_mirrored_strategy_keeps_frozen_rows_exact_and_replicas_identical():
    out = run(
        """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
"""
        + TRAIN
        + """
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    model = build()
before = block_outputs(model)
model.fit(x, y, epochs=5, batch_size=16, verbose=0)
check_trained(model, before)
for name in ("twoembed_pretrained", "twoembed_special"):
    replicas = [v.numpy() for v in model.get_layer(name).embeddings.value.values]
    assert len(replicas) == 2
    np.testing.assert_array_equal(replicas[0], replicas[1])
np.testing.assert_array_equal(replicas[0][0], 0.0)  # pinned row 0 on each
print("mirrored ok")
"""
    )
    assert "mirrored ok" in out
