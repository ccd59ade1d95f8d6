"""Detecting the `count dim` header and the vector size."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from twoembed.vectors import load_glove

from .files import GLOVE, write


def test_word2vec_header_is_detected_not_read_as_a_word(tmp_path):
    result = load_glove(write(tmp_path, "3 3\n" + GLOVE, "w.vec"))
    assert result.words == ["the", "cat", "dog"]
    assert result.report.header == (3, 3)


def test_numeric_token_line_is_not_mistaken_for_a_header(tmp_path):
    # dim 1: "3 5" is the word "3" with value 5, as the next row shows.
    words, matrix = load_glove(write(tmp_path, "3 5\n4 6\n"))
    assert words == ["3", "4"]
    np.testing.assert_array_equal(matrix, [[5], [6]])


@pytest.mark.parametrize("words", [None, ["2", "a"]])
def test_header_false_reads_a_header_like_first_row_as_a_word(tmp_path, words):
    # dim 1 and a word "2" with value 1: "2 1" looks like a header of 2 rows.
    path = write(tmp_path, "2 1\na 0.5\n")
    guessed = load_glove(path)
    assert guessed.words == ["a"] and guessed.report.header == (2, 1)
    result = load_glove(path, words, header=False)
    assert result.words == ["2", "a"] and result.report.header is None
    np.testing.assert_array_equal(result.matrix, [[1], [0.5]])


def test_header_true_takes_the_first_line_as_header_or_refuses(tmp_path):
    path = write(tmp_path, "\n2 1\na 0.5\n")  # a blank line before it is fine
    result = load_glove(path, header=True)
    assert result.words == ["a"] and result.report.header == (2, 1)
    with pytest.raises(ValueError, match=r"header=True, but .*'the 0.1"):
        load_glove(write(tmp_path, GLOVE, "plain.txt"), header=True)
    with pytest.raises(TypeError, match="header='yes'"):
        load_glove(path, header="yes")


@pytest.mark.parametrize("words", [None, ["the"]])
def test_header_false_on_a_word2vec_file_says_the_first_line_looks_like_one(
    tmp_path, words
):
    path = write(tmp_path, "3 3\n" + GLOVE, "w.vec")
    with pytest.raises(ValueError, match=r"w.vec: header=False, but .*'3 3'"):
        load_glove(path, words, header=False)


def test_a_dim_that_contradicts_the_header_is_refused(tmp_path):
    path = write(tmp_path, "3 3\n" + GLOVE, "w.vec")
    assert load_glove(path, dim=3).words == ["the", "cat", "dog"]
    with pytest.raises(ValueError, match=r"header says vectors of dim 3, but dim=4"):
        load_glove(path, dim=4)


def test_header_is_found_after_many_blank_lines(tmp_path):
    path = write(tmp_path, "\n" * 100 + "3 3\n" + GLOVE, "w.vec")
    for header in (None, True):
        result = load_glove(path, header=header)
        assert result.words == ["the", "cat", "dog"]
        assert result.report.header == (3, 3)


@pytest.mark.parametrize("text", ["", "\n\n", "  \r\n"])
def test_empty_file_raises_value_error(tmp_path, text):
    with pytest.raises(ValueError, match="empty"):
        load_glove(write(tmp_path, text))


def test_header_without_vectors_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="no vectors"):
        load_glove(write(tmp_path, "0 300\n"))


def test_a_byte_order_mark_is_not_part_of_the_first_token(tmp_path, load_small):
    path = write(tmp_path, b"\xef\xbb\xbfthe 1 2\ncat 3 4\n")
    assert load_small(path).words == ["the", "cat"]
    assert load_small(path, ["the", "cat"]).words == ["the", "cat"]
    header = write(tmp_path, b"\xef\xbb\xbf2 2\nthe 1 2\ncat 3 4\n", "h.txt")
    assert load_small(header).report.header == (2, 2)


def test_a_huge_header_count_in_a_compressed_file_is_not_trusted(tmp_path):
    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"99999999999 2\na 1 2\nb 3 4\n")
    words, matrix = load_glove(path)
    assert words == ["a", "b"] and matrix.shape == (2, 2)
