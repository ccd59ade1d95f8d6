"""LoadedVectors: unpacking, vocabulary, use with the block."""

from __future__ import annotations

import pytest

from twoembed.vectors import load_glove
from twoembed.vocab import Vocabulary

from .files import GLOVE, write


def test_missing_words_become_special_tokens_on_request(tmp_path):
    path = write(tmp_path, GLOVE)
    result = load_glove(path, ["the", "emu", "yak"], counts={"emu": 1, "yak": 5})
    vocab = result.vocabulary(["<url>"], promote_missing=1)
    assert isinstance(vocab, Vocabulary)
    assert vocab.words == ("the",)
    assert vocab.special_tokens == ("<url>", "yak")
    assert result.vocabulary(promote_missing=True).special_tokens == ("yak", "emu")
    assert result.vocabulary().id_of("emu") == result.vocabulary().oov_id
    with pytest.raises(ValueError, match="promote_missing=-1"):
        result.vocabulary(promote_missing=-1)


def test_result_works_with_the_embedding_block(tmp_path):
    from twoembed.block import build_embedding_block

    result = load_glove(write(tmp_path, GLOVE), ["cat", "emu"])
    vocab = result.vocabulary(promote_missing=True)
    _, outputs = build_embedding_block(vocab, result.matrix)
    assert outputs.shape[-1] == 3


def test_result_vocabulary_refuses_a_single_string(tmp_path):
    result = load_glove(write(tmp_path, GLOVE), verbose=0)
    with pytest.raises(TypeError, match=r"not a single string\. Received: "):
        result.vocabulary("<u>")
    assert result.vocabulary(["<u>"]).special_tokens == ("<u>",)


def test_save_writes_the_matrix_as_npy_for_the_block(tmp_path):
    import keras
    import numpy as np

    from twoembed.block import build_embedding_block

    result = load_glove(write(tmp_path, GLOVE), ["cat", "the"])
    path = result.save(tmp_path / "v.npy")
    assert path == str(tmp_path / "v.npy")
    np.testing.assert_array_equal(np.load(path), result.matrix)
    inputs, outputs = build_embedding_block(result.vocabulary(), path)
    table = keras.Model(inputs, outputs).get_layer("twoembed_pretrained")
    np.testing.assert_array_equal(table.get_weights()[0][1:3], result.matrix)
    assert table.source["path"] == path
    with pytest.raises(ValueError, match=r"end in \.npy.*v\.bin"):
        result.save(tmp_path / "v.bin")


def test_save_into_a_missing_directory_names_it_not_a_temporary_file(tmp_path):
    result = load_glove(write(tmp_path, GLOVE), ["cat"])
    with pytest.raises(FileNotFoundError) as caught:
        result.save(tmp_path / "no-dir" / "v.npy")
    assert f"No directory {str(tmp_path / 'no-dir')!r}" in str(caught.value)
    assert ".tmp" not in str(caught.value)


@pytest.mark.parametrize("path", [b"v.npy", None, ""])
def test_save_refuses_an_empty_or_non_str_path_naming_it(tmp_path, path):
    result = load_glove(write(tmp_path, GLOVE), ["cat"])
    with pytest.raises((TypeError, ValueError), match=rf"Received: path={path!r}"):
        result.save(path)
