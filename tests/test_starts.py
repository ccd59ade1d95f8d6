import json
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest

import twoembed
from twoembed import OOV, LoadedVectors, Vocabulary, build_embedding_block
from twoembed.vectors import LoadReport

WORDS = ["the", "cat", "sat", "paris", "Rome"]
SPECIALS = ["<url>", "<user>"]
DIM = 4


@pytest.fixture
def vocab():
    return Vocabulary(WORDS, SPECIALS)


@pytest.fixture
def matrix():
    return np.random.default_rng(1).normal(size=(len(WORDS), DIM)).astype("float32")


def special_table(model, name="twoembed"):
    return keras.ops.convert_to_numpy(model.get_layer(f"{name}_special").embeddings)


def block_output(model, vocab):
    ids = np.arange(vocab.size, dtype="int32")[None]
    return model.predict(ids, verbose=0)[0]


def test_special_init_starts_rows_from_word_words_mean_and_vector(vocab, matrix):
    vector = np.arange(DIM, dtype="float32")
    model = keras.Model(
        *build_embedding_block(
            vocab,
            matrix,
            special_init={"<url>": "cat", "<user>": ["the", "sat"], OOV: vector},
        )
    )
    out = block_output(model, vocab)
    np.testing.assert_array_equal(out[vocab.id_of("<url>")], matrix[1])
    np.testing.assert_allclose(
        out[vocab.id_of("<user>")], (matrix[0] + matrix[2]) / 2, rtol=1e-6
    )
    np.testing.assert_array_equal(out[vocab.oov_id], vector)


def test_mean_start_is_the_mean_of_all_pretrained_rows(vocab, matrix):
    block = build_embedding_block(vocab, matrix, special_init={OOV: "mean"})
    model = keras.Model(*block)
    np.testing.assert_allclose(
        block_output(model, vocab)[vocab.oov_id], matrix.mean(axis=0), rtol=1e-5
    )


def test_rows_without_a_start_keep_the_special_initializer(vocab, matrix):
    model = keras.Model(
        *build_embedding_block(
            vocab, matrix, special_initializer="ones", special_init={"<url>": "cat"}
        )
    )
    table = special_table(model)
    np.testing.assert_array_equal(table[0], np.zeros(DIM))  # still pinned
    np.testing.assert_array_equal(table[2:], np.ones((2, DIM)))


def test_start_values_stay_out_of_the_config(vocab, tmp_path):
    big = np.random.default_rng(0).normal(size=(len(WORDS), 300)).astype("float32")
    start = np.full(300, 0.123456789, dtype="float32")
    model = keras.Model(
        *build_embedding_block(vocab, big, special_init={"<url>": start, OOV: "mean"})
    )
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config_text = archive.read("config.json").decode()
    assert len(config_text) < 20_000
    assert "0.12345" not in config_text
    layers = {
        layer["config"]["name"]: layer for layer in json.loads(config_text)["config"][
            "layers"
        ]
    }
    assert layers["twoembed_special"]["config"]["keep_start"] is True


@pytest.mark.parametrize(
    "special_init, error, message",
    [
        ({"<nope>": "cat"}, ValueError, "'<nope>' is neither a special token"),
        ({"cat": "the"}, ValueError, "'cat' is neither a special token"),
        ({"<url>": "dog"}, ValueError, "'dog', which is not one of the vocabulary"),
        ({"<url>": ["the", "dog"]}, ValueError, "'dog', which is not one of"),
        ({"<url>": [1.0, 2.0]}, ValueError, "length 4.*shape \\(2,\\)"),
        ({"<url>": [1.0, np.nan, 0, 0]}, ValueError, "finite.*\\[1\\]=nan"),
        ({"<url>": [1e39, 0, 0, 0]}, ValueError, "float32's range.*\\[0\\]=1e\\+39"),
        ({"<url>": "<user>"}, ValueError, "'<user>', which is not one of"),
        ({"<url>": [True] * 4}, TypeError, "must be a normal word"),
        ({"<url>": {"a": 1}}, TypeError, "must be a normal word"),
        (["<url>"], TypeError, "`special_init` must be a mapping"),
    ],
)
def test_bad_special_init_raises_before_any_layer_is_built(
    vocab, matrix, special_init, error, message, monkeypatch
):
    built = []
    monkeypatch.setattr(keras, "Input", lambda *a, **k: built.append(a))
    with pytest.raises(error, match=message):
        build_embedding_block(vocab, matrix, special_init=special_init)
    assert built == []


def test_explicit_special_init_wins_over_the_vocabularys_starts(matrix):
    vocab = Vocabulary(WORDS, SPECIALS, starts={"<url>": "the", "<user>": "cat"})
    model = keras.Model(
        *build_embedding_block(vocab, matrix, special_init={"<url>": "sat"})
    )
    out = block_output(model, vocab)
    np.testing.assert_array_equal(out[vocab.id_of("<url>")], matrix[2])
    np.testing.assert_array_equal(out[vocab.id_of("<user>")], matrix[1])


def test_vocabulary_refuses_starts_for_tokens_it_does_not_train():
    with pytest.raises(ValueError, match="'the' is neither a special token"):
        Vocabulary(WORDS, SPECIALS, starts={"the": "cat"})
    assert Vocabulary(WORDS, SPECIALS, starts={OOV: "mean"}) == Vocabulary(
        WORDS, SPECIALS
    )


def loaded(words, matrix, missing):
    report = LoadReport(
        path="v.txt", dim=matrix.shape[1], header=None, lines_read=len(words),
        num_requested=len(words) + len(missing), num_found=len(words),
        missing=tuple(missing), lowercased=(), duplicates=0, invalid_utf8=0,
        skipped_rows=(), corpus_tokens=None, token_coverage=None,
        missing_counts=(), from_cache=False, seconds=0.0,
    )  # fmt: skip
    return LoadedVectors(list(words), matrix, report)


def test_promoted_words_start_from_their_case_form_else_the_mean(matrix):
    result = loaded(WORDS, matrix, ["Paris", "rome", "zyx"])
    vocab = result.vocabulary(
        ["<url>"], promote_missing=3, promoted_start=("case", "mean")
    )
    assert vocab.special_tokens == ("<url>", "Paris", "rome", "zyx")
    assert vocab.starts == {"Paris": "paris", "rome": "Rome", "zyx": "mean"}
    out = block_output(keras.Model(*build_embedding_block(vocab, matrix)), vocab)
    np.testing.assert_array_equal(out[vocab.id_of("Paris")], matrix[3])
    np.testing.assert_array_equal(out[vocab.id_of("rome")], matrix[4])
    np.testing.assert_allclose(out[vocab.id_of("zyx")], matrix.mean(0), rtol=1e-5)


def test_promoted_start_takes_a_callable_source_such_as_subwords(matrix):
    result = loaded(WORDS, matrix, ["Paris", "zyx"])
    vector = np.full(DIM, 0.5, dtype="float32")
    vocab = result.vocabulary(
        promote_missing=2,
        promoted_start=(lambda w: vector if w == "zyx" else None, "case"),
    )
    np.testing.assert_array_equal(vocab.starts["zyx"], vector)
    assert vocab.starts["Paris"] == "paris"


def test_promoted_start_random_is_todays_behaviour(matrix):
    vocab = loaded(WORDS, matrix, ["Paris"]).vocabulary(promote_missing=1)
    assert vocab.special_tokens == ("Paris",) and vocab.starts == {}


@pytest.mark.parametrize(
    "source, message",
    [
        ("wrong", "must be one of \\['random', 'mean', 'case', 'subword'\\]"),
        ("subword", "needs vectors that carry subword information"),
        ((), "`promoted_start` is empty"),
    ],
)
def test_bad_promoted_start_is_refused(matrix, source, message):
    with pytest.raises(ValueError, match=message):
        loaded(WORDS, matrix, ["zyx"]).vocabulary(
            promote_missing=1, promoted_start=source
        )


def test_trained_starts_and_pull_reload_in_safe_mode_in_a_fresh_process(
    vocab, matrix, tmp_path
):
    keras.utils.set_random_seed(2)
    inputs, vectors = build_embedding_block(
        vocab, matrix, special_init={"<url>": "cat", OOV: "mean"}, start_pull=0.01
    )
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    x = np.random.default_rng(0).integers(0, vocab.size, size=(64, 5)).astype("int32")
    y = (x == vocab.id_of("<url>")).any(axis=1).astype("float32")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", model.predict(x, verbose=0))
    np.save(tmp_path / "table.npy", special_table(model))
    script = textwrap.dedent(
        f"""
        import numpy as np
        import twoembed  # registers the block's pieces; nothing else
        import keras
        d = {str(tmp_path)!r}
        model = keras.models.load_model(d + "/m.keras", safe_mode=True)
        special = model.get_layer("twoembed_special")
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(special.embeddings), np.load(d + "/table.npy")
        )
        assert special.embeddings_regularizer.strength == 0.01
        predicted = model.predict(np.load(d + "/x.npy"), verbose=0)
        np.testing.assert_array_equal(predicted, np.load(d + "/expected.npy"))
        print("same trained rows")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same trained rows" in result.stdout
    start = keras.ops.convert_to_numpy(model.get_layer("twoembed_special").start)
    np.testing.assert_array_equal(start[1], matrix[1])  # the start, not trained


def test_oov_key_is_a_single_named_sentinel():
    import pickle

    assert repr(OOV) == "twoembed.OOV" and pickle.loads(pickle.dumps(OOV)) is OOV
    assert twoembed.OOV is OOV
