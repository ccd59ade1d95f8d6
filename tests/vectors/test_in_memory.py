"""Vectors already in memory through `load_vectors`."""

from __future__ import annotations

import numpy as np
import pytest

from twoembed import load_vectors


class KeyedVectorsLike:
    """What `load_vectors` uses of gensim's `KeyedVectors`, and nothing more."""

    def __init__(self, words, vectors):
        self.index_to_key = words
        self.vectors = vectors


WORDS = ["the", "cat", "Paris", "cat"]
MATRIX = np.arange(8, dtype=np.float64).reshape(4, 2)


@pytest.mark.parametrize(
    "make", [lambda: (WORDS, MATRIX), lambda: KeyedVectorsLike(WORDS, MATRIX)]
)
def test_filters_in_the_callers_order_with_the_report(make):
    source = make()
    result = load_vectors(
        source,
        ["paris", "zyx", "the", "cat"],
        lowercase_fallback=False,
        counts={"zyx": 4, "the": 1},
    )
    assert result.words == ["the", "cat"]
    np.testing.assert_array_equal(result.matrix, MATRIX[[0, 1]])
    assert result.matrix.dtype == np.float32
    assert result.missing == ("zyx", "paris")
    assert result.report.duplicates == 1 and result.report.format == "in-memory"
    lowered = load_vectors(source, ["PARIS", "Cat"], lowercase_fallback=True)
    assert lowered.words == ["Cat"]  # "paris" is not there, "cat" is


def test_whole_source_keeps_first_of_duplicates_and_copies(tmp_path):
    matrix = MATRIX.copy()
    result = load_vectors((WORDS, matrix))
    assert result.words == ["the", "cat", "Paris"]
    np.testing.assert_array_equal(result.matrix, MATRIX[:3])
    result.matrix[:] = -1
    np.testing.assert_array_equal(matrix, MATRIX)  # the caller's array is untouched


def test_a_real_gensim_keyedvectors():
    models = pytest.importorskip("gensim.models", reason="gensim is not installed")
    kv = models.KeyedVectors(vector_size=2)
    kv.add_vectors(["a", "b"], np.array([[1, 2], [3, 4]], np.float32))
    result = load_vectors(kv, ["b", "c"])
    assert result.words == ["b"] and result.missing == ("c",)
    np.testing.assert_array_equal(result.matrix, [[3, 4]])


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        ((["a", "b"], np.zeros((3, 2))), ValueError, r"shape \(2, dim\).*\(3, 2\)"),
        ((["a"], np.zeros(2)), ValueError, r"Received: shape \(2,\)"),
        ((["a"], np.array([["x", "y"]])), TypeError, r"real-valued"),
        (([1], np.zeros((1, 2))), TypeError, r"must be a str"),
        (42, TypeError, r"`path` must be a file path"),
    ],
)
def test_bad_sources(source, error, match):
    with pytest.raises(error, match=match):
        load_vectors(source)
