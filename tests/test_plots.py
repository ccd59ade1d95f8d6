"""twoembed.plots: arrays in, matplotlib figures out."""

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure
from matplotlib.path import Path

from twoembed.plots import row_change, training_curves, vectors_pca


def texts(fig):
    """The text of every label (arrows are annotations without text)."""
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()]


def test_training_curves_draw_both_runs_per_epoch():
    history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.5],
               "val_accuracy": [0.5, 0.7, 0.8]}  # fmt: skip
    baseline = {"loss": [0.7, 0.7, 0.7], "val_loss": [0.7, 0.7, 0.7],
                "val_accuracy": [0.5, 0.5, 0.6]}  # fmt: skip
    fig = training_curves(history, baseline)
    assert isinstance(fig, Figure)
    loss, accuracy = fig.axes
    assert len(loss.lines) == 4 and len(accuracy.lines) == 2
    np.testing.assert_array_equal(accuracy.lines[0].get_ydata(), [0.5, 0.7, 0.8])
    np.testing.assert_array_equal(accuracy.lines[0].get_xdata(), [1, 2, 3])


def test_vectors_pca_zooms_on_the_frozen_words_and_names_each_token_once():
    rng = np.random.default_rng(0)
    frozen = rng.normal(size=(30, 8))
    words = [f"w{i}" for i in range(30)]
    start = rng.normal(scale=0.1, size=(3, 8))
    end = start.copy()
    end[0] += 50.0  # far outside the frozen cloud
    end[1] += 0.05
    fig = vectors_pca(words, frozen, frozen, ["<far>", "<near>", "OOV"], start, end,
                      labelled_words=5)  # fmt: skip
    assert isinstance(fig, Figure)
    full, zoom = fig.axes
    found = texts(fig)
    assert found.count("<far>") == 1 and "<far>" in [t.get_text() for t in full.texts]
    assert "<far>, off the box" in [t.get_text() for t in zoom.texts]
    for name in ("<near>", "OOV"):
        assert [t.get_text() for t in zoom.texts].count(name) == 1
    labels = [t for t in found if t.split(" ")[0] in words]
    assert 1 <= len(labels) <= 5
    # The projection is fitted on the frozen rows: the zoom holds all of them.
    centre = frozen.mean(axis=0)
    _, _, axes = np.linalg.svd(frozen - centre, full_matrices=False)
    projected = (frozen - centre) @ axes[:2].T
    (x0, x1), (y0, y1) = zoom.get_xlim(), zoom.get_ylim()
    assert x0 < projected[:, 0].min() and projected[:, 0].max() < x1
    assert y0 < projected[:, 1].min() and projected[:, 1].max() < y1
    assert "largest move 0" in zoom.get_title()


def test_token_labels_that_would_overlap_are_placed_clear_of_each_other():
    rng = np.random.default_rng(0)
    frozen = rng.normal(size=(30, 8))
    words = [f"w{i}" for i in range(30)]
    start = rng.normal(scale=0.1, size=(4, 8))
    end = np.repeat(start[:1], 4, axis=0)  # all four end on one point
    names = ["<a>", "<b>", "<c>", "OOV"]
    fig = vectors_pca(words, frozen, frozen, names, start, end, labelled_words=5)
    fig.savefig(io.BytesIO(), format="png")  # the layout as it is saved
    renderer = fig.canvas.get_renderer()
    zoom = fig.axes[1]
    texts = [t for t in zoom.texts if t.get_text()]
    tokens = [t.get_window_extent(renderer) for t in texts if t.get_text() in names]
    others = [t.get_window_extent(renderer) for t in texts if t.get_text() not in names]
    assert len(tokens) == 4 and others  # the words' labels are in the way too
    for i, box in enumerate(tokens):
        assert not any(box.overlaps(other) for other in tokens[i + 1 :] + others)


def test_coinciding_words_get_one_label_with_the_group_size():
    frozen = np.repeat(np.eye(3), [4, 1, 1], axis=0)  # 4 identical rows
    words = ["a", "b", "c", "d", "e", "f"]
    tokens = np.zeros((1, 3))
    fig = vectors_pca(words, frozen, frozen, ["<u>"], tokens, tokens + 0.1)
    labels = sorted(t for t in texts(fig) if t != "<u>")
    assert labels == ["a +3", "e", "f"]


@pytest.mark.parametrize(("moved", "verdict"), [(0.0, "exactly zero"), (1e-3, "NOT")])
def test_row_change_says_whether_the_frozen_rows_moved(moved, verdict):
    before = np.zeros((6, 2))
    after = before.copy()
    after[2, 0] = moved
    after[4:] = [[3.0, 4.0], [0.0, 1.0]]
    fig = row_change(before, after, first_trainable=4, names=["<u>", "OOV"])
    (ax,) = fig.axes
    assert verdict in ax.get_title()
    assert [t.get_text() for t in ax.texts] == ["<u> 5.00", "OOV 1.00"]
    assert [p.get_height() for p in ax.patches] == [5.0, 1.0]


def test_token_labels_are_placed_off_the_arrows_that_cross_their_first_place():
    rng = np.random.default_rng(0)
    frozen = np.zeros((30, 8))  # spread along dims 0 and 1 only: those are the PCs
    frozen[:, 0] = rng.normal(scale=3.0, size=30)
    frozen[:, 1] = rng.normal(scale=2.0, size=30)
    words = [f"w{i}" for i in range(30)]
    start, end = np.zeros((3, 8)), np.zeros((3, 8))
    start[0, :2], end[0, :2] = (-0.5, -1.0), (0.0, 0.0)  # "<a>" ends at the centre
    # Two arrows pass close by that point, one on each side of it.
    start[1, :2], end[1, :2] = (-2.0, 0.2), (2.0, 0.2)
    start[2, :2], end[2, :2] = (2.0, -0.2), (-2.0, -0.2)
    start[:, :2] += frozen[:, :2].mean(axis=0)
    end[:, :2] += frozen[:, :2].mean(axis=0)
    names = ["<a>", "<b>", "<c>"]
    fig = vectors_pca(words, frozen, frozen, names, start, end, labelled_words=0)
    fig.savefig(io.BytesIO(), format="png")
    renderer = fig.canvas.get_renderer()
    zoom = fig.axes[1]
    arrows = [
        Path(zoom.transData.transform([t.xyann, t.xy]))
        for t in zoom.texts if t.arrow_patch is not None
    ]  # fmt: skip
    label = next(t for t in zoom.texts if t.get_text() == "<a>")
    box = label.get_window_extent(renderer)
    assert len(arrows) == 3
    assert not any(arrow.intersects_bbox(box, filled=False) for arrow in arrows)
