"""Data-parallel training of the block over several processes (JAX backend).

Run one process per host (here: two on one machine, as the tests do):

    KERAS_BACKEND=jax python scripts/data_parallel_jax.py --coordinator localhost:12345 --num-processes 2 --process-id 0 --out run &
    KERAS_BACKEND=jax python scripts/data_parallel_jax.py --coordinator localhost:12345 --num-processes 2 --process-id 1 --out run

Each process feeds its own shard of the data; gradients are averaged over all
devices of all processes (CPU collectives over gloo). The data here is a toy
task; replace `shard()` with your own per-process data.
"""  # noqa: E501

from __future__ import annotations

import argparse
import os


def shard(vocab, process_id: int, num_processes: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(-2, vocab.size + 2, size=(64, 6)).astype("int32")
    y = (x == vocab.id_of("<u>")).any(axis=1).astype("float32")
    return x[process_id::num_processes], y[process_id::num_processes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coordinator", required=True, help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, required=True)
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--out", required=True, help="directory for the results")
    args = parser.parse_args()

    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=args.coordinator,
        num_processes=args.num_processes,
        process_id=args.process_id,
        initialization_timeout=60,
    )
    import keras
    import numpy as np

    import twoembed

    words = ["a", "b", "c", "d", "e", "f"]
    matrix = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    vocab = twoembed.Vocabulary(words, ["<u>", "<n>"])

    distribution = keras.distribution.DataParallel(devices=jax.devices())
    distribution.auto_shard_dataset = False  # each process feeds its own shard
    keras.distribution.set_distribution(distribution)
    # The block's special rows start alike on every process by themselves;
    # other layers need a seed (or keras.utils.set_random_seed, the same on all).
    inputs, vectors = twoembed.build_embedding_block(vocab, matrix)
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    head = keras.layers.Dense(
        1, "sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
    )
    model = keras.Model(inputs, head(pooled))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")

    os.makedirs(args.out, exist_ok=True)
    i = args.process_id
    start = model.get_layer("twoembed_special").get_weights()[0]
    np.save(os.path.join(args.out, f"start{i}.npy"), start)
    x, y = shard(vocab, i, args.num_processes)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)  # batch size per process
    for layer in ("pretrained", "special"):
        weights = model.get_layer(f"twoembed_{layer}").get_weights()[0]
        np.save(os.path.join(args.out, f"{layer}{i}.npy"), weights)
    # Every process calls save (it gathers the replicated weights, a
    # collective): saving on process 0 alone hangs. Keep process 0's file.
    model.save(os.path.join(args.out, f"model{i}.keras"))
    jax.distributed.shutdown()
    print("worker done", i)


if __name__ == "__main__":
    main()
