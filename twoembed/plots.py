"""The demo's plots. Needs matplotlib (the `demo` extra).

Figures are made with `matplotlib.figure.Figure`, not pyplot, so importing
this module changes no global matplotlib state (a notebook keeps its
backend) and no screen is needed.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from twoembed._files import atomic_save

if TYPE_CHECKING:
    from twoembed._files import PathLike
    from twoembed.demo import DemoResult

__all__ = ["write_demo_plots"]


def write_demo_plots(result: DemoResult, out_dir: PathLike) -> list[str]:
    """Writes the training curves, a PCA of the vectors and the per-row change.

    Returns the paths written.
    """
    paths = [
        _training_curves(result, os.path.join(out_dir, "training_curves.png")),
        _pca(result, os.path.join(out_dir, "vectors_pca.png")),
        _row_change(result, os.path.join(out_dir, "row_change.png")),
    ]
    return paths


def _training_curves(result: DemoResult, path: str) -> str:
    fig = Figure(figsize=(10, 3.8))
    loss, accuracy = fig.subplots(1, 2)
    epochs = np.arange(1, len(result.history["loss"]) + 1)
    for history, label, colour in (
        (result.history, "frozen + trainable specials", "tab:blue"),
        (result.baseline_history, "frozen only (specials -> OOV)", "tab:gray"),
    ):
        loss.plot(epochs, history["loss"], color=colour, label=f"{label}, train")
        loss.plot(
            epochs, history["val_loss"], "--", color=colour, label=f"{label}, val"
        )
        accuracy.plot(epochs, history["val_accuracy"], color=colour, label=label)
    loss.set(title="loss", xlabel="epoch")
    accuracy.set(title="validation accuracy", xlabel="epoch")
    loss.legend(fontsize=7)
    accuracy.legend(fontsize=7)
    return _save(fig, path)


def _pca(result: DemoResult, path: str) -> str:
    vocab = result.vocab
    words = slice(1, vocab.num_words + 1)
    centre = result.before[words].mean(axis=0)
    _, _, axes = np.linalg.svd(result.before[words] - centre, full_matrices=False)

    def project(rows: np.ndarray) -> np.ndarray:
        return (rows - centre) @ axes[:2].T

    fig = Figure(figsize=(7.5, 6))
    ax = fig.subplots()
    before, after = project(result.before), project(result.after)
    ax.scatter(*after[words].T, s=14, color="0.6", label="pretrained (frozen)")
    for i in range(1, vocab.num_words + 1, 3):
        ax.annotate(vocab.words[i - 1], after[i], fontsize=6, color="0.45")
    ids = [*vocab.special_ids, vocab.oov_id]
    names = [*vocab.special_tokens, "OOV"]
    ax.scatter(*before[ids].T, marker="x", color="tab:red", label="special, before")
    ax.scatter(*after[ids].T, color="tab:red", label="special, after")
    for i, name in zip(ids, names, strict=True):
        ax.annotate(
            "", after[i], before[i], arrowprops={"arrowstyle": "->", "color": "tab:red"}
        )
        ax.annotate(name, after[i], fontsize=9, color="tab:red", weight="bold")
    ax.set(
        title="PCA of the vectors: special tokens move, pretrained points stay",
        xlabel="PC 1",
        ylabel="PC 2",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def _row_change(result: DemoResult, path: str) -> str:
    vocab = result.vocab
    change = np.linalg.norm(result.after - result.before, axis=1)
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    ids = np.arange(len(change))
    special = ids > vocab.num_words
    ax.bar(ids[~special], change[~special], color="0.5", label="padding + pretrained")
    ax.bar(ids[special], change[special], color="tab:red", label="special + OOV")
    verdict = "exactly zero" if result.pretrained_exact else "NOT zero"
    ax.set(
        title=(
            "change of each row in training; pretrained rows: max "
            f"{change[1 : vocab.num_words + 1].max():.1e} ({verdict})"
        ),
        xlabel="id",
        ylabel="L2 change",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: Figure, path: str) -> str:
    fig.tight_layout()
    atomic_save(path, functools.partial(fig.savefig, dpi=110))
    return path
