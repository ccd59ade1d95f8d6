import keras
import numpy as np
import pytest

from twoembed import OOV, Vocabulary, build_embedding_block
from twoembed.layers import PullToStart, SpecialEmbedding

WORDS = ["the", "cat", "sat", "on"]
SPECIALS = ["<url>", "<rare>"]
DIM = 3


@pytest.fixture
def vocab():
    return Vocabulary(WORDS, SPECIALS)


@pytest.fixture
def matrix():
    return np.random.default_rng(5).normal(size=(len(WORDS), DIM)).astype("float32")


def trained_rows(vocab, matrix, seed=0, epochs=8, **kwargs):
    """Trains a pooled classifier where <rare> occurs in 2 of 64 examples,
    always with label 1; returns the special table before and after."""
    keras.utils.set_random_seed(seed)
    inputs, vectors = build_embedding_block(
        vocab, matrix, special_init={"<rare>": "cat", OOV: "mean"}, **kwargs
    )
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy")
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab.num_words + 2, size=(64, 6)).astype("int32")
    x[:2, 0] = vocab.id_of("<rare>")
    y = (x == vocab.id_of("<url>")).any(axis=1).astype("float32")
    y[:2] = 1.0
    special = model.get_layer("twoembed_special")
    before = keras.ops.convert_to_numpy(special.embeddings).copy()
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model, before, keras.ops.convert_to_numpy(special.embeddings)


def test_pull_zero_adds_no_regularizer_and_trains_exactly_as_without_it(
    vocab, matrix
):
    _, _, plain = trained_rows(vocab, matrix)
    model0, _, zero = trained_rows(vocab, matrix, start_pull=0.0)
    assert model0.get_layer("twoembed_special").embeddings_regularizer is None
    assert model0.losses == []
    np.testing.assert_array_equal(zero, plain)


def test_pull_keeps_a_rarely_seen_row_nearer_its_start(vocab, matrix):
    rare = len(SPECIALS)  # row of <rare> in the special table
    _, before, free = trained_rows(vocab, matrix)
    _, _, pulled = trained_rows(vocab, matrix, start_pull=1.0)
    free_moved = np.linalg.norm(free[rare] - before[rare])
    pulled_moved = np.linalg.norm(pulled[rare] - before[rare])
    assert free_moved > 0.05
    assert pulled_moved < 0.5 * free_moved
    np.testing.assert_array_equal(pulled[0], np.zeros(DIM))  # row 0 still pinned


def test_pull_penalty_is_strength_times_squared_distance_to_the_start():
    layer = SpecialEmbedding(
        3, 2, embeddings_regularizer=PullToStart(0.5), keep_start=True
    )
    layer.build()
    layer.embeddings.assign(layer.embeddings + np.array([[0, 0], [1, 2], [0, -3]]))
    penalty = keras.ops.convert_to_numpy(layer.embeddings_regularizer(layer.embeddings))
    assert float(penalty) == pytest.approx(0.5 * (1 + 4 + 9))


@pytest.mark.parametrize("strength", [-0.1, float("nan"), float("inf"), True, "1"])
def test_bad_pull_strength_is_refused_before_any_layer_is_built(
    vocab, matrix, strength, monkeypatch
):
    built = []
    monkeypatch.setattr(keras, "Input", lambda *a, **k: built.append(a))
    with pytest.raises(ValueError, match=r"finite number >= 0.*start_pull="):
        build_embedding_block(vocab, matrix, start_pull=strength)
    assert built == []


def test_pull_without_a_kept_start_is_refused():
    with pytest.raises(ValueError, match="needs SpecialEmbedding\\(keep_start=True\\)"):
        SpecialEmbedding(3, 2, embeddings_regularizer=PullToStart(1.0)).build()


def test_pull_and_kept_start_round_trip_through_the_config():
    layer = SpecialEmbedding(
        3, 2, embeddings_regularizer=PullToStart(0.25), keep_start=True
    )
    config = keras.saving.serialize_keras_object(layer)
    clone = keras.saving.deserialize_keras_object(config, safe_mode=True)
    assert clone.keep_start is True
    assert clone.embeddings_regularizer.get_config() == {"strength": 0.25}


def test_model_saved_by_0_1_0_loads_in_safe_mode_without_a_start():
    import os

    import twoembed

    path = os.path.join(
        os.path.dirname(__file__), "data", "model_0_1_0_small.keras"
    )
    model = keras.models.load_model(path, safe_mode=True)
    special = model.get_layer("twoembed_special")
    assert special.keep_start is False and special.start is None
    out = model.predict(np.array([[1, 2, 0]]), verbose=0)[0]
    np.testing.assert_array_equal(out[:2], np.arange(8.0).reshape(2, 4))
    vocab = Vocabulary(["the", "cat"], ["<url>"])
    records = twoembed.inspect_rows(model, vocab, top=1)
    assert [r.moved for r in records] == [None, None]
    assert all(len(r.neighbours) == 1 for r in records)
