import contextlib
import os
import re

import keras
import numpy as np
import pytest
from helpers import DIM, SPECIALS, WORDS, outputs_of_every_id, trained_classifier

from twoembed import (
    Vocabulary,
    block_names,
    build_embedding_block,
    export_vectors,
    inspect_rows,
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


def test_an_interrupted_export_leaves_the_existing_file_as_it_was(
    vocab, matrix, tmp_path, monkeypatch
):
    import twoembed.export as export

    model = trained_classifier(vocab, matrix)
    path = tmp_path / "vectors.txt"
    path.write_text("3 1\nthe previous export\n")
    real = export.atomic_write

    class CtrlCAfterTwoLines:
        def __init__(self, f):
            self.f, self.lines = f, 0

        def write(self, text):
            self.lines += 1
            if self.lines > 2:
                raise KeyboardInterrupt
            return self.f.write(text)

    @contextlib.contextmanager
    def interrupted(*args, **kwargs):
        with real(*args, **kwargs) as f:
            yield CtrlCAfterTwoLines(f)

    monkeypatch.setattr(export, "atomic_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_vectors(model, vocab, path)
    assert path.read_text() == "3 1\nthe previous export\n"
    assert os.listdir(tmp_path) == ["vectors.txt"]
    monkeypatch.setattr(export, "atomic_write", real)
    export_vectors(model, vocab, path)
    assert load_glove(path, verbose=0).words[0] == "the"


@pytest.mark.parametrize("oov_token", [5, None, b"<oov>"])
def test_a_non_string_oov_token_is_refused_naming_it(
    vocab, matrix, tmp_path, oov_token
):
    model = trained_classifier(vocab, matrix)
    with pytest.raises(TypeError, match=r"`oov_token` must be a str\. Received: oov"):
        export_vectors(model, vocab, tmp_path / "v.txt", oov_token=oov_token)
    assert not (tmp_path / "v.txt").exists()


def test_export_to_a_directory_is_refused(vocab, matrix, tmp_path):
    model = trained_classifier(vocab, matrix)
    with pytest.raises(ValueError, match="is a directory"):
        export_vectors(model, vocab, tmp_path)


@pytest.mark.parametrize(
    "call",
    [
        lambda model, vocab, path: block_names(model),
        lambda model, vocab, path: merged_matrix(model, vocab),
        lambda model, vocab, path: export_vectors(model, vocab, path),
        lambda model, vocab, path: inspect_rows(model, vocab),
    ],
    ids=["block_names", "merged_matrix", "export_vectors", "inspect_rows"],
)
@pytest.mark.parametrize("model", ["model.keras", None, "layer"])
def test_something_other_than_a_model_is_refused_naming_it(
    vocab, tmp_path, call, model
):
    if model == "layer":
        model = keras.layers.Dense(2)
    with pytest.raises(TypeError, match=r"`model` must be a keras\.Model") as error:
        call(model, vocab, tmp_path / "out.txt")
    if model == "model.keras":
        assert "keras.models.load_model" in str(error.value)
    assert not os.path.exists(tmp_path / "out.txt")


@pytest.mark.parametrize("call", [export_vectors, inspect_rows])
def test_something_other_than_a_vocabulary_is_refused_naming_it(
    vocab, matrix, tmp_path, call
):
    model = keras.Model(*build_embedding_block(vocab, matrix))
    args = (tmp_path / "out.txt",) if call is export_vectors else ()
    with pytest.raises(TypeError, match=r"`vocab` must be a twoembed\.Vocabulary"):
        call(model, None, *args)


@pytest.mark.parametrize("path", ["", b"v.txt", None])
def test_export_refuses_an_empty_or_non_str_path_naming_it(
    vocab, matrix, tmp_path, monkeypatch, path
):
    model = trained_classifier(vocab, matrix)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    with pytest.raises((TypeError, ValueError), match=rf"Received: path={path!r}"):
        export_vectors(model, vocab, path)
    assert os.listdir(tmp_path) == ["cwd"] and os.listdir(tmp_path / "cwd") == []


def test_export_into_a_missing_directory_names_it(vocab, matrix, tmp_path):
    model = trained_classifier(vocab, matrix)
    with pytest.raises(FileNotFoundError, match=r"No directory '.*no-dir' to write"):
        export_vectors(model, vocab, tmp_path / "no-dir" / "v.txt")


def by_reference_model(vocab, matrix, npy):
    """A model whose frozen table is saved by reference to the file `npy`."""
    np.save(npy, matrix)
    return keras.Model(*build_embedding_block(vocab, str(npy)))


@pytest.mark.parametrize("out", ["table.npy", "./table.npy", "link.npy"])
def test_export_refuses_to_write_over_the_table_a_by_reference_model_reads(
    vocab, matrix, tmp_path, monkeypatch, out
):
    monkeypatch.chdir(tmp_path)
    model = by_reference_model(vocab, matrix, tmp_path / "table.npy")
    os.symlink("table.npy", tmp_path / "link.npy")
    before = (tmp_path / "table.npy").read_bytes()
    message = (
        f"The output {out!r} is the frozen table file {str(tmp_path / 'table.npy')!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        export_vectors(model, vocab, out)
    assert (tmp_path / "table.npy").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["link.npy", "table.npy"]


def test_export_refuses_the_table_a_reloaded_model_read_from_its_new_place(
    vocab, matrix, tmp_path
):
    import twoembed

    (tmp_path / "old").mkdir()
    by_reference_model(vocab, matrix, tmp_path / "old" / "v.npy").save(
        tmp_path / "m.keras"
    )
    os.rename(tmp_path / "old" / "v.npy", tmp_path / "moved.npy")
    with twoembed.table_location(tmp_path / "moved.npy"):
        model = keras.models.load_model(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="is the frozen table file"):
        export_vectors(model, vocab, tmp_path / "moved.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "moved.npy"), matrix)
    assert export_vectors(model, vocab, tmp_path / "v.txt") == vocab.oov_id
