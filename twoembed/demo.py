"""The demo: a review classifier on the bundled sample data, start to finish.

The sample (made by `scripts/make_sample_data.py`, nothing downloaded) is a
corpus of short reviews whose words carry some sentiment and whose emoticons
`:)` and `:(` carry most of it, plus 32-dim vectors for the normal words only.
The emoticons have no pretrained vector: they learn one, as trainable special
tokens, while every pretrained vector stays exactly as loaded.
"""

from __future__ import annotations

import importlib.util
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, TextIO

import keras
import numpy as np

from twoembed._files import PathLike
from twoembed.block import build_embedding_block
from twoembed.export import merged_matrix
from twoembed.tokenize import tokenize
from twoembed.vectors import load_glove
from twoembed.vocab import Vocabulary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SPECIAL_TOKENS",
    "DemoResult",
    "demo_figures",
    "load_sample_reviews",
    "run_demo",
    "sample_path",
]

SPECIAL_TOKENS = ("<url>", "<user>", "<num>", ":)", ":(")


def sample_path(name: str) -> str:
    """Path of a bundled sample file: `"reviews.tsv"` or `"vectors.txt"`."""
    path = resources.files("twoembed") / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"No bundled sample file {name!r} in twoembed/data")
    return str(path)


def load_sample_reviews() -> tuple[list[list[str]], np.ndarray]:
    """The bundled reviews as token lists, and their 0/1 labels."""
    texts, labels = [], []
    with open(sample_path("reviews.tsv"), encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t")
            texts.append(tokenize(text, keep=SPECIAL_TOKENS))
            labels.append(float(label))
    return texts, np.array(labels, dtype="float32")


@dataclass
class DemoResult:
    """What the demo measured; `run_demo` also prints it."""

    vocab: Vocabulary
    pretrained: np.ndarray  # (num_words, dim), as loaded
    before: np.ndarray  # merged matrix before training
    after: np.ndarray  # merged matrix after training
    history: dict[str, list[float]]
    baseline_history: dict[str, list[float]]
    neighbours: dict[str, list[str]]
    pretrained_exact: bool
    plots: list[str] = field(default_factory=list)


def _classifier(vocab: Vocabulary, matrix: np.ndarray, max_len: int) -> keras.Model:
    inputs, vectors = build_embedding_block(vocab, matrix, max_len=max_len)
    pooled = keras.layers.GlobalAveragePooling1D(name="mean_vector")(vectors)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="sentiment")(pooled)
    model = keras.Model(inputs, outputs, name="review_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _nearest(merged: np.ndarray, vocab: Vocabulary, k: int) -> dict[str, list[str]]:
    """The k nearest pretrained words (cosine) of every special token's vector."""
    words = merged[1 : vocab.num_words + 1]
    unit = words / np.maximum(np.linalg.norm(words, axis=1, keepdims=True), 1e-12)
    found = {}
    for token, token_id in zip(vocab.special_tokens, vocab.special_ids, strict=True):
        vector = merged[token_id] / max(float(np.linalg.norm(merged[token_id])), 1e-12)
        best = np.argsort(-(unit @ vector))[:k]
        found[token] = [vocab.words[i] for i in best]
    return found


def run_demo(
    out_dir: PathLike = ".",
    epochs: int = 12,
    seed: int = 0,
    verbose: int = 1,
    stream: TextIO | None = None,
) -> DemoResult:
    """Runs the demo, prints what it finds and writes its plots into `out_dir`.

    `out_dir` is created if needed.

    Args:
        out_dir: where `model.keras`, `vocab.json` and the plots go.
        epochs: training epochs of both classifiers.
        seed: seeds Keras, NumPy and Python's random generators.
        verbose: 0 hides Keras' progress bar; the report is always printed.
        stream: where the report goes (default: stdout). When set, Keras'
            progress bar, which writes to stdout, is hidden.

    Also writes `model.keras` and `vocab.json` there, ready for
    `twoembed export`. Plots need matplotlib (`pip install "twoembed[demo]"`);
    without it the demo says so and writes none.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"Output path {os.fspath(out_dir)!r} is not a directory")
    os.makedirs(out_dir, exist_ok=True)

    def say(text: str = "") -> None:
        print(text, file=stream, flush=True)

    keras.utils.set_random_seed(seed)
    texts, labels = load_sample_reviews()
    counts = Counter(t for text in texts for t in text)
    corpus_words = [w for w, _ in counts.most_common() if w not in SPECIAL_TOKENS]
    loaded = load_glove(
        sample_path("vectors.txt"), corpus_words, counts=counts, verbose=0
    )
    say("== Coverage of the corpus by the pretrained vectors")
    say(str(loaded.report))
    vocab = loaded.vocabulary(SPECIAL_TOKENS)
    say(
        f"\n== Vocabulary: {vocab.num_words} pretrained words, special tokens "
        f"{list(vocab.special_tokens)}, OOV id {vocab.oov_id}"
    )

    max_len = max(len(t) for t in texts)
    ids = vocab.encode(texts, max_len=max_len)
    split = int(0.8 * len(ids))
    train, val = (ids[:split], labels[:split]), (ids[split:], labels[split:])

    model = _classifier(vocab, loaded.matrix, max_len)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    say(f"\n== Model: {trainable} trainable parameters, {frozen} frozen")
    before = merged_matrix(model, vocab)
    fit_verbose = verbose if verbose and stream is None else 0
    history = model.fit(
        *train, validation_data=val, epochs=epochs, batch_size=32, verbose=fit_verbose
    ).history
    after = merged_matrix(model, vocab)

    # The same model with every special token sent to OOV: what frozen
    # vectors alone can do.
    plain = Vocabulary(vocab.words)
    baseline = _classifier(plain, loaded.matrix, max_len)
    baseline_ids = plain.encode(texts, max_len=max_len)
    baseline_history = baseline.fit(
        baseline_ids[:split],
        labels[:split],
        validation_data=(baseline_ids[split:], labels[split:]),
        epochs=epochs,
        batch_size=32,
        verbose=0,
    ).history
    say(
        f"\n== Validation accuracy: {history['val_accuracy'][-1]:.3f} with "
        f"trainable special tokens, {baseline_history['val_accuracy'][-1]:.3f} "
        "with frozen vectors only"
    )

    exact = bool(np.array_equal(after[1 : vocab.num_words + 1], loaded.matrix))
    changed = np.abs(after - before).max(axis=1)
    say(
        f"\n== Pretrained rows after training: {vocab.num_words} of "
        f"{vocab.num_words} {'exactly unchanged' if exact else 'CHANGED'} "
        f"(largest change {changed[1 : vocab.num_words + 1].max():.1e}); "
        f"padding row zero: {not after[0].any()}"
    )
    neighbours = _nearest(after, vocab, k=5)
    say("\n== Nearest pretrained words of each learned special vector")
    for token, near in neighbours.items():
        moved = changed[vocab.id_of(token)]
        say(f"  {token:7} (moved {moved:.3f}): {', '.join(near)}")

    model.save(os.path.join(out_dir, "model.keras"))
    vocab.save(os.path.join(out_dir, "vocab.json"))
    result = DemoResult(
        vocab,
        loaded.matrix,
        before,
        after,
        history,
        baseline_history,
        neighbours,
        exact,
    )
    if importlib.util.find_spec("matplotlib") is None:
        say("\n(no plots: they need matplotlib; pip install 'twoembed[demo]')")
    else:
        for name, figure in demo_figures(result).items():
            result.plots.append(os.path.join(out_dir, name))
            figure.savefig(result.plots[-1], dpi=110)
    written = ["model.keras", "vocab.json", *map(os.path.basename, result.plots)]
    say(f"\n== Wrote {', '.join(written)} to {os.path.abspath(out_dir)}")
    return result


def demo_figures(result: DemoResult) -> dict[str, Figure]:
    """The demo's plots of `result`, by file name. Needs matplotlib.

    Only a missing matplotlib is the caller's to report (`run_demo` checks
    for it first): any ImportError from here is a bug, and propagates.
    """
    from twoembed import plots

    vocab, n = result.vocab, result.vocab.num_words
    trainable = slice(n + 1, None)  # the special rows, then OOV
    names = [*vocab.special_tokens, "OOV"]
    return {
        "training_curves.png": plots.training_curves(
            result.history, result.baseline_history
        ),
        "vectors_pca.png": plots.vectors_pca(
            vocab.words,
            result.before[1 : n + 1],
            result.after[1 : n + 1],
            names,
            result.before[trainable],
            result.after[trainable],
        ),
        "row_change.png": plots.row_change(
            result.before, result.after, first_trainable=n + 1, names=names
        ),
    }
