"""Plots of what training did to the vectors. Needs matplotlib (the `demo` extra).

Each function takes arrays and returns a `matplotlib.figure.Figure`; saving or
showing it is the caller's choice (`fig.savefig(path)`, or leave it as a
notebook cell's last expression). Figures are made without pyplot, so this
module changes no global matplotlib state and needs no screen.

Example:

>>> import numpy as np
>>> from twoembed.plots import row_change
>>> before = np.zeros((5, 3)); after = before.copy(); after[4] = 1.0
>>> fig = row_change(before, after, first_trainable=3, names=["<url>", "OOV"])
>>> fig.axes[0].get_title()
'change of each row in training; frozen rows: max 0 (exactly zero)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = ["row_change", "training_curves", "vectors_pca"]

_MOVED = "tab:red"


def training_curves(
    history: Mapping[str, Sequence[float]],
    baseline: Mapping[str, Sequence[float]],
    labels: tuple[str, str] = (
        "frozen + trainable specials",
        "frozen only (specials -> OOV)",
    ),
) -> Figure:
    """Loss and validation accuracy per epoch of two Keras `History.history` dicts
    (keys `loss`, `val_loss`, `val_accuracy`)."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    loss, accuracy = fig.subplots(1, 2)
    for run, label, colour in zip(
        (history, baseline), labels, ("tab:blue", "tab:gray"), strict=True
    ):
        epochs = np.arange(1, len(run["loss"]) + 1)
        loss.plot(epochs, run["loss"], color=colour, label=f"{label}, train")
        loss.plot(epochs, run["val_loss"], "--", color=colour, label=f"{label}, val")
        accuracy.plot(epochs, run["val_accuracy"], color=colour, label=label)
    loss.set(title="loss", xlabel="epoch")
    accuracy.set(title="validation accuracy", xlabel="epoch")
    loss.legend(fontsize=7)
    accuracy.legend(fontsize=7)
    return fig


def vectors_pca(
    words: Sequence[str],
    frozen_before: np.ndarray,
    frozen_after: np.ndarray,
    tokens: Sequence[str],
    tokens_before: np.ndarray,
    tokens_after: np.ndarray,
    labelled_words: int = 10,
) -> Figure:
    """The vectors before and after training, projected on the first two
    principal axes of the frozen rows as they were before.

    `frozen_*` are `(len(words), dim)`, `tokens_*` are `(len(tokens), dim)`.
    Left: every vector, each token's arrow from its start to where training
    put it. Right: a zoom on the frozen words, each a ring (before) around a
    dot (after), with `labelled_words` of them, spread out, named.
    """
    centre = frozen_before.mean(axis=0)
    _, _, axes = np.linalg.svd(frozen_before - centre, full_matrices=False)

    def project(rows: np.ndarray) -> np.ndarray:
        return (np.asarray(rows) - centre) @ axes[:2].T

    frozen = project(frozen_before), project(frozen_after)
    start, end = project(tokens_before), project(tokens_after)
    low, high = frozen[0].min(axis=0), frozen[0].max(axis=0)
    low, high = low - 0.15 * (high - low), high + 0.15 * (high - low)
    inside = ((end >= low) & (end <= high)).all(axis=1)

    fig = Figure(figsize=(12, 5.6), layout="constrained")
    full, zoom = fig.subplots(1, 2)
    for ax in (full, zoom):
        ax.scatter(*frozen[0].T, s=60, facecolors="none", edgecolors="0.65",
                   label="frozen word, before")  # fmt: skip
        ax.scatter(*frozen[1].T, s=8, color="0.25", label="frozen word, after")
        ax.scatter(*start.T, marker="x", color=_MOVED, label="trainable, before")
        ax.scatter(*end.T, s=24, color=_MOVED, label="trainable, after")
        ax.set(xlabel="PC 1 of the frozen words", ylabel="PC 2")
    arrow = {"arrowstyle": "->", "color": _MOVED}
    names: list = []  # the tokens' labels, placed clear of each other at the end
    # Each arrow is drawn and named once: in the zoom if it ends there, else
    # on the left; the zoom names the start of the others.
    for i, name in enumerate(tokens):
        ax = zoom if inside[i] else full
        ax.annotate("", end[i], start[i], arrowprops=arrow)
        names.append(ax.annotate(name, end[i], xytext=(5, 3), fontsize=10,
                                 textcoords="offset points", color=_MOVED,
                                 weight="bold", zorder=5))  # fmt: skip
        if not inside[i]:  # in the zoom: where it starts, and which way it goes
            way = (end[i] - start[i]) / np.linalg.norm(end[i] - start[i])
            stub = start[i] + 0.07 * np.linalg.norm(high - low) * way
            zoom.annotate("", stub, start[i], arrowprops={**arrow, "ls": ":"})
            names.append(zoom.annotate(f"{name}, off the box", stub, fontsize=9,
                                       xytext=(3 if way[0] > 0 else -3, 0),
                                       textcoords="offset points", va="center",
                                       ha="left" if way[0] > 0 else "right",
                                       color=_MOVED, zorder=5))  # fmt: skip
    # Many words sit on top of each other: one label per group, with its size.
    radius = 0.02 * float(np.linalg.norm(high - low))
    for i in _spread_out(frozen[1], labelled_words):
        near = int((np.linalg.norm(frozen[1] - frozen[1][i], axis=1) < radius).sum())
        label = words[i] if near == 1 else f"{words[i]} +{near - 1}"
        zoom.annotate(label, frozen[1][i], xytext=(5, -10),
                      textcoords="offset points", fontsize=8, color="0.2",
                      bbox={"boxstyle": "square,pad=0.05", "fc": "white",
                            "ec": "none", "alpha": 0.75})  # fmt: skip
    zoom.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]))
    full.add_patch(
        Rectangle(low, *(high - low), fill=False, edgecolor="0.5", linestyle=":")
    )
    largest = float(np.abs(frozen[1] - frozen[0]).max())
    full.set_title("every vector: the trainable ones move")
    zoom.set_title(
        "zoom on the frozen words (grey box on the left): "
        f"they stay (largest move {largest:.1g})",
        fontsize=10,
    )
    full.legend(fontsize=8, loc="best")
    _place_clear(fig, names)
    return fig


# Where a label may go around its point, in offset points, nearest first, each
# with its distance rank (0 for the nearest six).
_PLACES = [
    ((dx * k, dy * k, ha, va), k - 1)
    for k in (1, 2, 3)
    for dx, dy, ha, va in (
        (5, 3, "left", "bottom"), (5, -3, "left", "top"),
        (-5, 3, "right", "bottom"), (-5, -3, "right", "top"),
        (0, 6, "center", "bottom"), (0, -6, "center", "top"),
    )
]  # fmt: skip


def _place_clear(fig: Figure, labels: list) -> None:
    """Moves each of `labels` (offset-point annotations), in turn, to a place
    around its point where it overlaps no other text of its axes already
    placed, if there is one; among those, the one that crosses the fewest
    arrows (3 each) and points (1 each) and lies nearest (1 for each step out).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # the layout, so extents are final
    renderer = fig.canvas.get_renderer()
    moving = {id(label) for label in labels}
    taken = {
        id(ax): [t.get_window_extent(renderer) for t in ax.texts
                 if t.get_text() and id(t) not in moving]
        for ax in fig.axes
    }  # fmt: skip
    marks = {id(ax): _marks(ax) for ax in fig.axes}
    for label in labels:
        boxes = taken[id(label.axes)]
        arrows, points = marks[id(label.axes)]
        first = (*label.get_position(), label.get_ha(), label.get_va())
        best = None
        for place, distance in [(first, 0), *_PLACES]:
            label.set_position(place[:2])
            label.set(ha=place[2], va=place[3])
            box = label.get_window_extent(renderer)
            cost = (
                sum(box.overlaps(other) for other in boxes),
                3 * sum(arrow.intersects_bbox(box, filled=False) for arrow in arrows)
                + _covered(box, points, label)
                + distance,
            )
            if best is None or cost < best[0]:
                best = cost, place, box
            if cost == (0, 0):
                break
        _, place, box = best
        label.set_position(place[:2])
        label.set(ha=place[2], va=place[3])
        boxes.append(box)


def _covered(box, points: np.ndarray, label) -> int:
    """How many of `points` lie on `box` or so near it that their marker
    (a ring of about 4 pixels' radius) touches it, not counting the point
    `label` names."""
    x, y = points.T
    on = (x > box.x0 - 4) & (x < box.x1 + 4) & (y > box.y0 - 4) & (y < box.y1 + 4)
    anchor = label.axes.transData.transform(label.xy)
    own = np.hypot(x - anchor[0], y - anchor[1]) < 1
    return int((on & ~own).sum())


def _marks(ax) -> tuple[list, np.ndarray]:
    """The arrows (as display-space paths) and the points (display x, y) drawn
    in `ax`, which a label should not lie on."""
    from matplotlib.path import Path

    arrows = [
        Path(ax.transData.transform([t.xyann, t.xy]))
        for t in ax.texts
        if getattr(t, "arrow_patch", None) is not None and t.anncoords == "data"
    ]
    offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    points = np.concatenate(offsets) if offsets else np.zeros((0, 2))
    return arrows, ax.transData.transform(points).reshape(-1, 2)


def row_change(
    before: np.ndarray,
    after: np.ndarray,
    first_trainable: int,
    names: Sequence[str],
) -> Figure:
    """The L2 change in training of every row of a merged matrix (row = id).

    Rows from `first_trainable` on are the trainable ones, named by `names`.
    """
    change = np.linalg.norm(np.asarray(after) - np.asarray(before), axis=1)
    ids = np.arange(len(change))
    trainable = ids >= first_trainable
    frozen_max = float(change[~trainable].max())
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.subplots()
    # A bar of height 0 is invisible: the frozen rows are dots on the axis.
    ax.scatter(ids[~trainable], change[~trainable], s=6, color="0.4",
               label="padding + frozen rows")  # fmt: skip
    ax.bar(ids[trainable], change[trainable], color=_MOVED, label="trainable rows")
    for i, name in zip(ids[trainable], names, strict=True):
        ax.annotate(f"{name} {change[i]:.2f}", (i, change[i]), xytext=(0, 3),
                    textcoords="offset points", rotation=90, ha="center",
                    va="bottom", fontsize=8)  # fmt: skip
    verdict = "exactly zero" if frozen_max == 0 else "NOT zero"
    ax.set(
        title=f"change of each row in training; frozen rows: max {frozen_max:.2g} "
        f"({verdict})",
        xlabel="id",
        ylabel="L2 change",
        ylim=(-0.05 * max(change.max(), 1e-12), 1.4 * max(change.max(), 1e-12)),
    )
    ax.legend(fontsize=8, loc="upper left")
    return fig


def _spread_out(points: np.ndarray, count: int) -> list[int]:
    """Indices of up to `count` points, each as far from the others chosen as
    possible (points that coincide with a chosen one are never chosen)."""
    if len(points) == 0 or count <= 0:
        return []
    chosen = [int(np.argmax(np.linalg.norm(points - points.mean(axis=0), axis=1)))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    while len(chosen) < count and distance.max() > 0:
        chosen.append(int(np.argmax(distance)))
        latest = np.linalg.norm(points - points[chosen[-1]], axis=1)
        distance = np.minimum(distance, latest)
    return chosen
