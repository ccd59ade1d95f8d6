"""Data-parallel training of the block over several processes (TensorFlow).

Keras 3's `model.fit` fails under `tf.distribute.MultiWorkerMirroredStrategy`
(keras-team/keras#20585), so this trains with a custom loop: `strategy.run`
of a step that computes the loss over the global batch, takes the gradients
and lets the optimizer all-reduce and apply them. Run one process per host,
each told the whole cluster and its own index (here: two on one machine, as
the tests do):

    python scripts/data_parallel_tf.py --workers localhost:12345,localhost:12346 --index 0 --out run &
    python scripts/data_parallel_tf.py --workers localhost:12345,localhost:12346 --index 1 --out run

Each process feeds its own shard of the data; the data here is a toy task;
replace `shard()` with your own per-process data.
"""  # noqa: E501

from __future__ import annotations

import argparse
import json
import os

BATCH_PER_WORKER = 8
EPOCHS = 5


def shard(vocab, index: int, num_workers: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(-2, vocab.size + 2, size=(64, 6)).astype("int32")
    y = (x == vocab.id_of("<u>")).any(axis=1).astype("float32")[:, None]
    return x[index::num_workers], y[index::num_workers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", required=True, help="host:port,host:port,...")
    parser.add_argument("--index", type=int, required=True, help="this worker's")
    parser.add_argument("--out", required=True, help="directory for the results")
    args = parser.parse_args()
    workers = args.workers.split(",")
    # TF_CONFIG must be set before TensorFlow starts its runtime.
    task = {"type": "worker", "index": args.index}
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers}, "task": task})
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import numpy as np
    import tensorflow as tf

    import twoembed

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    words = ["a", "b", "c", "d", "e", "f"]
    matrix = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    vocab = twoembed.Vocabulary(words, ["<u>", "<n>"])
    with strategy.scope():
        # The block's special rows start alike on every worker by themselves;
        # other layers need a seed (or keras.utils.set_random_seed, the same on all).
        inputs, vectors = twoembed.build_embedding_block(vocab, matrix)
        pooled = keras.layers.GlobalAveragePooling1D()(vectors)
        head = keras.layers.Dense(
            1, "sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
        )
        model = keras.Model(inputs, head(pooled))
        optimizer = keras.optimizers.Adam(0.05)
        optimizer.build(model.trainable_variables)
    per_example = keras.losses.BinaryCrossentropy(reduction="none")
    global_batch = BATCH_PER_WORKER * strategy.num_replicas_in_sync

    @tf.function
    def train_step(x, y):
        def step(x, y):
            with tf.GradientTape() as tape:
                losses = per_example(y, model(x, training=True))
                loss = tf.reduce_sum(losses) / global_batch
            variables = model.trainable_variables
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return loss

        return strategy.reduce("SUM", strategy.run(step, args=(x, y)), axis=None)

    os.makedirs(args.out, exist_ok=True)
    i = args.index
    start = model.get_layer("twoembed_special").get_weights()[0]
    np.save(os.path.join(args.out, f"start{i}.npy"), start)
    x, y = shard(vocab, i, len(workers))
    for _ in range(EPOCHS):
        for b in range(0, len(x), BATCH_PER_WORKER):
            loss = train_step(x[b : b + BATCH_PER_WORKER], y[b : b + BATCH_PER_WORKER])
    for layer in ("pretrained", "special"):
        weights = model.get_layer(f"twoembed_{layer}").get_weights()[0]
        np.save(os.path.join(args.out, f"{layer}{i}.npy"), weights)
    model.save(os.path.join(args.out, f"model{i}.keras"))
    print(f"worker done {i}, last loss {float(loss):.4f}")


if __name__ == "__main__":
    main()
