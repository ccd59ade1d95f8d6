import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
from helpers import PIECES
from hypothesis import given, settings
from hypothesis import strategies as st

from twoembed import (
    Vocabulary,
    build_embedding_block,
    build_text_encoder,
    special_token_rules,
    tokenize,
)
from twoembed.patterns import graph_patterns

pieces = st.one_of(
    st.sampled_from(PIECES),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=3),
)
texts = st.lists(pieces, max_size=14).map("".join)

SPECIALS = [":)", ":-(", "<3", "<url>", "<user>", "<num>", "<number>"]
CONFIGS = {
    "glove": dict(style="glove"),
    "glove_keep_rules": dict(
        style="glove", keep=[":d", "<3"], replacements=special_token_rules()
    ),
    "glove_cased": dict(style="glove", lowercase=False),
    # kept tokens that start like a word: no runs (see
    # twoembed.tokenize.graph_patterns)
    "glove_keep_word_start": dict(style="glove", keep=["ok", "it's", "..", "-)"]),
    "whitespace_rules": dict(
        style="whitespace", replacements=special_token_rules(number="<number>")
    ),
}


def _vocab(config):
    options = {k: v for k, v in config.items() if k != "style"}
    words = []
    for piece in PIECES:
        for style in ("glove", "whitespace"):
            for token in tokenize(piece, style=style, **options):
                if token not in words and token not in SPECIALS and token != "[UNK]":
                    words.append(token)
    return Vocabulary(words, SPECIALS)


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def case(request):
    config = CONFIGS[request.param]
    vocab = _vocab(config)
    with pytest.warns(UserWarning, match="can never come out"):
        encoder = build_text_encoder(vocab, max_len=12, **config)
    keep = [*config.get("keep", ()), *SPECIALS]
    return vocab, encoder, {**config, "keep": keep}


@settings(max_examples=80, deadline=None)
@given(batch=st.lists(texts, min_size=1, max_size=4))
def test_text_encoder_gives_the_ids_of_tokenize_then_encode(case, batch):
    vocab, encoder, options = case
    expected = vocab.encode([tokenize(t, **options) for t in batch], max_len=12)
    got = keras.ops.convert_to_numpy(encoder(np.array(batch, dtype=object)))
    np.testing.assert_array_equal(got, expected)


def test_text_encoder_gives_the_ids_of_tokenize_for_every_pair_of_pieces(case):
    # Every two pieces side by side, glued and with a space: where runs of
    # tokens, clitics and kept tokens meet.
    vocab, encoder, options = case
    batch = [a + sep + b for a in PIECES for b in PIECES for sep in ("", " ")]
    expected = vocab.encode([tokenize(t, **options) for t in batch], max_len=12)
    got = keras.ops.convert_to_numpy(encoder(np.array(batch, dtype=object)))
    pairs = zip(batch, got, expected, strict=True)
    assert [text for text, ids, want in pairs if (ids != want).any()] == []


def test_the_splitter_takes_a_single_text_too():
    from twoembed.text import TextSplitter

    patterns = graph_patterns(())
    split = TextSplitter(True, [], patterns.tokens, patterns.clitics)
    assert split("It's fine.").numpy().tolist() == [b"it", b"'s", b"fine", b"."]


def test_a_batch_is_cut_back_into_its_texts_empty_ones_included():
    vocab = Vocabulary(["a", "b", "!"])
    encoder = build_text_encoder(vocab, max_len=3)
    ids = encoder(np.array(["", "a!", " ", "b a", ""], dtype=object))
    a, b, bang = (vocab.id_of(t) for t in "ab!")
    expected = [[0, 0, 0], [a, bang, 0], [0, 0, 0], [b, a, 0], [0, 0, 0]]
    assert keras.ops.convert_to_numpy(ids).tolist() == expected
    empty = keras.ops.convert_to_numpy(encoder(np.array([], dtype=object)))
    assert empty.shape == (0, 3)


@pytest.mark.parametrize("raw", [b"a \xff b", b"a\xffb", b"\xff"])
def test_a_text_holding_the_joining_byte_is_tokenised_on_its_own(raw):
    # Raw bytes, not UTF-8: the byte that joins a batch stands alone in them,
    # so the batch goes text by text and no text takes another's tokens.
    vocab = Vocabulary(["a", "b"])
    encoder = build_text_encoder(vocab, max_len=4)
    alone = keras.ops.convert_to_numpy(encoder(np.array([raw], dtype=object)))
    ids = keras.ops.convert_to_numpy(encoder(np.array([b"b", raw, b"a"], dtype=object)))
    assert ids.tolist() == [
        [vocab.id_of("b"), 0, 0, 0],
        alone[0].tolist(),
        [vocab.id_of("a"), 0, 0, 0],
    ]
    expected = {
        b"a \xff b": ["a", None, "b"],
        b"a\xffb": ["a", None, "b"],
        b"\xff": [None],
    }[raw]
    want = [vocab.oov_id if t is None else vocab.id_of(t) for t in expected]
    assert alone[0].tolist() == want + [0] * (4 - len(want))


def test_bytes_glued_to_the_joining_byte_stay_in_their_text():
    vocab = Vocabulary(["a"])
    encoder = build_text_encoder(vocab, max_len=2)
    ids = encoder(np.array([b"\xff\xff", b"a"], dtype=object))
    assert keras.ops.convert_to_numpy(ids).tolist() == [
        [vocab.oov_id, 0],
        [vocab.id_of("a"), 0],
    ]


def test_text_encoder_keeps_the_vocabulary_special_tokens_whole():
    vocab = Vocabulary(["great", "!"], [":)", "<url>"])
    encoder = build_text_encoder(vocab, max_len=5)
    ids = encoder(np.array(["Great:)!<url>"], dtype=object))
    assert keras.ops.convert_to_numpy(ids).tolist() == [[1, 3, 2, 4, 0]]


def test_a_kept_token_with_capitals_is_refused_and_a_special_one_only_warned_of():
    vocab = Vocabulary(["great"], ["<URL>"])
    with pytest.raises(ValueError, match=r"keep\[0\]='XD' could never match"):
        build_text_encoder(vocab, keep=["XD"])
    with pytest.warns(UserWarning, match="can never come out of the tokeniser"):
        build_text_encoder(vocab)
    # A rule's target is put in after lowercasing, so it may keep capitals.
    rule = [("http://[^ ]*", "<URL>")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor is it warned of: the rule makes it
        encoder = build_text_encoder(
            vocab, max_len=2, keep=["<URL>"], replacements=rule
        )
    ids = encoder(np.array(["Great http://x.io"], dtype=object))
    assert keras.ops.convert_to_numpy(ids).tolist() == [[1, vocab.id_of("<URL>")]]


def test_oov_goes_to_the_top_and_padding_stays_zero():
    vocab = Vocabulary(["great", "movie"], [":)"])
    encoder = build_text_encoder(vocab, max_len=6)
    ids = keras.ops.convert_to_numpy(encoder(np.array(["zzz great."], dtype=object)))
    assert ids.tolist() == [[vocab.oov_id, 1, vocab.oov_id, 0, 0, 0]]


def test_max_len_none_pads_to_the_longest_text_of_the_batch():
    vocab = Vocabulary(["a", ","])
    encoder = build_text_encoder(vocab)
    ids = encoder(np.array(["a, a", "a"], dtype=object))
    assert keras.ops.convert_to_numpy(ids).tolist() == [[1, 2, 1], [1, 0, 0]]


def test_an_end_anchor_differs_before_a_final_newline_as_documented():
    # Python's `$` also matches before a final "\n"; RE2's only at the very end.
    rule = [("x$", "<end>")]
    vocab = Vocabulary(["x"], ["<end>"])
    with pytest.warns(UserWarning, match=r"\['x'\]"):  # "x" alone becomes <end>
        encoder = build_text_encoder(vocab, max_len=1, replacements=rule)
    ids = keras.ops.convert_to_numpy(encoder(np.array(["x", "x\n"], dtype=object)))
    assert tokenize("x\n", replacements=rule) == ["<end>"]
    assert ids.tolist() == [[vocab.id_of("<end>")], [vocab.id_of("x")]]


def test_a_rule_re2_cannot_compile_is_refused_when_the_encoder_is_built():
    with pytest.raises(ValueError, match=r"\(\?<=a\)b.*RE2"):
        build_text_encoder(Vocabulary(["a"]), replacements=[("(?<=a)b", "<b>")])


def test_text_encoder_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="style='spaces'"):
        build_text_encoder(Vocabulary(["a"]), style="spaces")


RELOAD = textwrap.dedent(
    """
    import sys
    import keras, numpy as np
    import twoembed  # registers the functions the saved model names
    model = keras.models.load_model(sys.argv[1], safe_mode=True)
    texts = np.array(sys.argv[2].split("|"), dtype=object)
    scores, ids = model(texts)
    np.savez(sys.argv[3], scores=keras.ops.convert_to_numpy(scores),
             ids=keras.ops.convert_to_numpy(ids))
    """
)


def test_raw_text_model_saves_and_reloads_in_safe_mode_in_a_fresh_process(tmp_path):
    vocab = Vocabulary(["great", "movie", "it", "'s", "!"], ["<url>", "<num>", ":)"])
    encoder = build_text_encoder(
        vocab, max_len=8, replacements=special_token_rules(), keep=[":-)"]
    )
    inputs, vectors = build_embedding_block(vocab, np.ones((5, 3), "float32"))
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    classifier = keras.Model(inputs, keras.layers.Dense(2)(pooled))
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, [classifier(encoder(text)), encoder(text)])
    batch = ["It's a great movie:)", "see http://x.io, 42!", "zzz :-)"]
    expected = [keras.ops.convert_to_numpy(x) for x in model(np.array(batch, object))]
    model.save(tmp_path / "text.keras")
    subprocess.run(
        [
            sys.executable,
            "-c",
            RELOAD,
            str(tmp_path / "text.keras"),
            "|".join(batch),
            str(tmp_path / "out.npz"),
        ],
        check=True,
        timeout=300,
    )
    reloaded = np.load(tmp_path / "out.npz", allow_pickle=False)
    np.testing.assert_array_equal(reloaded["ids"], expected[1])
    np.testing.assert_allclose(reloaded["scores"], expected[0], rtol=1e-6)
    assert expected[1].tolist() == [
        [3, 4, 9, 1, 2, 8, 0, 0],
        [9, 6, 9, 7, 5, 0, 0, 0],
        [9, 9, 0, 0, 0, 0, 0, 0],
    ]


@pytest.mark.parametrize("reserved", ["", "[UNK]"])
def test_tokens_reserved_by_text_vectorization_are_refused(reserved):
    with pytest.raises(ValueError, match="reserves"):
        build_text_encoder(Vocabulary(["a", reserved]))


def test_text_encoder_refuses_a_word_list():
    with pytest.raises(TypeError, match="Vocabulary"):
        build_text_encoder(["a", "b"])


def test_a_name_keras_would_refuse_is_refused_naming_it():
    with pytest.raises(ValueError, match="name='a/b'"):
        build_text_encoder(Vocabulary(["a"]), name="a/b")
