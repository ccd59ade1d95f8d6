"""Which start should trainable rows get? Random vs mean vs word starts, measured.

Two small tasks, a pooled classifier (the demo's: block, masked average pooling,
a sigmoid, Adam 0.02, batch 32), validation accuracy after 1, 3 and 10 epochs,
with all the training data and with 10% of it, averaged over `--seeds` seeds:

- `demo`: the bundled reviews (`twoembed demo`'s data). Word starts: `:)` from
  "good", `:(` from "bad", `<url>`/`<user>`/`<num>` and OOV from the mean.
- `synonyms`: generated here. 200 words with random 16-dim vectors, half
  positive (a +0.6 offset on one axis), half negative; 6 special tokens, each a
  near-synonym of one word (same sentiment, 3x stronger in the label). Word
  starts: each special token from its synonym.

    python benchmarks/bench_starts.py [--seeds 3]
"""

from __future__ import annotations

import argparse
from collections import Counter

import keras
import numpy as np

from twoembed import OOV, Vocabulary, build_embedding_block, load_glove
from twoembed.demo import SPECIAL_TOKENS, load_sample_reviews, sample_path

EPOCHS = (1, 3, 10)


def demo_task():
    texts, labels = load_sample_reviews()
    counts = Counter(t for text in texts for t in text)
    words = [w for w, _ in counts.most_common() if w not in SPECIAL_TOKENS]
    loaded = load_glove(sample_path("vectors.txt"), words, counts=counts, verbose=0)
    vocab = loaded.vocabulary(SPECIAL_TOKENS)
    word_starts = {":)": "good", ":(": "bad", "<url>": "mean", "<user>": "mean"}
    word_starts.update({"<num>": "mean", OOV: "mean"})
    return vocab, loaded.matrix, vocab.encode(texts), labels, word_starts


def synonym_task(size=2000, seed=0):
    rng = np.random.default_rng(seed)
    n, dim = 200, 16
    words = [f"w{i}" for i in range(n)]
    sentiment = np.where(np.arange(n) < n // 2, 1.0, -1.0)
    matrix = rng.normal(0, 0.3, size=(n, dim)).astype("float32")
    matrix[:, 0] += 0.6 * sentiment
    synonyms = {f"<s{j}>": words[j * 33 % n] for j in range(6)}
    specials = list(synonyms)
    vocab = Vocabulary(words, specials)
    weight = {w: sentiment[i] for i, w in enumerate(words)}
    weight.update({s: 3 * weight[w] for s, w in synonyms.items()})
    texts, labels = [], []
    for _ in range(size):
        tokens = list(rng.choice(words, size=8))
        tokens[rng.integers(8)] = specials[rng.integers(len(specials))]
        texts.append(tokens)
        labels.append(float(sum(weight[t] for t in tokens) > 0))
    return vocab, matrix, vocab.encode(texts), np.array(labels, "float32"), synonyms


def run(task, start, fraction, seed):
    vocab, matrix, ids, labels, word_starts = task
    split = int(0.8 * len(ids))
    keep = max(32, int(split * fraction))
    special_init = {
        "random": None,
        "mean": {**dict.fromkeys(vocab.special_tokens, "mean"), OOV: "mean"},
        "word": word_starts,
    }[start]
    keras.utils.set_random_seed(seed)
    inputs, vectors = build_embedding_block(vocab, matrix, special_init=special_init)
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        ids[:keep],
        labels[:keep],
        validation_data=(ids[split:], labels[split:]),
        epochs=max(EPOCHS),
        batch_size=32,
        verbose=0,
    ).history["val_accuracy"]
    return [history[e - 1] for e in EPOCHS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    tasks = {"demo": demo_task(), "synonyms": synonym_task()}
    header = " | ".join(f"{e} ep" for e in EPOCHS)
    print(f"validation accuracy, mean (min-max) over {args.seeds} seeds")
    print(f"| task | data | start | {header} |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in EPOCHS) + " |")
    for name, task in tasks.items():
        for fraction in (1.0, 0.1):
            for start in ("random", "mean", "word"):
                runs = np.array(
                    [run(task, start, fraction, seed) for seed in range(args.seeds)]
                )
                cells = " | ".join(
                    f"{runs[:, i].mean():.3f} ({runs[:, i].min():.2f}-"
                    f"{runs[:, i].max():.2f})"
                    for i in range(len(EPOCHS))
                )
                print(f"| {name} | {fraction:.0%} | {start} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
