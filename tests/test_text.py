import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoembed import Vocabulary, build_embedding_block, build_text_encoder, tokenize

VOCAB = Vocabulary(["great", "movie", "a", "été", "x\u00a0y"], [":)", "<url>"])
pieces = st.sampled_from(
    [
        "great",
        "Great",
        "MOVIE",
        "a",
        "été",
        "Été",
        "x\u00a0y",
        ":)",
        "<URL>",
        "<url>",
        "zzz",
        "A",
        " ",
        "  ",
        "\t",
        "\n",
        "\u00a0",
        "\u2003",
    ]
)
texts = st.lists(pieces, max_size=12).map("".join)


@pytest.fixture(scope="module")
def encoder():
    return build_text_encoder(VOCAB, max_len=8)


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4))
def test_text_encoder_gives_the_ids_of_tokenize_then_encode(encoder, batch):
    expected = VOCAB.encode([tokenize(t) for t in batch], max_len=8)
    got = keras.ops.convert_to_numpy(encoder(np.array(batch, dtype=object)))
    np.testing.assert_array_equal(got, expected)


def test_tokenize_lowercases_ascii_only_and_splits_on_ascii_whitespace():
    assert tokenize("Great\tMOVIE\u00a0Été  x\ny") == [
        "great",
        "movie\u00a0Été",
        "x",
        "y",
    ]
    assert tokenize("Great", lowercase=False) == ["Great"]
    assert tokenize("   ") == []


def test_tokenize_refuses_non_strings():
    with pytest.raises(TypeError, match="text=b'x'"):
        tokenize(b"x")


def test_oov_goes_to_the_top_and_padding_stays_zero(encoder):
    ids = keras.ops.convert_to_numpy(encoder(np.array(["zzz great"], dtype=object)))
    assert ids.tolist() == [[VOCAB.oov_id, 1, 0, 0, 0, 0, 0, 0]]


def test_raw_text_model_saves_and_reloads_in_safe_mode(encoder, tmp_path):
    inputs, vectors = build_embedding_block(
        VOCAB, np.ones((5, 3), "float32"), max_len=8
    )
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    classifier = keras.Model(inputs, keras.layers.Dense(1)(pooled))
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, classifier(encoder(text)))
    batch = np.array(["great movie :)", "zzz <url>"], dtype=object)
    expected = model.predict(batch, verbose=0)
    model.save(tmp_path / "text.keras")
    reloaded = keras.models.load_model(tmp_path / "text.keras", safe_mode=True)
    np.testing.assert_array_equal(reloaded.predict(batch, verbose=0), expected)


@pytest.mark.parametrize("reserved", ["", "[UNK]"])
def test_tokens_reserved_by_text_vectorization_are_refused(reserved):
    with pytest.raises(ValueError, match="reserves"):
        build_text_encoder(Vocabulary(["a", reserved]))


def test_text_encoder_refuses_a_word_list():
    with pytest.raises(TypeError, match="Vocabulary"):
        build_text_encoder(["a", "b"])
