import json
import zipfile

import keras
import numpy as np
import pytest
from helpers import (
    DIM,
    SPECIALS,
    WORDS,
    all_ids,
    assert_reloads_in_fresh_process,
    block_model,
    block_of,
    classifier,
    toy_task,
)

import twoembed
from twoembed import build_embedding_block
from twoembed.block import SpecialEmbedding


def test_output_has_shape_batch_len_dim(vocab, matrix):
    model = block_model(vocab, matrix)
    out = model.predict(vocab.encode([["the", "cat"], ["dog"]]), verbose=0)
    assert out.shape == (2, 2, DIM)
    assert out.dtype == np.float32


def test_fixed_max_len_sets_the_input_shape(vocab, matrix):
    inputs, outputs = build_embedding_block(vocab, matrix, max_len=7)
    assert tuple(inputs.shape) == (None, 7)
    assert tuple(outputs.shape) == (None, 7, DIM)
    assert inputs.dtype == "int32"


def test_graph_has_the_recipe_shape(vocab, matrix):
    layers = block_model(vocab, matrix).layers
    embeddings = [
        layer for layer in layers if isinstance(layer, keras.layers.Embedding)
    ]
    assert len(embeddings) == 2
    assert sum(isinstance(layer, keras.layers.Add) for layer in layers) == 1
    shift = [layer for layer in layers if layer.name == "twoembed_shift"]
    assert len(shift) == 1 and isinstance(shift[0], keras.layers.Lambda)
    assert shift[0].function is twoembed.block.shift_ids
    relu = [layer for layer in layers if isinstance(layer, keras.layers.Activation)]
    assert len(relu) == 1 and relu[0].get_config()["activation"] == "relu"
    frozen, special = (
        layer for layer in layers if isinstance(layer, keras.layers.Embedding)
    )
    assert not frozen.trainable and special.trainable


def test_trainable_parameters_are_special_and_oov_rows_plus_pinned_row(vocab, matrix):
    model = block_model(vocab, matrix)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert trainable == (len(SPECIALS) + 1 + 1) * DIM
    # The frozen table, plus the (k+2)-row copy of the special rows' start
    # that the block keeps for the pull and inspect_rows.
    assert frozen == vocab.size * DIM + (len(SPECIALS) + 2) * DIM


def test_normal_words_get_their_pretrained_row_and_padding_gets_zeros(vocab, matrix):
    model = block_model(vocab, matrix)
    ids = np.array([[*range(1, len(WORDS) + 1), 0, 0]], dtype="int32")
    out = model.predict(ids, verbose=0)[0]
    np.testing.assert_array_equal(out[: len(WORDS)], matrix)
    np.testing.assert_array_equal(out[len(WORDS) :], 0.0)


@pytest.mark.parametrize("frozen_dtype", ["float32", "float16"])
def test_frozen_table_is_filled_chunk_by_chunk_with_a_ragged_last_chunk(
    vocab, matrix, frozen_dtype, monkeypatch
):
    monkeypatch.setattr(twoembed.fill, "_FILL_CHUNK_ROWS", 4)  # 6 rows: 4 + 2
    rows = matrix[::-1]  # a read-only view with a negative stride
    rows.flags.writeable = False
    model = block_model(vocab, rows, frozen_dtype=frozen_dtype)
    table = model.get_layer("twoembed_pretrained").get_weights()[0]
    expected = np.zeros((vocab.size, DIM), frozen_dtype)
    expected[1 : len(WORDS) + 1] = rows
    np.testing.assert_array_equal(table, expected)


def test_special_and_oov_ids_get_distinct_trainable_rows(vocab, matrix):
    model = block_model(vocab, matrix)
    special_table = model.get_layer("twoembed_special").get_weights()[0]
    ids = np.array([[*vocab.special_ids, vocab.oov_id]], dtype="int32")
    out = model.predict(ids, verbose=0)[0]
    np.testing.assert_array_equal(out, special_table[1:])
    assert len({tuple(row) for row in out}) == len(SPECIALS) + 1
    np.testing.assert_array_equal(special_table[0], 0.0)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_training_with_adam_keeps_pretrained_rows_exact_and_trains_specials(
    vocab, matrix, jit_compile
):
    keras.utils.set_random_seed(1)
    model = classifier(vocab, matrix)
    before = block_of(model).predict(all_ids(vocab), verbose=0)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss="binary_crossentropy",
        jit_compile=jit_compile,
    )
    x, y = toy_task(vocab)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    after = block_of(model).predict(all_ids(vocab), verbose=0)[0]

    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(after[0], 0.0)  # padding
    np.testing.assert_array_equal(after[1 : len(WORDS) + 1], matrix)  # bit for bit
    moved = np.abs(after[len(WORDS) + 1 :] - before[0, len(WORDS) + 1 :]).max(axis=1)
    assert moved[0] > 1e-3  # <url> learned; it is the label's only signal
    assert moved[-1] > 0  # OOV appears in the data too
    np.testing.assert_array_equal(
        model.get_layer("twoembed_special").get_weights()[0][0], 0.0
    )


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
@pytest.mark.parametrize("ids_dtype", ["int32", "int64"])
def test_special_table_gradient_is_the_lookups_with_row_zero_left_out(
    mode, ids_dtype
):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    table = rng.normal(size=(5, 3)).astype("float32")
    ids = tf.constant([[0, 3, 0, 1], [4, 0, 3, 0]], dtype=ids_dtype)
    weights = tf.constant(rng.normal(size=(2, 4, 3)).astype("float32"))
    special = SpecialEmbedding(5, 3)
    special.build()
    special.embeddings.assign(table)
    plain = keras.layers.Embedding(5, 3)
    plain.build()
    plain.embeddings.assign(table)

    def vectors_and_gradient(layer):
        with tf.GradientTape() as tape:
            vectors = layer(ids)
            loss = tf.reduce_sum(vectors * weights)
        return vectors, tf.convert_to_tensor(tape.gradient(loss, layer.embeddings))

    if mode != "eager":
        vectors_and_gradient = tf.function(
            vectors_and_gradient, jit_compile=mode == "xla"
        )

    vectors, gradient = (t.numpy() for t in vectors_and_gradient(special))
    plain_vectors, plain_gradient = (t.numpy() for t in vectors_and_gradient(plain))
    np.testing.assert_array_equal(vectors, plain_vectors)
    np.testing.assert_array_equal(gradient[0], 0.0)  # row 0: summed by `plain`
    assert np.abs(plain_gradient[0]).max() > 0
    np.testing.assert_allclose(gradient[1:], plain_gradient[1:], rtol=1e-6)
    assert np.abs(gradient[[1, 3, 4]]).min() > 0  # the rows that were looked up
    np.testing.assert_array_equal(gradient[2], 0.0)  # and only those


@pytest.mark.parametrize("max_len", [None, 5])
def test_output_mask_is_ids_not_equal_zero(vocab, matrix, max_len):
    inputs, outputs = build_embedding_block(vocab, matrix, max_len=max_len)
    ids = np.array(
        [[1, vocab.oov_id, 0, 0, 0], [vocab.special_ids[0], 0, 2, 0, 0]], "int32"
    )
    mask = keras.Model(inputs, outputs._keras_mask)(ids)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), ids != 0)


def test_mask_makes_lstm_skip_padding(vocab, matrix):
    keras.utils.set_random_seed(2)
    inputs, vectors = build_embedding_block(vocab, matrix)
    model = keras.Model(inputs, keras.layers.LSTM(3)(vectors))
    short = np.array([[1, 2, vocab.special_ids[1]]], "int32")
    padded = np.array([[1, 2, vocab.special_ids[1], 0, 0, 0]], "int32")
    np.testing.assert_allclose(
        model.predict(short, verbose=0), model.predict(padded, verbose=0), atol=1e-6
    )


def test_mask_makes_average_pooling_ignore_padding(vocab, matrix):
    inputs, vectors = build_embedding_block(vocab, matrix, max_len=4)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(vectors))
    out = model.predict(np.array([[1, 3, 0, 0]], "int32"), verbose=0)
    np.testing.assert_allclose(out[0], (matrix[0] + matrix[2]) / 2, rtol=1e-6)


def test_ids_outside_the_layout_get_the_oov_vector(vocab, matrix):
    model = block_model(vocab, matrix)
    ids = np.array([[vocab.oov_id, -1, -1000, vocab.oov_id + 1, 2**31 - 1]], "int32")
    out = model.predict(ids, verbose=0)[0]
    for row in out[1:]:
        np.testing.assert_array_equal(row, out[0])


def test_int64_ids_are_accepted(vocab, matrix):
    model = block_model(vocab, matrix)
    out = model.predict(np.array([[1, 2]], dtype="int64"), verbose=0)
    np.testing.assert_array_equal(out[0], matrix[:2])


def test_saved_model_loads_in_a_fresh_process_in_safe_mode(vocab, matrix, tmp_path):
    keras.utils.set_random_seed(3)
    model = classifier(vocab, matrix, max_len=6)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = toy_task(vocab)
    model.fit(x, y, epochs=1, verbose=0)
    assert_reloads_in_fresh_process(model, x, tmp_path)


def test_saved_config_holds_no_matrix_and_no_python_lambda(vocab, tmp_path):
    big = np.random.default_rng(0).normal(size=(len(WORDS), 300)).astype("float32")
    model = block_model(vocab, big)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config_text = archive.read("config.json").decode()
    config = json.loads(config_text)
    assert len(config_text) < 20_000  # the 6 x 300 matrix alone is ~ 36k chars
    assert f"{big[0, 0]:.6f}"[:7] not in config_text
    assert "__lambda__" not in config_text
    layers = {layer["config"]["name"]: layer for layer in config["config"]["layers"]}
    shift = layers["twoembed_shift"]["config"]
    assert shift["function"]["config"] == "twoembed>shift_ids"
    assert shift["arguments"] == {"offset": len(WORDS)}


def test_reloaded_model_keeps_pinning_row_zero(vocab, matrix, tmp_path):
    model = classifier(vocab, matrix)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    reloaded.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy")
    x, y = toy_task(vocab)
    reloaded.fit(x, y, epochs=2, verbose=0)
    out = block_of(reloaded).predict(all_ids(vocab), verbose=0)[0]
    np.testing.assert_array_equal(out[1 : len(WORDS) + 1], matrix)


def test_a_list_of_words_builds_the_same_layout_as_a_vocabulary(vocab, matrix):
    from_words = block_model(WORDS, matrix, special_tokens=SPECIALS)
    from_vocab = block_model(vocab, matrix)
    ids = all_ids(vocab)
    out_words = from_words.predict(ids, verbose=0)
    out_vocab = from_vocab.predict(ids, verbose=0)
    np.testing.assert_array_equal(
        out_words[0, : len(WORDS) + 1], out_vocab[0, : len(WORDS) + 1]
    )
    assert from_words.count_params() == from_vocab.count_params()


def test_two_blocks_with_different_names_fit_in_one_model(vocab, matrix):
    a_in, a_out = build_embedding_block(vocab, matrix, name="title")
    b_in, b_out = build_embedding_block(vocab, matrix, name="body")
    model = keras.Model([a_in, b_in], [a_out, b_out])
    assert {"title_special", "body_special"} <= {layer.name for layer in model.layers}


def test_special_initializer_is_used_for_special_rows(vocab, matrix):
    model = block_model(vocab, matrix, special_initializer="ones")
    table = model.get_layer("twoembed_special").get_weights()[0]
    np.testing.assert_array_equal(table[0], 0.0)
    np.testing.assert_array_equal(table[1:], 1.0)


def test_build_does_not_modify_or_keep_the_callers_matrix(vocab, matrix):
    original = matrix.copy()
    model = block_model(vocab, matrix)
    np.testing.assert_array_equal(matrix, original)
    matrix[:] = 7.0
    out = model.predict(np.array([[1]], "int32"), verbose=0)
    np.testing.assert_array_equal(out[0, 0], original[0])


def test_float64_and_list_matrices_are_accepted(vocab, matrix):
    for given in (matrix.astype("float64"), matrix.tolist()):
        out = block_model(vocab, given).predict(np.array([[3]], "int32"), verbose=0)
        np.testing.assert_array_equal(out[0, 0], matrix[2])


def bad_matrix_cases():
    good = np.zeros((len(WORDS), DIM), "float32")
    nan = good.copy()
    nan[2, 1] = np.nan
    inf = good.copy()
    inf[4, 3] = -np.inf
    return [
        (good[0], ValueError, "must be 2-D.*shape=\\(4,\\)"),
        (good[None], ValueError, "must be 2-D"),
        (
            good[:-1],
            ValueError,
            "has 5 rows but there are 6 words: expected shape \\(6, 4\\).*no pad row",
        ),
        (np.zeros((len(WORDS) + 1, DIM)), ValueError, "has 7 rows.*no pad row"),
        (nan, ValueError, "glove_matrix\\[2, 1\\]=nan \\(the vector of 'sat'\\)"),
        (inf, ValueError, "glove_matrix\\[4, 3\\]=-inf"),
        (np.array([["a"] * DIM] * len(WORDS)), TypeError, "must hold numbers"),
        (np.zeros((len(WORDS), 0)), ValueError, "at least one column"),
    ]


@pytest.mark.parametrize(("bad", "error", "message"), bad_matrix_cases())
def test_bad_matrix_raises_before_any_layer_is_built(
    vocab, bad, error, message, monkeypatch
):
    built = []
    monkeypatch.setattr(keras, "Input", lambda *a, **k: built.append(a))
    monkeypatch.setattr(keras.layers, "Embedding", lambda *a, **k: built.append(a))
    with pytest.raises(error, match=message):
        build_embedding_block(vocab, bad)
    assert built == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"vocab": []}, ValueError, "at least one normal word"),
        ({"vocab": ["a", "a"]}, ValueError, "'a' twice"),
        ({"special_tokens": ["<u>", "<u>"]}, ValueError, "'<u>' twice"),
        ({"special_tokens": ["cat"]}, ValueError, "also a normal word"),
        ({"special_tokens": [1]}, TypeError, "special_tokens\\[0\\]=1"),
        ({"max_len": 0}, ValueError, "max_len=0"),
        ({"max_len": "5"}, TypeError, "'5'"),
        ({"name": ""}, ValueError, "name=''"),
        ({"name": 5}, TypeError, "name=5"),
        ({"name": "a/b"}, ValueError, "without '/'.*name='a/b'"),
        ({"special_tokens": "<u>"}, TypeError, "not a single string"),
        (
            {"special_initializer": "glorot_unifrom"},
            ValueError,
            "special_initializer='glorot_unifrom'",
        ),
    ],
)
def test_bad_arguments_raise_a_clear_error(matrix, kwargs, error, message):
    args = {"vocab": WORDS, "glove_matrix": matrix, **kwargs}
    if "vocab" in kwargs and len(kwargs["vocab"]) != len(WORDS):
        args["glove_matrix"] = matrix[: len(kwargs["vocab"])]
    with pytest.raises(error, match=message):
        build_embedding_block(**args)


def test_a_bad_special_initializer_is_refused_before_the_table_is_filled(
    vocab, matrix, monkeypatch
):
    filled = []
    monkeypatch.setattr(
        twoembed.block, "fill_frozen_table", lambda *args: filled.append(args)
    )
    with pytest.raises(ValueError, match="special_initializer"):
        build_embedding_block(vocab, matrix, special_initializer="glorot_unifrom")
    assert filled == []


def test_special_tokens_that_contradict_the_vocabulary_are_refused(vocab, matrix):
    with pytest.raises(ValueError, match="does not match the Vocabulary"):
        build_embedding_block(vocab, matrix, ["<url>"])
    inputs, _ = build_embedding_block(vocab, matrix, list(SPECIALS))
    assert inputs is not None


def test_float16_frozen_table_halves_memory_and_keeps_rounded_rows_exact(vocab, matrix):
    keras.utils.set_random_seed(4)
    inputs, vectors = build_embedding_block(vocab, matrix, frozen_dtype="float16")
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    table = model.get_layer("twoembed_pretrained").embeddings
    assert keras.backend.standardize_dtype(table.dtype) == "float16"
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(*toy_task(vocab), epochs=3, batch_size=16, verbose=0)
    out = block_of(model).predict(all_ids(vocab), verbose=0)[0]
    assert out.dtype == np.float32
    rounded = matrix.astype("float16").astype("float32")
    np.testing.assert_array_equal(out[1 : len(WORDS) + 1], rounded)
    assert np.abs(rounded - matrix).max() <= np.abs(matrix).max() * 2.0**-11


def test_float16_block_saves_and_reloads(vocab, matrix, tmp_path):
    model = block_model(vocab, matrix, frozen_dtype="float16")
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    ids = all_ids(vocab)
    np.testing.assert_array_equal(
        reloaded.predict(ids, verbose=0), model.predict(ids, verbose=0)
    )


def test_float16_refuses_values_it_cannot_hold(vocab, matrix):
    big = matrix.copy()
    big[3, 2] = 1e5
    with pytest.raises(ValueError, match=r"glove_matrix\[3, 2\]=100000.0"):
        build_embedding_block(vocab, big, frozen_dtype="float16")
    with pytest.raises(ValueError, match="frozen_dtype='float64'"):
        build_embedding_block(vocab, matrix, frozen_dtype="float64")


def test_float64_values_beyond_float32_range_are_refused(vocab, matrix):
    big = matrix.astype("float64")
    big[0, 0] = 1e39  # finite in float64, inf once stored as float32
    with pytest.raises(
        ValueError,
        match=r'frozen_dtype="float32"` holds values up to 3\.40282e\+38.*'
        r"glove_matrix\[0, 0\]=1e\+39 \(the vector of 'the'\)",
    ):
        build_embedding_block(vocab, big)
    big[0, 0] = 3e38  # still within float32's range
    build_embedding_block(vocab, big)


def test_float_ids_are_truncated_toward_zero_by_keras_as_documented(vocab, matrix):
    # Keras' functional model casts every input to its Input's dtype (int32)
    # before the first layer runs, so the block never sees the floats.
    model = block_model(vocab, matrix)
    floats = np.array([[0.9, -0.5, 1.5, 2.99]])
    np.testing.assert_array_equal(
        model.predict(floats, verbose=0),
        model.predict(np.array([[0, 0, 1, 2]], dtype="int32"), verbose=0),
    )
