"""fastText `.bin` models through `load_vectors`: dictionary words, subwords."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from twoembed import load_vectors
from twoembed.vectors import subwords

from .files import fasttext_bin, fasttext_word_vector, write

WORDS = ["</s>", "the", "cat", "naïve", "日本語", "über", "a"]
BUCKET = 40


@pytest.fixture
def model(tmp_path):
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(len(WORDS) + BUCKET, 6)).astype(np.float32)
    path = write(
        tmp_path, fasttext_bin(WORDS, matrix, minn=2, maxn=4, bucket=BUCKET), "m.bin"
    )
    return path, matrix


def reference(word, matrix, minn=2, maxn=4):
    return fasttext_word_vector(word, WORDS, matrix, minn, maxn, BUCKET)


def test_dictionary_words_get_fasttexts_word_vector(model):
    path, matrix = model
    result = load_vectors(path)
    assert result.words == WORDS and result.report.format == "fasttext"
    expected = [reference(w, matrix) for w in WORDS]
    np.testing.assert_allclose(result.matrix, expected, atol=1e-6)
    # </s> has no n-grams: its vector is its own row.
    np.testing.assert_array_equal(result.matrix[0], matrix[0])


def test_words_outside_the_dictionary_are_built_from_subwords(model):
    path, matrix = model
    asked = ["cats", "the", "日本", "Über", "ñandú"]
    result = load_vectors(path, asked, counts={"cats": 3, "the": 5})
    assert result.words == asked
    assert result.report.from_subwords == ("cats", "日本", "Über", "ñandú")
    assert result.missing == ()
    np.testing.assert_allclose(
        result.matrix, [reference(w, matrix) for w in asked], atol=1e-6
    )
    assert "1 found, 4 built from subwords, 0 missing" in str(result.report)
    assert result.report.token_coverage == 1.0


def test_subwords_false_reports_them_missing(model):
    path, matrix = model
    result = load_vectors(path, ["cats", "cat", "Cat"], subwords=False)
    assert result.words == ["cat"] and result.missing == ("cats", "Cat")
    lowered = load_vectors(path, ["Cat", "Dog"], lowercase_fallback=True)
    assert lowered.words == ["Cat", "Dog"]
    assert lowered.report.lowercased == ("Cat",)
    assert lowered.report.from_subwords == ("Dog",)
    np.testing.assert_allclose(lowered.matrix[0], reference("cat", matrix), atol=1e-6)


def test_subword_vectors_hook_gives_fasttexts_vector_after_the_load(model):
    path, matrix = model
    result = load_vectors(path, ["the"], subwords=False)
    got = result.subword_vectors(["zebra", "日本"])
    np.testing.assert_allclose(
        got, [reference("zebra", matrix), reference("日本", matrix)], atol=1e-6
    )
    assert load_vectors(path, ["the"], cache_dir=path.parent / "c").subword_vectors
    cached = load_vectors(path, ["the"], cache_dir=path.parent / "c")
    assert cached.report.from_cache
    np.testing.assert_allclose(
        cached.subword_vectors(["zebra"])[0], reference("zebra", matrix), atol=1e-6
    )


def test_small_chunks_give_the_same_vectors(model, monkeypatch):
    path, matrix = model
    monkeypatch.setattr(subwords, "_CHUNK_BYTES", 24)  # one row at a time
    monkeypatch.setattr(subwords, "_WORD_BATCH", 2)
    result = load_vectors(path, ["cats", "the", "日本"])
    np.testing.assert_allclose(
        result.matrix,
        [reference(w, matrix) for w in ["cats", "the", "日本"]],
        atol=1e-6,
    )


def test_a_pre_2017_model_without_magic_and_version(tmp_path):
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(len(WORDS) + BUCKET, 6)).astype(np.float32)
    data = fasttext_bin(WORDS, matrix, minn=2, maxn=4, bucket=BUCKET, old=True)
    path = write(tmp_path, data, "wiki.xx.bin")
    result = load_vectors(path, ["cat", "cats"])
    np.testing.assert_allclose(
        result.matrix, [reference("cat", matrix), reference("cats", matrix)], atol=1e-6
    )


def test_a_supervised_model_gives_word_vectors_without_labels(tmp_path):
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(len(WORDS) + BUCKET, 6)).astype(np.float32)
    data = fasttext_bin(
        WORDS,
        matrix,
        minn=0,
        maxn=0,
        bucket=BUCKET,
        labels=["__label__pos", "__label__neg"],
    )
    path = write(tmp_path, data, "sup.bin")
    result = load_vectors(path)
    assert result.words == WORDS  # the labels are not words
    np.testing.assert_array_equal(result.matrix, matrix[: len(WORDS)])
    # Without character n-grams a word outside the dictionary has no vector.
    assert load_vectors(path, ["cats"]).missing == ("cats",)


# Bad input: each a ValueError naming the file and what was expected.


def test_a_quantized_model_is_refused_by_name(tmp_path, model):
    _, matrix = model
    path = write(tmp_path, fasttext_bin(WORDS, matrix, quantized=True), "m.ftz")
    with pytest.raises(
        ValueError, match=r"m.ftz is a quantized fastText model \(.ftz\)"
    ):
        load_vectors(path)


@pytest.mark.parametrize("version", [10, 13])
def test_an_unknown_version(tmp_path, model, version):
    _, matrix = model
    path = write(tmp_path, fasttext_bin(WORDS, matrix, version=version), "m.bin")
    with pytest.raises(
        ValueError,
        match=rf"m.bin is a fastText model of version "
        rf"{version}.*expected one of \(11, 12\)",
    ):
        load_vectors(path)


def test_a_wrong_magic_number(tmp_path, model):
    _, matrix = model
    path = write(tmp_path, fasttext_bin(WORDS, matrix, magic=12345678), "m.bin")
    with pytest.raises(
        ValueError,
        match=r"m.bin is not a fastText .bin: expected the "
        r"magic number 793712314",
    ):
        load_vectors(path, format="fasttext")


def test_a_text_file_read_as_fasttext(tmp_path):
    path = write(tmp_path, "the 0.1 0.2\n")
    with pytest.raises(ValueError, match=r"vec.txt is not a fastText .bin"):
        load_vectors(path, format="fasttext")


def test_a_fasttext_model_read_as_text(model):
    path, _ = model
    with pytest.raises(ValueError, match=r"m.bin is a fasttext file, not a text"):
        load_vectors(path, format="text")


@pytest.mark.parametrize(
    ("cut", "part"),
    [
        (30, "the model's arguments"),
        (64 + 10, "the dictionary's header"),
        (64 + 28 + 14 + 3, r"the dictionary: entry 2 of 7 at byte offset 106"),
    ],
)
def test_a_file_cut_in_the_header_or_dictionary(tmp_path, model, cut, part):
    path, _ = model
    short = write(tmp_path, path.read_bytes()[:cut], "short.bin")
    with pytest.raises(ValueError, match=rf"short.bin is cut short inside {part}"):
        load_vectors(short, ["cat"], format="fasttext")


def test_a_file_cut_in_the_matrix_gives_row_offset_and_bytes(tmp_path, model):
    path, matrix = model
    data = path.read_bytes()
    output = 16 + 1 + len(WORDS) * 6 * 4
    matrix_start = len(data) - output - matrix.nbytes
    short = write(tmp_path, data[: matrix_start + 24 * 5 + 7], "short.bin")
    with pytest.raises(ValueError) as error:
        load_vectors(short, ["cat"])
    message = str(error.value)
    assert "short.bin is cut short inside the input matrix: row 5 (of 47)" in message
    assert f"byte offset {matrix_start + 24 * 5}" in message
    assert "expected 24 bytes per row" in message and "found 7" in message


def test_a_compressed_model_is_refused(tmp_path, model):
    path, _ = model
    gz = write(tmp_path, gzip.compress(path.read_bytes()), "m.bin.gz")
    with pytest.raises(ValueError, match=r"m.bin.gz is a compressed fastText model"):
        load_vectors(gz)


# The references: files written by gensim and by fastText itself.


def _gensim_model(tmp_path):
    fasttext_module = pytest.importorskip(
        "gensim.models.fasttext", reason="gensim is not installed"
    )
    rng = np.random.default_rng(0)
    vocab = WORDS[1:] + [f"w{i}" for i in range(40)]
    sentences = [list(rng.choice(vocab, 12)) for _ in range(200)]
    model = fasttext_module.FastText(
        vector_size=8,
        min_count=1,
        bucket=500,
        min_n=2,
        max_n=5,
        epochs=1,
        workers=1,
        seed=1,
    )
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=1)
    path = str(tmp_path / "gensim.bin")
    fasttext_module.save_facebook_model(model, path)
    return fasttext_module, path


OUTSIDE = ["cats", "日本", "zebra", "naive", "w3x"]


def test_matches_gensim_load_facebook_vectors(tmp_path):
    fasttext_module, path = _gensim_model(tmp_path)
    kv = fasttext_module.load_facebook_vectors(path)
    inside = ["the", "naïve", "w7", "日本語"]
    result = load_vectors(path, inside + OUTSIDE)
    assert result.words == inside + OUTSIDE
    assert result.report.from_subwords == tuple(OUTSIDE)
    np.testing.assert_allclose(
        result.matrix, np.array([kv[w] for w in result.words]), atol=1e-6
    )
    every = load_vectors(path)
    assert every.words == kv.index_to_key
    np.testing.assert_allclose(every.matrix, kv.vectors, atol=1e-6)


def test_matches_fasttexts_get_word_vector_on_files_it_writes(tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="fasttext is not installed")
    _, gensim_path = _gensim_model(tmp_path)
    # fastText's own writer: load gensim's model and save it again.
    path = str(tmp_path / "fasttext.bin")
    fasttext.load_model(gensim_path).save_model(path)
    ft = fasttext.load_model(path)
    result = load_vectors(path, ["the", "w1", *OUTSIDE])
    np.testing.assert_allclose(
        result.matrix, [ft.get_word_vector(w) for w in result.words], atol=1e-6
    )
    every = load_vectors(path)
    assert every.words == ft.get_words(include_freq=False)
    np.testing.assert_allclose(
        every.matrix, [ft.get_word_vector(w) for w in every.words], atol=1e-6
    )


@pytest.mark.parametrize("supervised", [False, True])
def test_matches_fasttext_on_models_it_trains(tmp_path, supervised):
    fasttext = pytest.importorskip("fasttext", reason="fasttext is not installed")
    rng = np.random.default_rng(0)
    vocab = WORDS[1:] + [f"w{i}" for i in range(60)]
    lines = [" ".join(rng.choice(vocab, 12)) for _ in range(300)]
    if supervised:
        lines = [f"__label__{i % 2} {line}" for i, line in enumerate(lines)]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    train = fasttext.train_supervised if supervised else fasttext.train_unsupervised
    # One thread: fastText's training is then deterministic.
    ft = train(
        str(corpus),
        dim=8,
        epoch=1,
        minn=2,
        maxn=4,
        bucket=2000,
        thread=1,
        verbose=0,
        **({} if supervised else {"minCount": 1}),
    )
    path = str(tmp_path / "trained.bin")
    ft.save_model(path)
    every = load_vectors(path)
    assert every.words == ft.get_words(include_freq=False)  # no labels
    np.testing.assert_allclose(
        every.matrix, [ft.get_word_vector(w) for w in every.words], atol=1e-6
    )
    asked = ["the", *OUTSIDE]
    result = load_vectors(path, asked)
    assert result.report.from_subwords == tuple(OUTSIDE)
    np.testing.assert_allclose(
        result.matrix, [ft.get_word_vector(w) for w in asked], atol=1e-6
    )


def test_promoted_missing_words_start_from_their_subword_vectors(model):
    import keras

    from twoembed import build_embedding_block

    path, matrix = model
    result = load_vectors(path, ["the", "cats", "zebra", "cat"], subwords=False)
    assert result.missing == ("cats", "zebra")
    vocab = result.vocabulary(
        ["<url>"], promote_missing=True, promoted_start=("subword", "mean")
    )
    assert vocab.special_tokens == ("<url>", "cats", "zebra")
    inputs, outputs = build_embedding_block(vocab, result.matrix)
    table = keras.Model(inputs, outputs).get_layer("twoembed_special").get_weights()[0]
    for word in ("cats", "zebra"):
        row = vocab.id_of(word) - vocab.num_words
        np.testing.assert_allclose(table[row], reference(word, matrix), atol=1e-6)
    text = load_vectors(write(path.parent, "the 1 2 3 4 5 6\n"), ["the", "cats"])
    with pytest.raises(ValueError, match="subword"):
        text.vocabulary(promote_missing=True, promoted_start="subword")
