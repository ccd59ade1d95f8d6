"""The block under every Keras backend, and under TensorFlow's MirroredStrategy.

Tests marked `backends` run under whatever `KERAS_BACKEND` this pytest runs:
TensorFlow in a plain `pytest`, JAX and torch in README's second and third runs
(`KERAS_BACKEND=jax pytest -m backends`). The backend is fixed when a process
first imports Keras, hence one pytest run per backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import (
    WORDS,
    assert_reloads_in_fresh_process,
    block_of,
    classifier,
    outputs_of_every_id,
)

import twoembed
from twoembed import build_embedding_block
from twoembed.fill import fill_frozen_table
from twoembed.layers import SpecialEmbedding

BACKEND = keras.backend.backend()


def compiled_classifier(vocab, matrix):
    keras.utils.set_random_seed(0)
    model = classifier(vocab, matrix)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    return model


def task_with_unknown_ids(vocab):
    """Ids from -2 to beyond OOV; label 1 iff the sequence holds the first special."""
    rng = np.random.default_rng(0)
    x = rng.integers(-2, vocab.size + 2, size=(64, 6)).astype("int32")
    y = (x == vocab.special_ids[0]).any(axis=1).astype("float32")
    return x, y


def check_trained(model, vocab, matrix, before):
    after = outputs_of_every_id(model, vocab)
    np.testing.assert_array_equal(after[0], 0.0)
    np.testing.assert_array_equal(after[1 : len(WORDS) + 1], matrix)
    first = vocab.special_ids[0]
    assert np.abs(after[first] - before[first]).max() > 1e-3, "it did not learn"
    unknown = block_of(model).predict(
        np.array([[vocab.oov_id, -1, vocab.oov_id + 3]], "int32"), verbose=0
    )[0]
    np.testing.assert_array_equal(unknown[1:], unknown[[0, 0]])


@pytest.mark.backends
def test_keras_runs_the_backend_this_pytest_was_started_with():
    assert os.environ.get("KERAS_BACKEND", "tensorflow") == BACKEND


@pytest.mark.backends
def test_block_trains_saves_and_reloads_in_safe_mode(
    vocab, matrix, tmp_path, monkeypatch
):
    monkeypatch.setattr(twoembed.fill, "_FILL_CHUNK_ROWS", 4)  # 6 rows: 4 + 2
    model = compiled_classifier(vocab, matrix)
    before = outputs_of_every_id(model, vocab)
    x, y = task_with_unknown_ids(vocab)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    check_trained(model, vocab, matrix, before)
    ids, half = build_embedding_block(vocab, matrix, frozen_dtype="float16")
    table = keras.Model(ids, half).get_layer("twoembed_pretrained").get_weights()[0]
    np.testing.assert_array_equal(table[1 : len(WORDS) + 1], matrix.astype("float16"))
    assert_reloads_in_fresh_process(model, x, tmp_path)


def vectors_and_gradient(layer, table, ids, weights):
    """The layer's output for `ids` and the gradient of sum(output * weights)
    with respect to its table, computed the way this backend differentiates."""
    layer.build()
    layer.embeddings.assign(table)
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        def loss(t):
            vectors, _ = layer.stateless_call([t], [], jnp.array(ids))
            return jnp.sum(vectors * weights), vectors

        grad = jax.jit(jax.value_and_grad(loss, has_aux=True))
        (_, vectors), gradient = grad(jnp.array(table))
    elif BACKEND == "torch":
        import torch

        vectors = layer(torch.tensor(ids))
        (vectors * torch.tensor(weights)).sum().backward()
        gradient = layer.embeddings.value.grad
        vectors = vectors.detach()
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            vectors = layer(tf.constant(ids))
            loss = tf.reduce_sum(vectors * weights)
        gradient = tf.convert_to_tensor(tape.gradient(loss, layer.embeddings))
    return keras.ops.convert_to_numpy(vectors), keras.ops.convert_to_numpy(gradient)


@pytest.mark.backends
def test_special_table_gradient_is_the_lookups_with_row_zero_left_out():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(5, 3)).astype("float32")
    ids = np.array([[0, 3, 0, 1], [4, 0, 3, 0]], dtype="int32")
    weights = rng.normal(size=(2, 4, 3)).astype("float32")
    args = (table, ids, weights)
    vectors, gradient = vectors_and_gradient(SpecialEmbedding(5, 3), *args)
    plain_vectors, plain_gradient = vectors_and_gradient(
        keras.layers.Embedding(5, 3), *args
    )
    np.testing.assert_array_equal(vectors, plain_vectors)
    np.testing.assert_array_equal(gradient[0], 0.0)
    assert np.abs(plain_gradient[0]).max() > 0
    np.testing.assert_allclose(gradient[1:], plain_gradient[1:], rtol=1e-6)


@pytest.mark.backends
def test_frozen_table_is_filled_in_place(matrix, monkeypatch):
    if BACKEND == "tensorflow":
        pytest.skip("TensorFlow fills by a scatter; its buffer address is not public")
    monkeypatch.setattr(twoembed.fill, "_FILL_CHUNK_ROWS", 4)  # 6 rows: 4 + 2
    layer = keras.layers.Embedding(len(WORDS) + 3, matrix.shape[1], "zeros")
    layer.build()

    def address(variable):
        if BACKEND == "jax":
            return variable.value.unsafe_buffer_pointer()
        return variable.value.data_ptr()

    before = address(layer.embeddings)
    reversed_rows = matrix[::-1]  # a view with a negative stride
    reversed_rows.flags.writeable = False
    fill_frozen_table(layer.embeddings, reversed_rows)
    assert address(layer.embeddings) == before, "the table was copied"
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(table[1 : len(WORDS) + 1], matrix[::-1])
    np.testing.assert_array_equal(table[[0, len(WORDS) + 1, len(WORDS) + 2]], 0.0)


def test_mirrored_strategy_keeps_frozen_rows_exact_and_replicas_identical(
    vocab, matrix, request
):
    if BACKEND != "tensorflow":
        pytest.skip("MirroredStrategy is TensorFlow's")
    import tensorflow as tf

    if len(tf.config.list_logical_devices("CPU")) < 2:
        # TensorFlow fixes its logical devices when it first starts, before
        # this test: rerun it alone in a pytest whose conftest asks for two.
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             request.node.nodeid],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "TWOEMBED_TEST_CPUS": "2"},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        assert "1 passed" in result.stdout, result.stdout[-3000:]
        return
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = compiled_classifier(vocab, matrix)
    before = outputs_of_every_id(model, vocab)
    x, y = task_with_unknown_ids(vocab)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    check_trained(model, vocab, matrix, before)
    for name in ("twoembed_pretrained", "twoembed_special"):
        replicas = [v.numpy() for v in model.get_layer(name).embeddings.value.values]
        assert len(replicas) == 2
        np.testing.assert_array_equal(replicas[0], replicas[1])
    np.testing.assert_array_equal(replicas[0][0], 0.0)  # pinned row 0 on each
