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
