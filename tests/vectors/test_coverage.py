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
