"""Whole-file loads: file order, bulk parse and its fallback across blocks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from twoembed.vectors import load_glove

from .files import CAT, DOG, GLOVE, THE, numbered_rows, write


def test_whole_file_in_file_order_as_float32(tmp_path):
    words, matrix = load_glove(write(tmp_path, GLOVE), verbose=0)
    assert words == ["the", "cat", "dog"]
    assert matrix.dtype == np.float32 and matrix.shape == (3, 3)
    np.testing.assert_allclose(matrix, [THE, CAT, DOG], rtol=1e-6)


def test_fasttext_trailing_spaces_crlf_and_blank_lines(tmp_path):
    text = "3 3 \r\n\r\nthe 0.1 0.2 0.3 \r\ncat -1.5 2e-3 4 \r\n\n\r\ndog 7 8 9 \r\n"
    path = write(tmp_path, text, "f.vec")
    words, matrix = load_glove(path)
    assert words == ["the", "cat", "dog"]
    np.testing.assert_allclose(matrix, [THE, CAT, DOG], rtol=1e-6)
    words, matrix = load_glove(path, ["dog", "cat"])
    np.testing.assert_allclose(matrix, [DOG, CAT], rtol=1e-6)


def test_invalid_utf8_token_is_replaced_and_counted(tmp_path):
    path = write(tmp_path, b"ok 1 2\nbad\xff 3 4\n")
    result = load_glove(path)
    assert result.words == ["ok", "bad\ufffd"]
    assert result.report.invalid_utf8 == 1


def test_invalid_utf8_token_can_be_skipped(tmp_path):
    path = write(tmp_path, b"ok 1 2\nbad\xff 3 4\n")
    result = load_glove(path, invalid_utf8="skip")
    assert result.words == ["ok"] and result.matrix.shape == (1, 2)
    assert result.report.invalid_utf8 == 1


def test_duplicate_tokens_first_row_wins_and_are_counted(tmp_path):
    path = write(tmp_path, "a 1 1\nb 2 2\na 3 3\n")
    result = load_glove(path)
    assert result.words == ["a", "b"]
    np.testing.assert_array_equal(result.matrix, [[1, 1], [2, 2]])
    assert result.report.duplicates == 1
    some = load_glove(path, ["a"])
    np.testing.assert_array_equal(some.matrix, [[1, 1]])
    assert some.report.duplicates == 1


@pytest.mark.parametrize("style", ["glove", "fasttext", "crlf", "no-final-newline"])
def test_many_blocks_load_exactly_in_every_style(tmp_path, load_small, style):
    words, values, text = numbered_rows(200)
    if style == "fasttext":
        text = "200 3\n" + text.replace("\n", " \n")
    elif style == "crlf":
        text = text.replace("\n", "\r\n")
    elif style == "no-final-newline":
        text = text.rstrip("\n")
    path = write(tmp_path, text)
    result = load_small(path)
    assert result.words == words
    np.testing.assert_array_equal(result.matrix, values)
    assert result.report.lines_read == 200 + (style == "fasttext")
    some = load_small(path, words[::7])
    assert some.words == words[::7]
    np.testing.assert_array_equal(some.matrix, values[::7])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("w150 1 2", "line 151: found 2 values after the token 'w150', expected 3"),
        ("w150 1 2 3 4", "line 151: found 4 values after the token 'w150', expected 3"),
        ("w150 1 x 3", "line 151: value 2 is 'x'"),
        ("w150 1  3", "line 151: could not read 3 numbers from '1  3'"),
        (" 1 2 3", "line 151: the row starts with a space"),
    ],
)
def test_bad_row_deep_in_a_file_is_named_exactly(tmp_path, load_small, bad, message):
    words, values, text = numbered_rows(200)
    lines = text.splitlines()
    lines[150] = bad
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        load_small(path)
    assert str(path) in str(info.value)
    result = load_small(path, on_bad_row="skip")
    assert result.report.skipped_rows == (151,)
    assert result.words == words[:150] + words[151:]
    np.testing.assert_array_equal(result.matrix, np.delete(values, 150, axis=0))


def test_blank_lines_nan_duplicates_and_bad_utf8_across_blocks(tmp_path, load_small):
    words, values, text = numbered_rows(120)
    lines = text.encode().splitlines()
    lines[40] = b"w3 9 9 9"  # a duplicate: the first row wins
    lines[60] = b"bad\xff 1 2 3"
    lines[61] = b"bad\xfe 4 5 6"
    lines[80] = b"w80 nan 1 inf"
    lines.insert(100, b"")
    path = write(tmp_path, b"\n".join(lines) + b"\n")
    with pytest.warns(UserWarning, match=r"1 row holds nan or inf .*\['w80'\]"):
        result = load_small(path)
    expected = [w for i, w in enumerate(words) if i not in (40, 61)]
    expected[59] = "bad\ufffd"  # both invalid tokens decode to it: first wins
    assert result.words == expected
    assert len(set(result.words)) == len(result.words)
    assert result.report.duplicates == 2 and result.report.invalid_utf8 == 2
    np.testing.assert_array_equal(result.matrix[59], [1, 2, 3])
    assert result.report.lines_read == 121
    np.testing.assert_array_equal(result.matrix[78], [np.nan, 1, np.inf])
    np.testing.assert_array_equal(result.matrix[-1], values[-1])
    with pytest.warns(UserWarning, match="nan or inf"):
        skipped = load_small(path, invalid_utf8="skip")
    assert "bad\ufffd" not in skipped.words and len(skipped.words) == 117
    assert skipped.report.invalid_utf8 == 2


def test_odd_tokens_survive_the_bulk_parser_unchanged(tmp_path, load_small):
    odd = ["null", "nan", "NA", '"quoted', "#", "''", "N/A", "#comment", "007"]
    odd += ["1e5", "True", "-", "a\tb", ". . .", "a\u00a0b", "\ufeffbom", "x,y"]
    tokens = odd + [f"w{i}" for i in range(60)]
    text = "".join(f"{t} {i} {-i} 0.5\n" for i, t in enumerate(tokens))
    path = write(tmp_path, text)
    words, matrix = load_small(path)
    assert words == tokens
    np.testing.assert_array_equal(matrix[:, 1], -np.arange(len(tokens)))
    assert load_small(path, ["#", "nan", ". . .", "007"]).words == [
        "#",
        "nan",
        ". . .",
        "007",
    ]
