"""Loads of selected words: the token scan and the batched parse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoembed.vectors import load_glove
from twoembed.vectors.read_some import hits
from twoembed.vectors.sources import lines

from .files import DOG, GLOVE, THE, numbered_rows, write


def test_requested_words_come_in_caller_order_once_and_missing_reported(tmp_path):
    result = load_glove(write(tmp_path, GLOVE), ["dog", "zebra", "the", "dog"])
    words, matrix = result
    assert words == ["dog", "the"]
    np.testing.assert_allclose(matrix, [DOG, THE], rtol=1e-6)
    assert result.missing == ("zebra",)
    assert result.report.num_requested == 3 and result.report.num_found == 2


def test_unrequested_rows_are_not_parsed(tmp_path):
    path = write(tmp_path, "the 1 2 3\ncat 1 x 3\n")
    assert load_glove(path, ["the"]).words == ["the"]


def test_lowercase_fallback_is_off_by_default_and_reported_when_on(tmp_path):
    path = write(tmp_path, GLOVE)
    assert load_glove(path, ["The"]).missing == ("The",)
    result = load_glove(path, ["The", "cat"], lowercase_fallback=True)
    assert result.words == ["The", "cat"]
    np.testing.assert_allclose(result.matrix[0], THE, rtol=1e-6)
    assert result.report.lowercased == ("The",)


def test_first_bad_row_wins_when_batches_are_parsed_ahead(tmp_path, load_small):
    words, _, text = numbered_rows(200)
    lines = text.splitlines()
    lines[20] = "w20 1 x 3"  # in a batch parsed while the scan goes on
    lines[150] = "w150 1 2"  # found by the scan later
    path = write(tmp_path, "\n".join(lines) + "\n")
    for words_wanted in (None, words):
        with pytest.raises(ValueError, match="line 21: value 2 is 'x'"):
            load_small(path, words_wanted, parse_batch=50)
    result = load_small(path, words, on_bad_row="skip", parse_batch=50)
    assert result.report.skipped_rows == (21, 151)
    assert result.words == [w for i, w in enumerate(words) if i not in (20, 150)]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="ab \r\n", max_size=40).map(str.encode),
    cut=st.integers(0, 40),
)
def test_scan_finds_the_same_lines_in_place_as_by_splitting(text, cut):
    # A piece is a block plus the rest of its last line, as read from a file.
    block = text[:cut] or text
    rest = text[len(block) :]
    tail = rest[: rest.find(b"\n") + 1] if b"\n" in rest else rest
    piece = (block, tail)
    prefixes = {b"a", b"ab", b"", b"b\r"}
    assert hits(piece, prefixes) == hits(lines(piece), prefixes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A vocab.json, a .npy table: the first line sets `dim`, then no
        # requested word matched, and the file loaded as "0 vectors".
        (
            '{"format": "twoembed.Vocabulary", "version": 1, "words": ["a"]}\n',
            r"line 1: value 1 is '\"twoembed\.Vocabulary\",', expected a number",
        ),
        (
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, "
            b"'shape': (7, 3), }\n\x00\x01\x02\x03 \x04\n",
            r"line 1: value 1 is \"'<f8',\", expected a number",
        ),
        ("the cat sat on the mat\nand then it left\n", "line 1: value 1 is 'cat'"),
        (
            "\nthe 1 2\ncat 1 2 3\ndog 1 2 3\n",
            "line 2: found 2 values after the token 'the', expected 3",
        ),
    ],
)
def test_the_first_row_which_sets_dim_is_checked_even_when_not_requested(
    tmp_path, text, message
):
    # (A whole-file load refuses these too, maybe at a later line first.)
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        load_glove(path, ["zebra"], verbose=0)


def test_a_bad_first_row_is_skipped_once_with_on_bad_row_skip(tmp_path):
    path = write(tmp_path, "the 1 x 3\ncat 1 2 3\n")
    result = load_glove(path, ["the", "cat"], on_bad_row="skip", verbose=0)
    assert result.words == ["cat"]
    assert result.report.skipped_rows == (1,)
