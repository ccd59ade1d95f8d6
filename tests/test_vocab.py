import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twoembed import Vocabulary

tokens = st.text(min_size=1, max_size=6)


@st.composite
def layouts(draw):
    """Disjoint, duplicate-free words and special tokens."""
    unique = draw(st.lists(tokens, min_size=1, max_size=30, unique=True))
    split = draw(st.integers(1, len(unique)))
    return unique[:split], unique[split:]


@given(layouts())
def test_id_layout_words_then_specials_then_oov(layout):
    words, specials = layout
    vocab = Vocabulary(words, specials)
    n, k = len(words), len(specials)
    assert vocab.pad_id == 0
    assert [vocab.id_of(w) for w in words] == list(range(1, n + 1))
    assert [vocab.id_of(s) for s in specials] == list(range(n + 1, n + k + 1))
    assert vocab.special_ids == tuple(range(n + 1, n + k + 1))
    assert (
        vocab.oov_id == n + k + 1 == max(vocab.id_of(t) for t in words + specials) + 1
    )
    assert vocab.size == len(vocab) == n + k + 2


@given(layouts(), tokens)
def test_unknown_token_gets_oov_id(layout, token):
    words, specials = layout
    vocab = Vocabulary(words, specials)
    if token not in words and token not in specials:
        assert token not in vocab
        assert vocab.id_of(token) == vocab.oov_id


@given(layouts())
def test_token_of_inverts_id_of(layout):
    words, specials = layout
    vocab = Vocabulary(words, specials)
    for token in words + specials:
        assert vocab.token_of(vocab.id_of(token)) == token
    assert vocab.token_of(vocab.pad_id) is None
    assert vocab.token_of(vocab.oov_id) is None


@given(
    layouts(),
    st.lists(st.lists(tokens, max_size=8), max_size=6),
    st.one_of(st.none(), st.integers(1, 10)),
)
def test_encode_pads_at_end_and_cuts_at_max_len(layout, batch, max_len):
    words, specials = layout
    vocab = Vocabulary(words, specials)
    ids = vocab.encode(batch, max_len=max_len)
    width = max((len(b) for b in batch), default=0) if max_len is None else max_len
    assert ids.dtype == np.int32
    assert ids.shape == (len(batch), width)
    for row, tokens_ in zip(ids, batch, strict=True):
        kept = tokens_[:width]
        assert row[: len(kept)].tolist() == [vocab.id_of(t) for t in kept]
        assert (row[len(kept) :] == vocab.pad_id).all()


def test_encode_does_not_modify_the_batch():
    vocab = Vocabulary(["a", "b"])
    batch = [["a", "b", "c"], ["b"]]
    vocab.encode(batch, max_len=2)
    assert batch == [["a", "b", "c"], ["b"]]


def test_vocabulary_copies_the_word_list():
    words = ["a", "b"]
    vocab = Vocabulary(words)
    words.append("c")
    assert vocab.words == ("a", "b")
    assert vocab.id_of("c") == vocab.oov_id


def test_equal_layouts_are_equal_vocabularies():
    assert Vocabulary(["a"], ["<u>"]) == Vocabulary(("a",), ("<u>",))
    assert Vocabulary(["a"], ["<u>"]) != Vocabulary(["a"], ["<v>"])


@pytest.mark.parametrize(
    ("words", "specials", "error", "message"),
    [
        ([], [], ValueError, "at least one normal word"),
        (["a", "b", "a"], [], ValueError, "'a' twice, at positions 0 and 2"),
        (["a"], ["<u>", "<u>"], ValueError, "'<u>' twice"),
        (["a", "<u>"], ["<u>"], ValueError, "also a normal word"),
        (["a", 3], [], TypeError, "words\\[1\\]=3 of type int"),
        (["a"], [None], TypeError, "special_tokens\\[0\\]=None"),
        ("abc", [], TypeError, "not a single string"),
        (["a"], "<u>", TypeError, "not a single string"),
        (5, [], TypeError, "of type int"),
    ],
)
def test_bad_layout_raises_a_clear_error(words, specials, error, message):
    with pytest.raises(error, match=message):
        Vocabulary(words, specials)


@pytest.mark.parametrize(
    ("batch", "max_len", "error", "message"),
    [
        ([["a"]], 0, ValueError, "at least 1. Received: max_len=0"),
        ([["a"]], -2, ValueError, "at least 1"),
        ([["a"]], 2.5, TypeError, "max_len=2.5"),
        ("a b", None, TypeError, "not a string"),
        (["a", "b"], None, TypeError, "entry 0 is 'a'"),
        ([["a"], 7], None, TypeError, "entry 1 is 7 of type int"),
        (None, None, TypeError, "batch=None of type NoneType"),
        ([["a"], [b"a"]], None, TypeError, r"batch\[1\] holds b'a' .*decode it first"),
        ([np.array([b"a"])], None, TypeError, "decode it first"),
        ([[1, 2]], None, TypeError, "encode takes tokens, not ids"),
        ([[["a"]]], None, TypeError, r"batch\[0\] holds \['a'\] of type list"),
    ],
)
def test_bad_encode_input_raises_a_clear_error(batch, max_len, error, message):
    with pytest.raises(error, match=message):
        Vocabulary(["a", "b"]).encode(batch, max_len=max_len)


@pytest.mark.parametrize(
    ("token", "message"), [(b"a", "decode it first"), (["a"], "of type list")]
)
def test_id_of_refuses_a_token_that_is_not_a_str(token, message):
    with pytest.raises(TypeError, match=message):
        Vocabulary(["a"]).id_of(token)


@pytest.mark.parametrize("token_id", ["1", 1.7, True, None])
def test_token_of_refuses_an_id_that_is_not_an_int(token_id):
    with pytest.raises(TypeError, match=r"`token_id` must be an int"):
        Vocabulary(["a"]).token_of(token_id)


def test_token_of_takes_numpy_and_0_d_integer_ids():
    vocab = Vocabulary(["a", "b"])
    assert vocab.token_of(np.int64(2)) == vocab.token_of(np.array(2)) == "b"


def test_token_of_refuses_ids_outside_the_layout():
    with pytest.raises(ValueError, match="token_id=9"):
        Vocabulary(["a"]).token_of(9)


@given(layouts())
def test_save_then_load_gives_the_same_ids(tmp_path_factory, layout):
    words, specials = layout
    path = tmp_path_factory.mktemp("vocab") / "vocab.json"
    vocab = Vocabulary(words, specials)
    vocab.save(path)
    loaded = Vocabulary.load(path)
    assert loaded == vocab
    assert [loaded.id_of(t) for t in words + specials] == [
        vocab.id_of(t) for t in words + specials
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a vocabulary JSON file"),
        ('["a"]', 'expected a JSON object with "format"'),
        ('{"format": "other"}', "not a vocabulary file"),
        ('{"format": "twoembed.Vocabulary", "version": 9}', "version 9"),
        (
            '{"format": "twoembed.Vocabulary", "version": 1, "words": ["a", "a"]}',
            "'a' twice",
        ),
        ("[" * 100_000, "not a vocabulary JSON file"),
        ('{"format": "twoembed.Vocabulary", "version": true}', "version True"),
        (
            '{"format": "twoembed.Vocabulary", "version": 1, "words": {"a": 1}}',
            '"words" must be a JSON list of strings. Received: dict',
        ),
        (
            '{"format": "twoembed.Vocabulary", "version": 1, "special_tokens": "<u>"}',
            '"special_tokens" must be a JSON list',
        ),
    ],
    ids=["not-json", "a-list", "other-format", "version-9", "a-word-twice",
         "nested-deep", "version-true", "words-a-dict", "specials-a-string"],
)
def test_loading_a_bad_vocabulary_file_raises_value_error(tmp_path, content, message):
    path = tmp_path / "vocab.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        Vocabulary.load(path)


def test_loading_a_missing_vocabulary_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no-such\.json"):
        Vocabulary.load(tmp_path / "no-such.json")


def test_encode_accepts_arrays_of_tokens():
    vocab = Vocabulary(["a", "b"])
    ids = vocab.encode([np.array(["b", "a"]), ("a",)])
    assert ids.tolist() == [[2, 1], [1, 0]]


def test_tokens_that_cannot_be_written_as_utf8_are_refused():
    with pytest.raises(ValueError, match=r"words\[1\]`='a\\udcff' cannot be written"):
        Vocabulary(["ok", "a\udcff"])


def test_save_replaces_an_earlier_file_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "vocab.json"
    Vocabulary(["a", "b"]).save(path)
    Vocabulary(["c"], ["<u>"]).save(path)
    assert Vocabulary.load(path) == Vocabulary(["c"], ["<u>"])
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]


def test_save_into_a_missing_directory_names_it_not_a_temporary_file(tmp_path):
    target = tmp_path / "artifacts" / "vocab.json"
    with pytest.raises(FileNotFoundError) as caught:
        Vocabulary(["a"]).save(target)
    assert f"No directory {str(tmp_path / 'artifacts')!r}" in str(caught.value)
    assert ".tmp" not in str(caught.value)


@pytest.mark.parametrize("path", [b"vocab.json", None])
def test_save_refuses_a_path_that_is_not_a_str_naming_it(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=rf"Received: path={path!r} of type"):
        Vocabulary(["a"]).save(path)
    assert os.listdir(tmp_path) == []
