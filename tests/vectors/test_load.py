"""load_glove: argument checks."""

from __future__ import annotations

import pytest

from twoembed.vectors import LoadedVectors, load_glove

from .files import GLOVE, write


def test_arguments_are_checked_and_echoed(tmp_path):
    path = write(tmp_path, GLOVE)
    with pytest.raises(TypeError, match="words='the'"):
        load_glove(path, "the")
    with pytest.raises(ValueError, match="on_bad_row='ignore'"):
        load_glove(path, on_bad_row="ignore")
    assert isinstance(load_glove(path), LoadedVectors)


def test_requested_words_are_checked_like_vocabulary_tokens(tmp_path):
    path = write(tmp_path, GLOVE)
    with pytest.raises(ValueError, match=r"words\[1\]`='a\\udcff' cannot be written"):
        load_glove(path, ["the", "a\udcff"])
    with pytest.raises(TypeError, match=r"words\[0\]=3 of type int"):
        load_glove(path, [3])
