"""twoembed.demo: its figures, and what it does without matplotlib.

The full demo runs from the command line in test_cli.py.
"""

import sys

import numpy as np
import pytest

import twoembed.demo
from twoembed import Vocabulary
from twoembed.demo import DemoResult, demo_figures, run_demo


@pytest.fixture
def result():
    vocab = Vocabulary(["a", "b", "c"], [":)"])
    rng = np.random.default_rng(0)
    before = rng.normal(size=(vocab.size, 4)).astype("float32")
    before[0] = 0.0
    after = before.copy()
    after[vocab.num_words + 1 :] += 1.0
    history = {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6], "val_accuracy": [0.5, 0.9]}
    return DemoResult(vocab, before[1:4], before, after, history, history,
                      {":)": ["a"]}, True)  # fmt: skip


def test_demo_figures_are_the_three_plots_of_the_result(result):
    pytest.importorskip("matplotlib")
    figures = demo_figures(result)
    assert list(figures) == ["training_curves.png", "vectors_pca.png", "row_change.png"]
    (change,) = figures["row_change.png"].axes
    assert [t.get_text() for t in change.texts] == [":) 2.00", "OOV 2.00"]


def test_an_import_error_inside_our_plot_code_is_not_taken_for_no_matplotlib(
    result, monkeypatch
):
    pytest.importorskip("matplotlib")
    import twoembed.plots

    def broken(*args, **kwargs):
        raise ImportError("cannot import name 'helper' from 'twoembed._checks'")

    monkeypatch.setattr(twoembed.plots, "vectors_pca", broken)
    with pytest.raises(ImportError, match="cannot import name 'helper'"):
        demo_figures(result)
    # A broken part of matplotlib is not "no matplotlib" either.
    monkeypatch.delitem(sys.modules, "twoembed.plots")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"matplotlib\.figure"):
        demo_figures(result)


def test_without_matplotlib_the_demo_says_so_and_writes_no_plot(tmp_path, monkeypatch):
    import io

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "twoembed.plots", raising=False)
    out = io.StringIO()
    found = run_demo(tmp_path, epochs=1, verbose=0, stream=out)
    assert found.plots == []
    assert "(no plots: they need matplotlib; pip install 'twoembed[demo]')" in (
        out.getvalue()
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "vocab.json"]
    assert twoembed.demo.SPECIAL_TOKENS == found.vocab.special_tokens
