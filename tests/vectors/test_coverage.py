"""The coverage report against corpus counts."""

from __future__ import annotations

import pytest

from twoembed.vectors import load_glove

from .files import GLOVE, write


def test_coverage_report_with_corpus_counts(tmp_path):
    path = write(tmp_path, GLOVE)
    counts = {"the": 6, "cat": 2, "emu": 1, "yak": 3}
    result = load_glove(path, ["emu", "the", "yak", "cat"], counts=counts)
    report = result.report
    assert report.corpus_tokens == 12
    assert report.token_coverage == pytest.approx(8 / 12)
    assert result.missing == ("yak", "emu")  # most frequent first
    assert report.most_frequent_missing(1) == [("yak", 3)]
    assert "66.67%" in str(report)


def test_coverage_report_from_a_token_stream(tmp_path):
    corpus = "the cat saw the emu".split()
    result = load_glove(write(tmp_path, GLOVE), set(corpus), counts=corpus)
    assert result.report.token_coverage == pytest.approx(3 / 5)


@pytest.mark.parametrize("counts", [{"the": -3, "cat": 1}, {"the": 1.5}, {"x": "2"}])
def test_negative_or_non_integer_counts_are_refused(tmp_path, counts):
    with pytest.raises((TypeError, ValueError), match=r"`counts`.*Received"):
        load_glove(write(tmp_path, GLOVE), counts=counts, verbose=0)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([["the", "cat"], ["the"]], "chain.from_iterable"),
        (iter([["the", "cat"], ["the"]]), "chain.from_iterable"),
        (5, "counts=5 of type int"),
        ([b"the", b"cat"], "an entry b'the' of type bytes"),
        ({b"the": 2}, "an entry b'the' of type bytes"),
    ],
    ids=[
        "token-lists",
        "an-iterator-of-token-lists",
        "a-number",
        "bytes",
        "bytes-keys",
    ],
)
def test_counts_that_are_not_str_tokens_are_refused_naming_them(
    tmp_path, counts, message
):
    with pytest.raises(TypeError, match=message):
        load_glove(write(tmp_path, GLOVE), ["the"], counts=counts)
