import keras
import numpy as np
import pytest
from helpers import DIM, SPECIALS, WORDS, outputs_of_every_id, trained_classifier

from twoembed import (
    Vocabulary,
    block_names,
    build_embedding_block,
    export_vectors,
    load_glove,
    merged_matrix,
)


def test_merged_matrix_equals_the_block_output_for_every_id(vocab, matrix):
    model = trained_classifier(vocab, matrix)
    merged = merged_matrix(model, vocab)
    assert merged.shape == (vocab.oov_id + 1, DIM)
    assert merged.dtype == np.float32
    np.testing.assert_array_equal(merged, outputs_of_every_id(model, vocab))
    np.testing.assert_array_equal(merged[1 : len(WORDS) + 1], matrix)


def test_merged_matrix_works_on_a_reloaded_model(vocab, matrix, tmp_path):
    model = trained_classifier(vocab, matrix)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(
        merged_matrix(reloaded, vocab), merged_matrix(model, vocab)
    )


def test_merged_matrix_finds_a_block_inside_a_nested_model(vocab, matrix):
    inner = trained_classifier(vocab, matrix)
    ids = keras.Input((None,), dtype="int32")
    outer = keras.Model(ids, inner(ids))
    np.testing.assert_array_equal(
        merged_matrix(outer, vocab), merged_matrix(inner, vocab)
    )


def test_a_model_with_two_blocks_needs_the_block_name(vocab, matrix):
    a_in, a_out = build_embedding_block(vocab, matrix, name="title")
    other = Vocabulary(WORDS[:2])
    b_in, b_out = build_embedding_block(other, matrix[:2] * 2, name="body")
    model = keras.Model([a_in, b_in], [a_out, b_out])
    assert block_names(model) == ["title", "body"]
    with pytest.raises(ValueError, match=r"2 blocks, \['title', 'body'\]: pass block="):
        merged_matrix(model, vocab)
    np.testing.assert_array_equal(
        merged_matrix(model, other, block="body")[1:3], matrix[:2] * 2
    )
    with pytest.raises(ValueError, match="no block named 'nope'"):
        merged_matrix(model, vocab, block="nope")


@pytest.mark.parametrize(
    "wrong",
    [
        Vocabulary(WORDS[:-1], [*SPECIALS, ":)"]),  # same size, other layout
        Vocabulary(WORDS, SPECIALS[:1]),
        Vocabulary([*WORDS, "rug"], SPECIALS),
    ],
)
def test_a_mismatched_vocabulary_is_an_error(vocab, matrix, wrong):
    model = trained_classifier(vocab, matrix)
    with pytest.raises(ValueError, match="does not match block 'twoembed'"):
        merged_matrix(model, wrong)


def test_a_model_without_a_block_is_an_error(vocab):
    ids = keras.Input((None,), dtype="int32")
    model = keras.Model(ids, keras.layers.Embedding(10, 2)(ids))
    with pytest.raises(ValueError, match="holds no twoembed block"):
        merged_matrix(model, vocab)


def test_exported_vectors_read_back_exactly_with_load_glove(vocab, matrix, tmp_path):
    model = trained_classifier(vocab, matrix)
    path = tmp_path / "vectors.txt"
    assert export_vectors(model, vocab, path) == len(WORDS) + len(SPECIALS) + 1
    words, loaded = load_glove(path, verbose=0)
    assert words == [*WORDS, *SPECIALS, "<oov>"]
    np.testing.assert_array_equal(loaded, merged_matrix(model, vocab)[1:])


def test_export_refuses_an_oov_token_that_is_already_a_token(vocab, matrix, tmp_path):
    model = trained_classifier(vocab, matrix)
    with pytest.raises(ValueError, match="'<url>' is already a token"):
        export_vectors(model, vocab, tmp_path / "v.txt", oov_token="<url>")


def test_tokens_with_spaces_and_unicode_round_trip_through_export(tmp_path):
    words = [
        "new york",
        " lead",
        "a\u00a0b",
        "x ",
        "été",
        "\u2028",
        "tab\there",
        "3",
        "1.5",
    ]
    vocab = Vocabulary(words, [":)"])
    matrix = np.arange(len(words) * 2, dtype="float32").reshape(-1, 2) / 7
    model = keras.Model(*build_embedding_block(vocab, matrix))
    path = tmp_path / "v.txt"
    export_vectors(model, vocab, path)
    read_words, read = load_glove(path, verbose=0)
    assert read_words == [*words, ":)", "<oov>"]
    np.testing.assert_array_equal(read[: len(words)], matrix)


@pytest.mark.parametrize("token", ["route 66", "x 1e5", "a\nb", "cr\rlf"])
def test_tokens_load_glove_could_not_read_back_are_refused(tmp_path, token):
    vocab = Vocabulary(["ok", token])
    model = keras.Model(*build_embedding_block(vocab, np.ones((2, 3))))
    path = tmp_path / "v.txt"
    with pytest.raises(ValueError, match="1 tokens cannot be written"):
        export_vectors(model, vocab, path)
    assert not path.exists()


def test_nested_blocks_sharing_a_name_are_refused(vocab, matrix):
    first = keras.Model(*build_embedding_block(vocab, matrix))
    second = keras.Model(*build_embedding_block(vocab, matrix * 2))
    ids = keras.Input((None,), dtype="int32")
    outer = keras.Model(ids, [first(ids), second(ids)])
    with pytest.raises(ValueError, match=r"several blocks named \['twoembed'\]"):
        merged_matrix(outer, vocab)
