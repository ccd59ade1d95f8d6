"""What `:)` and `:(` learn in the demo, and at what accuracy, with and without
word starts and a pull to the start.

The demo's classifier and data (`twoembed demo`: block, masked average
pooling, a sigmoid, Adam 0.02, batch 32, 12 epochs, 80/20 split), for each
`--seeds` seed: validation accuracy, and for `:)` and `:(` how far they moved,
their norm and their nearest pretrained words by cosine (`inspect_rows`).
Variants: the demo's own (random starts, no pull), and word starts (`:)` from
"good", `:(` from "bad", the others from the mean) with `start_pull` 0.002 and
0.01.

    python benchmarks/bench_demo_rows.py [--seeds 3]
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
from bench_starts import demo_task

from twoembed import build_embedding_block, inspect_rows

VARIANTS = {
    "random start, no pull (the demo)": (False, 0.0),
    "word starts, start_pull=0.002": (True, 0.002),
    "word starts, start_pull=0.01": (True, 0.01),
}


def run(vocab, matrix, ids, labels, starts, seed: int) -> tuple[float, list]:
    keras.utils.set_random_seed(seed)
    inputs, vectors = build_embedding_block(
        vocab, matrix, max_len=ids.shape[1], special_init=starts[0],
        start_pull=starts[1],
    )
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    model.compile(
        keras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"]
    )
    split = int(0.8 * len(ids))
    history = model.fit(
        ids[:split], labels[:split], validation_data=(ids[split:], labels[split:]),
        epochs=12, batch_size=32, verbose=0,
    ).history
    rows = [r for r in inspect_rows(model, vocab, ids=ids[:split], top=4)
            if r.token in (":)", ":(")]
    return history["val_accuracy"][-1], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    vocab, matrix, ids, labels, word_starts = demo_task()
    for name, (word, pull) in VARIANTS.items():
        accuracies = []
        print(f"== {name}")
        for seed in range(args.seeds):
            accuracy, rows = run(
                vocab, matrix, ids, labels, (word_starts if word else None, pull), seed
            )
            accuracies.append(accuracy)
            described = "; ".join(
                f"{r.token} moved {r.moved:.2f}, norm {r.norm:.2f}: "
                f"{', '.join(r.neighbours)}" for r in rows
            )
            print(f"  seed {seed}: val accuracy {accuracy:.3f}; {described}")
        print(f"  mean val accuracy {np.mean(accuracies):.3f}")


if __name__ == "__main__":
    main()
