"""word2vec's C binary format through `load_vectors`."""

from __future__ import annotations

import bz2
import gzip

import numpy as np
import pytest

from twoembed import load_glove, load_vectors
from twoembed.vectors import word2vec_binary as reader

from .files import numbered_rows, word2vec_binary, write


@pytest.fixture
def rows():
    words, matrix, _ = numbered_rows(50, dim=4)
    return words, matrix


@pytest.mark.parametrize("newline", [True, False])
@pytest.mark.parametrize("compress", [None, gzip.compress, bz2.compress])
def test_whole_file_loads_bit_for_bit(tmp_path, rows, newline, compress, monkeypatch):
    monkeypatch.setattr(reader, "BLOCK_SIZE", 100)  # rows cross block edges
    words, matrix = rows
    data = word2vec_binary(words, matrix, newline)
    name = {None: "v.bin", gzip.compress: "v.bin.gz", bz2.compress: "v.bin.bz2"}
    path = write(tmp_path, compress(data) if compress else data, name[compress])
    result = load_vectors(path)
    assert result.words == words
    np.testing.assert_array_equal(result.matrix, matrix)
    assert result.matrix.dtype == np.float32
    assert result.report.format == "word2vec-binary"
    assert result.report.header == (50, 4)


@pytest.mark.parametrize("newline", [True, False])
def test_filtered_load_keeps_the_callers_order(tmp_path, rows, newline, monkeypatch):
    monkeypatch.setattr(reader, "BLOCK_SIZE", 100)
    words, matrix = rows
    path = write(tmp_path, word2vec_binary(words, matrix, newline), "v.bin")
    asked = ["w40", "nope", "w3", "w40", "W7"]
    result = load_vectors(path, asked, lowercase_fallback=True, counts={"nope": 9})
    assert result.words == ["w40", "w3", "W7"]
    np.testing.assert_array_equal(result.matrix, matrix[[40, 3, 7]])
    assert result.missing == ("nope",) and result.report.lowercased == ("W7",)
    assert result.report.num_requested == 4


def test_tokens_with_invalid_utf8_and_duplicates_are_counted(tmp_path):
    data = b"3 2\n" + b"".join(
        t + b" " + np.array(v, "<f4").tobytes() + b"\n"
        for t, v in ((b"a\xff", [1, 2]), (b"b", [3, 4]), (b"b", [5, 6]))
    )
    path = write(tmp_path, data, "v.bin")
    replaced = load_vectors(path)
    assert replaced.words == ["a\ufffd", "b"]
    assert (replaced.report.invalid_utf8, replaced.report.duplicates) == (1, 1)
    np.testing.assert_array_equal(replaced.matrix, [[1, 2], [3, 4]])
    skipped = load_vectors(path, invalid_utf8="skip")
    assert skipped.words == ["b"]
    some = load_vectors(path, ["b"])
    np.testing.assert_array_equal(some.matrix, [[3, 4]])
    assert some.report.duplicates == 1


def test_load_glove_is_load_vectors(tmp_path, rows):
    assert load_glove is load_vectors
    words, matrix = rows
    path = write(tmp_path, word2vec_binary(words, matrix), "v.bin")
    np.testing.assert_array_equal(load_glove(path, ["w1"]).matrix, matrix[[1]])


def test_cache_keeps_binary_results_apart(tmp_path, rows):
    words, matrix = rows
    path = write(tmp_path, word2vec_binary(words, matrix), "v.bin")
    first = load_vectors(path, ["w2"], cache_dir=tmp_path / "c")
    again = load_vectors(path, ["w2"], cache_dir=tmp_path / "c")
    assert again.report.from_cache and not first.report.from_cache
    np.testing.assert_array_equal(again.matrix, matrix[[2]])


def _gensim():
    return pytest.importorskip("gensim.models", reason="gensim is not installed")


def test_matches_gensim_on_a_file_gensim_writes(tmp_path):
    models = _gensim()
    rng = np.random.default_rng(0)
    words = ["the", "cat", "naïve", "日本語", "x"]
    kv = models.KeyedVectors(vector_size=5)
    kv.add_vectors(words, rng.normal(size=(5, 5)).astype(np.float32))
    path = str(tmp_path / "g.bin")
    kv.save_word2vec_format(path, binary=True)
    ours = load_vectors(path)
    back = models.KeyedVectors.load_word2vec_format(path, binary=True)
    assert ours.words == back.index_to_key
    np.testing.assert_allclose(ours.matrix, back.vectors, atol=1e-6)
    picked = load_vectors(path, ["日本語", "the"])
    np.testing.assert_allclose(picked.matrix, back[["日本語", "the"]], atol=1e-6)


# Bad input: each a ValueError naming the file and what was expected.


def _cut(tmp_path, rows, keep: int, name="v.bin"):
    words, matrix = rows
    data = word2vec_binary(words, matrix)
    return write(tmp_path, data[:keep], name), data


@pytest.mark.parametrize("words", [None, ["w1"]])
def test_a_file_cut_inside_a_vector_gives_row_offset_and_bytes(tmp_path, rows, words):
    header = len(b"50 4\n")
    row = len(b"w0 ") + 16 + 1
    path, _ = _cut(tmp_path, rows, header + 2 * row + 3 + 5)  # inside row 3's vector
    with pytest.raises(ValueError) as error:
        load_vectors(path, words)
    message = str(error.value)
    assert str(path) in message and "row 3 of 50" in message
    assert f"byte offset {header + 2 * row}" in message
    assert "expected 16 bytes" in message and "found 5" in message


def test_a_file_cut_inside_a_token(tmp_path, rows):
    path, _ = _cut(tmp_path, rows, len(b"50 4\n") + 1)
    with pytest.raises(ValueError, match=r"row 1 of 50 .*ends 1 bytes into the row"):
        load_vectors(path, format="word2vec-binary")


def test_a_header_claiming_more_rows_than_the_file_holds(tmp_path, rows):
    words, matrix = rows
    data = word2vec_binary(words, matrix).replace(b"50 4", b"90 4", 1)
    with pytest.raises(ValueError, match=r"v.bin, row 51 of 90 .*more than its 50"):
        load_vectors(write(tmp_path, data, "v.bin"))
    # Compressed: no size to check up front; the rows run out instead.
    gz = write(tmp_path, gzip.compress(data), "v.bin.gz")
    with pytest.raises(ValueError, match=r"v.bin.gz, row 51 of 90"):
        load_vectors(gz, format="word2vec-binary")


def test_data_after_the_announced_rows_is_an_error(tmp_path, rows):
    words, matrix = rows
    data = word2vec_binary(words, matrix).replace(b"50 4", b"40 4", 1)
    with pytest.raises(ValueError, match=r"data goes on after the 40 rows"):
        load_vectors(write(tmp_path, data, "v.bin"))


@pytest.mark.parametrize("header", [b"3 0", b"3 -2", b"0 4"])
def test_a_dim_or_count_below_one(tmp_path, header):
    path = write(tmp_path, header + b"\n" + b"\0" * 64, "v.bin")
    with pytest.raises(ValueError, match=r"v.bin: its header .* expected a count"):
        load_vectors(path, format="word2vec-binary")


def test_a_text_file_read_as_word2vec_binary(tmp_path):
    path = write(tmp_path, "2 3\nthe 0.1 0.2 0.3\ncat 1 2 3\n")
    with pytest.raises(ValueError, match=r"vec.txt looks like a text vector file"):
        load_vectors(path, format="word2vec-binary")
    glove = write(tmp_path, "the 0.1 0.2 0.3\n", "glove.txt")
    with pytest.raises(ValueError, match=r"glove.txt is not a word2vec binary"):
        load_vectors(glove, format="word2vec-binary")


def test_a_word2vec_binary_read_as_text(tmp_path, rows):
    words, matrix = rows
    path = write(tmp_path, word2vec_binary(words, matrix), "v.txt")
    with pytest.raises(ValueError, match=r"v.txt is a word2vec-binary file, not a"):
        load_vectors(path, format="text")
    assert load_vectors(path).words == words  # auto reads the content


def test_a_corrupt_gzip(tmp_path, rows):
    words, matrix = rows
    data = bytearray(gzip.compress(word2vec_binary(words, matrix)))
    data[len(data) // 2 :] = b"\0" * (len(data) - len(data) // 2)
    path = write(tmp_path, bytes(data), "v.bin.gz")
    with pytest.raises(ValueError, match=r"v.bin.gz"):
        load_vectors(path, format="word2vec-binary")
    cut = write(
        tmp_path, gzip.compress(word2vec_binary(words, matrix))[:60], "c.bin.gz"
    )
    with pytest.raises(ValueError, match=r"c.bin.gz"):
        load_vectors(cut)
