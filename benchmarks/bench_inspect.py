"""Time and memory of `inspect_rows`' nearest-word search over a big frozen table.

One process builds a glove.840B-sized frozen table (2.2M x 300 float32, as the
block holds it: a Keras variable), then, side by side on the same table:

- `twoembed`: `twoembed.inspect.nearest_rows`, the chunked search inspect_rows
  runs, on the Keras variable;
- `naive`: the whole table read out, normalised and multiplied at once.

Each is timed best of `--repeats` runs; its memory is the peak resident memory
above the resident memory just before it (VmHWM reset through
/proc/self/clear_refs), against one chunk of the search; for twoembed also the
peak of NumPy's own allocations (tracemalloc), which leaves out the allocator's
and BLAS threads' overhead.

    python benchmarks/bench_inspect.py [--rows 2200000] [--dim 300] [--queries 20]

Target (issue 12): 20 rows in <= 2 s on 2 cores, memory <= one chunk.
"""

from __future__ import annotations

import argparse
import tracemalloc

import keras
import numpy as np
from peak_memory import measure

from twoembed.fill import fill_frozen_table
from twoembed.inspect import _SEARCH_CHUNK_ROWS, nearest_rows


def naive(table: keras.Variable, queries: np.ndarray, top: int) -> np.ndarray:
    full = keras.ops.convert_to_numpy(table)
    norms = np.linalg.norm(full, axis=1)
    scores = (full @ queries.T).T / np.maximum(norms, 1e-30)
    return np.argsort(-scores, axis=1)[:, :top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    table = keras.Variable(
        initializer="zeros", shape=(args.rows + 1, args.dim), trainable=False
    )
    matrix = np.empty((args.rows, args.dim), np.float32)
    for start in range(0, args.rows, 100_000):
        part = matrix[start : start + 100_000]
        part[:] = rng.standard_normal(part.shape, dtype=np.float32)
    fill_frozen_table(table, matrix)  # in place, as the block fills it
    del matrix, part
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    # Warm-up over two full chunks: BLAS allocates its per-thread buffers
    # once per process, on the first large product; they are not the search's.
    nearest_rows(table, queries, args.top, first=1, stop=2 * _SEARCH_CHUNK_ROWS)

    chunk = _SEARCH_CHUNK_ROWS * args.dim * 4
    print(
        f"{args.queries} rows against {args.rows:,} x {args.dim} float32 "
        f"({table.shape[0] * args.dim * 4 / 2**30:.2f} GiB), top {args.top}; "
        f"one chunk = {_SEARCH_CHUNK_ROWS} rows = {chunk / 2**20:.1f} MiB; "
        f"best of {args.repeats}"
    )
    (found, _, _), ours_s, ours_mem = measure(
        lambda: nearest_rows(table, queries, args.top, first=1), args.repeats
    )
    expected, naive_s, naive_mem = measure(
        lambda: naive(table, queries, args.top), args.repeats
    )
    tracemalloc.start()  # NumPy reports its allocations to tracemalloc
    nearest_rows(table, queries, args.top, first=1)
    numpy_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    same = np.array_equal(found, expected)  # row 0 is zero: never found by either
    print("| search | time | peak memory above start | x one chunk |")
    print("| --- | --- | --- | --- |")
    for label, seconds, memory in (
        ("twoembed (chunked, on the Keras variable)", ours_s, ours_mem),
        ("naive (whole table at once)", naive_s, naive_mem),
    ):
        print(
            f"| {label} | {seconds:.2f} s | {memory / 2**20:.0f} MiB | "
            f"{memory / chunk:.2f}x |"
        )
    print(
        f"twoembed's NumPy allocations (tracemalloc) peak at "
        f"{numpy_peak / 2**20:.1f} MiB = {numpy_peak / chunk:.2f}x one chunk"
    )
    print(
        f"twoembed / naive: time {ours_s / naive_s:.2f}x, memory "
        f"{ours_mem / max(naive_mem, 1):.3f}x; same neighbours: {same}"
    )


if __name__ == "__main__":
    main()
