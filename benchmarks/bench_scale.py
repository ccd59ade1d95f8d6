"""How the block's costs grow with the table: 100k to 2.2M rows x 300.

For each size, every figure comes from its own fresh process (TensorFlow
backend, warm page cache: each `.npy` is read once before timing):

- build: `build_embedding_block` from the in-memory matrix (self-contained) and
  from the `.npy` path (by reference): time, and peak resident memory (VmHWM,
  which counts mapped file pages) above a baseline taken after the caller's
  matrix exists (by reference: before anything);
- step: train-step time, pooling head, batch 64 x 100, default compile and
  `jit_compile=True` (best of 5 rounds of 20 steps);
- save: `model.save` time and `.keras` size, both modes;
- load: `keras.models.load_model` time and peak above the baseline, both
  modes, beside `np.load` of the table and, at `--stock-sizes`, a stock Keras
  `Embedding(trainable=False)` model of the same size.

    python benchmarks/bench_scale.py                      # the full set
    python benchmarks/bench_scale.py --sizes 100000 400000 --plot ''

Hold /work/bench.lock while it runs (see the helpers' rules). Writes the
figures as JSON (--out) and the plot (--plot, default docs/scale.png).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from peak_memory import child_env

CHILD = r"""
import json, os, sys, time
import numpy as np
import keras
import twoembed
from peak_memory import measure

task, rows, dim, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
npy = os.path.join(work, f"vectors_{rows}x{dim}.npy")
specials = [f"<s{j}>" for j in range(8)]
vocab = twoembed.Vocabulary([f"w{i}" for i in range(rows)], specials)

def head(inputs, vectors):
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))

def model_of(source):
    return head(*twoembed.build_embedding_block(vocab, source))

def stock_model(matrix):
    table = np.zeros((vocab.size, dim), "float32")
    table[1 : rows + 1] = matrix
    inputs = keras.Input((None,), dtype="int32")
    layer = keras.layers.Embedding(vocab.size, dim, trainable=False)
    vectors = layer(inputs)
    layer.set_weights([table])
    return head(inputs, vectors)

# Warm up: one-off allocations of TF, Keras and the saving code are not counted.
tiny = os.path.join(work, f"tiny_{os.getpid()}.keras")
head(*twoembed.build_embedding_block(["a", "b"], np.ones((2, 3), "float32"))).save(tiny)
keras.models.load_model(tiny)
os.remove(tiny)
out = {}
if task in ("build_array", "build_path"):
    source = np.load(npy) if task == "build_array" else npy
    _, out["seconds"], out["peak"] = measure(lambda: model_of(source))
elif task == "np_load":
    start = time.perf_counter()
    np.load(npy)
    out["seconds"] = time.perf_counter() - start
elif task in ("save_self", "save_ref", "save_stock"):
    if task == "save_stock":
        model = stock_model(np.load(npy))
    else:
        model = model_of(np.load(npy) if task == "save_self" else npy)
    path = os.path.join(work, f"{task}_{rows}.keras")
    _, out["seconds"], out["peak"] = measure(lambda: model.save(path))
    out["bytes"] = os.path.getsize(path)
elif task in ("load_self", "load_ref", "load_stock"):
    path = os.path.join(work, f"save_{task[5:]}_{rows}.keras")
    model, out["seconds"], out["peak"] = measure(
        lambda: keras.models.load_model(path)
    )
elif task in ("step_default", "step_xla"):
    model = model_of(npy)
    model.compile("adam", "binary_crossentropy", jit_compile=task == "step_xla")
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab.size, size=(64, 100)).astype("int32")
    y = rng.integers(0, 2, size=(64, 1)).astype("float32")
    for _ in range(5):
        model.train_on_batch(x, y)
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            model.train_on_batch(x, y)
        rounds.append((time.perf_counter() - start) / 20)
    out["seconds"] = min(rounds)
out["table"] = vocab.size * dim * 4
print("RESULT " + json.dumps(out))
"""

TASKS = (
    "np_load",
    "build_array",
    "build_path",
    "step_default",
    "step_xla",
    "save_self",
    "save_ref",
    "load_self",
    "load_ref",
)


def run_child(task: str, rows: int, dim: int, work: str) -> dict:
    env = child_env(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, task, str(rows), str(dim), work],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{task} at {rows} rows failed:\n{result.stderr[-3000:]}")


def make_matrix(rows: int, dim: int, work: str) -> None:
    import numpy as np

    path = os.path.join(work, f"vectors_{rows}x{dim}.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        np.save(path, rng.standard_normal((rows, dim), dtype=np.float32))
    with open(path, "rb") as f:  # into the page cache
        while f.read(1 << 26):
            pass


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def report(figures: dict, stock_sizes: list[int]) -> None:
    mib = 2**20
    sizes = sorted(int(s) for s in figures if set(TASKS) <= set(figures[s]))
    if not sizes:
        print("(no size has every task measured: nothing to report)")
        return
    print("\n| rows | table | np.load | build (array) | build (path) | step | step XLA"
          " | save self | save ref | .keras self | .keras ref | load self | load ref |")
    print("|---" * 13 + "|")
    for rows in sizes:
        f = figures[str(rows)]
        print(
            f"| {rows:,} | {f['np_load']['table'] / mib:.0f} MiB "
            f"| {f['np_load']['seconds']:.2f} s "
            f"| {f['build_array']['seconds']:.2f} s "
            f"| {f['build_path']['seconds']:.2f} s "
            f"| {f['step_default']['seconds'] * 1e3:.2f} ms "
            f"| {f['step_xla']['seconds'] * 1e3:.2f} ms "
            f"| {f['save_self']['seconds']:.2f} s | {f['save_ref']['seconds']:.3f} s "
            f"| {f['save_self']['bytes'] / mib:.0f} MiB "
            f"| {f['save_ref']['bytes'] / 1024:.0f} KiB "
            f"| {f['load_self']['seconds']:.2f} s | {f['load_ref']['seconds']:.2f} s |"
        )
    print("\nPeaks above baseline, x table:")
    print("| rows | build (array) | build (path) | save self | load self | load ref |"
          " stock load |")
    print("|---" * 7 + "|")
    for rows in sizes:
        f = figures[str(rows)]
        t = f["np_load"]["table"]
        stock = f.get("load_stock")
        stock = f"{stock['peak'] / t:.2f}" if stock else "-"
        print(
            f"| {rows:,} | {f['build_array']['peak'] / t:.2f} "
            f"| {f['build_path']['peak'] / t:.2f} | {f['save_self']['peak'] / t:.2f} "
            f"| {f['load_self']['peak'] / t:.2f} | {f['load_ref']['peak'] / t:.2f} "
            f"| {stock} |"
        )
    print("\nTargets:")
    big = figures[str(sizes[-1])]
    small = figures[str(sizes[0])]
    tables = [figures[str(r)]["np_load"]["table"] for r in sizes]
    lines = [
        (f".keras by reference at {sizes[-1]:,} <= 1 MiB",
         big["save_ref"]["bytes"] / mib, 1.0, "MiB"),
        (f"save by reference at {sizes[-1]:,} <= 1 s",
         big["save_ref"]["seconds"], 1.0, "s"),
        (f"load by reference at {sizes[-1]:,} <= 2x (np.load + build)",
         big["load_ref"]["seconds"]
         / (big["np_load"]["seconds"] + big["build_array"]["seconds"]), 2.0, "x"),
        (f"load by reference peak at {sizes[-1]:,} <= 1.2x table",
         big["load_ref"]["peak"] / big["np_load"]["table"], 1.2, "x"),
        (f"step at {sizes[-1]:,} <= 1.2x step at {sizes[0]:,} (default)",
         big["step_default"]["seconds"] / small["step_default"]["seconds"], 1.2, "x"),
        (f"step at {sizes[-1]:,} <= 1.2x step at {sizes[0]:,} (XLA)",
         big["step_xla"]["seconds"] / small["step_xla"]["seconds"], 1.2, "x"),
    ]
    if len(sizes) > 1:
        for key, limit in (("build_path", 1.1), ("load_ref", 1.1),
                           ("build_array", 1.5), ("load_self", 1.5)):
            peaks = [figures[str(r)][key]["peak"] for r in sizes]
            lines.append((f"slope of {key} peak <= {limit}x table",
                          slope(tables, peaks), limit, "x"))
    for rows in stock_sizes:
        f = figures.get(str(rows), {})
        if "load_stock" in f:
            lines.append((f"self-contained load at {rows:,}: >= 2x faster than stock",
                          f["load_stock"]["seconds"] / f["load_self"]["seconds"],
                          -2.0, "x"))
            lines.append((f"self-contained load peak at {rows:,} <= 1.5x table",
                          f["load_self"]["peak"] / f["np_load"]["table"], 1.5, "x"))
    for name, value, limit, unit in lines:
        met = value >= -limit if limit < 0 else value <= limit
        print(f"- {name}: {value:.3g} {unit} -> {'met' if met else 'NOT met'}")


def plot(figures: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(int(s) for s in figures if set(TASKS) <= set(figures[s]))
    rows_m = [r / 1e6 for r in sizes]
    fig, (times, peaks) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (
        ("build_array", "build (array)"),
        ("build_path", "build (.npy path)"),
        ("save_self", "save, self-contained"),
        ("save_ref", "save, by reference"),
        ("load_self", "load, self-contained"),
        ("load_ref", "load, by reference"),
        ("np_load", "np.load of the table"),
    ):
        times.plot(rows_m, [figures[str(r)][key]["seconds"] for r in sizes], "o-",
                   label=label)
    stock = [(r / 1e6, figures[str(r)]["load_stock"]["seconds"])
             for r in sizes if "load_stock" in figures[str(r)]]
    if stock:
        times.plot(*zip(*stock, strict=True), "kx", markersize=9,
                   label="load, stock Keras Embedding")
    times.set(xlabel="rows (millions) x 300", ylabel="seconds",
              title="Time (fresh process each)")
    times.legend(fontsize=7)
    tables = [figures[str(r)]["np_load"]["table"] / 2**30 for r in sizes]
    for key, label in (
        ("build_array", "build (array), above the caller's matrix"),
        ("build_path", "build (.npy path)"),
        ("load_self", "load, self-contained"),
        ("load_ref", "load, by reference"),
    ):
        peaks.plot(tables, [figures[str(r)][key]["peak"] / 2**30 for r in sizes],
                   "o-", label=label)
    peaks.plot(tables, tables, "k:", label="the table itself")
    peaks.set(xlabel="table (GiB)", ylabel="peak above baseline (GiB)",
              title="Peak resident memory")
    peaks.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[100_000, 400_000, 1_000_000, 2_200_000])
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--stock-sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--work", default="/tmp/twoembed-bench-scale")
    parser.add_argument("--out", default="/tmp/twoembed-bench-scale/figures.json")
    parser.add_argument("--plot", default="docs/scale.png")
    parser.add_argument("--report-only", action="store_true",
                        help="re-print and re-plot --out without measuring")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    figures: dict = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            figures = json.load(f)
    if not args.report_only:
        for rows in args.sizes:
            make_matrix(rows, args.dim, args.work)
            tasks = list(args.tasks)
            if rows in args.stock_sizes:
                tasks += ["save_stock", "load_stock"]
            entry = figures.setdefault(str(rows), {})
            for task in tasks:
                started = time.perf_counter()
                entry[task] = run_child(task, rows, args.dim, args.work)
                print(f"{rows:>9,} {task:<13} {json.dumps(entry[task])} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
                with open(args.out, "w") as f:
                    json.dump(figures, f, indent=1)
            for name in os.listdir(args.work):
                if name.endswith(f"_{rows}.keras"):
                    os.remove(os.path.join(args.work, name))
    report(figures, args.stock_sizes)
    if args.plot:
        plot(figures, args.plot)


if __name__ == "__main__":
    main()
