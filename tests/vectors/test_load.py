"""load_glove: argument checks."""

from __future__ import annotations

import os
import warnings
import zipfile

import numpy as np
import pytest

from twoembed.vectors import LoadedVectors, load_glove, load_vectors

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


def test_a_symlink_loop_is_named_as_one(tmp_path):
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    with pytest.raises(ValueError, match="symbolic links"):
        load_glove(loop, verbose=0)


def test_a_bytes_path_is_a_type_error(tmp_path):
    path = write(tmp_path, GLOVE)
    with pytest.raises(TypeError, match=r"`path` must be a str or os\.PathLike"):
        load_glove(os.fsencode(path), verbose=0)


@pytest.mark.parametrize("member", [3.5, True, ["a"]])
def test_a_member_that_is_not_a_name_or_dim_is_a_type_error(tmp_path, member):
    archive = tmp_path / "v.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("v.txt", "the 0.1 0.2\n")
    with pytest.raises(TypeError, match=r"`member` must be .* Received: member="):
        load_glove(archive, member=member, verbose=0)


@pytest.mark.parametrize("words", [None, ["the"]])
def test_a_pipe_is_refused_not_read_after_its_first_bytes_are_gone(tmp_path, words):
    # `<(cat vec.txt)` or `/dev/stdin`: detecting the format would consume
    # the head of the stream, and the reader would get the rest only.
    read_end, write_end = os.pipe()
    os.write(write_end, GLOVE.encode())
    os.close(write_end)
    try:
        with pytest.raises(ValueError, match=r"is a pipe.*give a regular file"):
            load_glove(f"/dev/fd/{read_end}", words, verbose=0)
    finally:
        os.close(read_end)


def test_a_character_device_is_refused_as_not_a_regular_file():
    with pytest.raises(ValueError, match=r"'/dev/null' is a character device"):
        load_glove("/dev/null", ["the"], verbose=0)


def test_rows_of_nan_or_inf_are_warned_of_naming_their_words(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("a 1e39 0.5\nb nan 0.2\nc 0.1 0.2\nd -inf 1\n")
    with pytest.warns(UserWarning, match=r"3 rows hold nan or inf .*\['a', 'b', 'd'\]"):
        result = load_vectors(path, verbose=0)
    assert np.isinf(result.matrix[0, 0]) and np.isnan(result.matrix[1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rows asked for are finite: no warning
        load_vectors(path, ["c"], verbose=0)


def test_an_in_memory_value_past_float32_is_warned_of_once(tmp_path):
    source = (["x", "y"], np.array([[1e300, 1.0], [1.0, 2.0]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_vectors(source, verbose=0)
    assert [w.category for w in caught] == [UserWarning]
    assert "1 row holds nan or inf" in str(caught[0].message) and "'x'" in str(
        caught[0].message
    )
