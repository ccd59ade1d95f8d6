"""Peak memory of building the block over a GloVe-sized matrix.

Each variant runs in its own subprocess: the process makes the caller's matrix
and word list, resets its peak-RSS counter, builds, and reports the peak above
the baseline taken before the matrix existed, as a multiple of the matrix.

    python benchmarks/bench_build_memory.py [--rows 400000] [--dim 300]
    python benchmarks/bench_build_memory.py --backends tensorflow jax torch

Target (issue 5): twoembed <= 2.3x the matrix, the caller's own copy included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from peak_memory import child_env

VARIANTS = {
    "twoembed": "build_embedding_block, the shipped block",
    "float16": "build_embedding_block(..., frozen_dtype='float16')",
    "constant": "naive: padded copy + Constant initializer",
    "weights": "naive: padded copy + Embedding(weights=...)",
}

BACKENDS = ("tensorflow", "jax", "torch")

CHILD = r"""
import json, os, sys
import numpy as np
import keras
import twoembed
from peak_memory import proc_status, reset_peak

variant, rows, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
specials = [f"<s{j}>" for j in range(8)]
# Warm up TF and Keras so their one-off allocations are not counted.
twoembed.build_embedding_block(["a", "b"], np.ones((2, 3), "float32"), ["<x>"])
base = reset_peak()
matrix = np.random.default_rng(0).standard_normal((rows, dim), dtype=np.float32)
words = [f"w{i}" for i in range(rows)]
if variant == "twoembed":
    twoembed.build_embedding_block(words, matrix, specials)
elif variant == "float16":
    twoembed.build_embedding_block(words, matrix, specials, frozen_dtype="float16")
else:
    vocab = twoembed.Vocabulary(words, specials)
    table = np.zeros((vocab.size, dim), "float32")
    table[1 : rows + 1] = matrix
    ids = keras.Input((None,), dtype="int32")
    if variant == "constant":
        layer = keras.layers.Embedding(
            vocab.size, dim, trainable=False,
            embeddings_initializer=keras.initializers.Constant(table),
        )
    else:
        layer = keras.layers.Embedding(
            vocab.size, dim, trainable=False, weights=[table]
        )
    layer(ids)
peak = proc_status("VmHWM") - base
print(json.dumps({"peak": peak, "matrix": matrix.nbytes}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS,
        default=["tensorflow"],
        help="Keras backends to build the shipped block on (float16 and the naive "
        "variants run on tensorflow)",
    )
    args = parser.parse_args()
    print(f"matrix {args.rows} x {args.dim} float32, 8 special tokens")
    print(f"{'variant':19} {'peak MiB':>9} {'x matrix':>9}  what")
    runs = [("tensorflow", name, what) for name, what in VARIANTS.items()]
    runs[1:1] = [
        (backend, "twoembed", f"{VARIANTS['twoembed']}, on {backend}")
        for backend in args.backends
        if backend != "tensorflow"
    ]
    if "tensorflow" not in args.backends:
        runs = [run for run in runs if run[0] != "tensorflow" or run[1] != "twoembed"]
    for backend, name, what in runs:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, name, str(args.rows), str(args.dim)],
            capture_output=True,
            text=True,
            check=True,
            env=child_env(KERAS_BACKEND=backend),
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        ratio = result["peak"] / result["matrix"]
        label = name if backend == "tensorflow" else f"{name} ({backend})"
        print(f"{label:19} {result['peak'] / 2**20:9.0f} {ratio:9.2f}  {what}")


if __name__ == "__main__":
    main()
