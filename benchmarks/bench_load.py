"""Benchmark: loading a GloVe-shaped text file, twoembed against the usual ways.

Writes a file like glove.6B.300d.txt (5 significant digits; 400k x 300 is
about 1 GB) into a temp dir or `--path`, warms the page cache, then runs every
loader in its own subprocess and prints seconds, ratios to the bare scan and
to pandas, and the peak memory each load added over its process's baseline;
with `--repeats N`, the fastest of N interleaved rounds.
pandas 3.1 parses a big local file in parallel threads (one per CPU, up to
six); "pandas-1-thread" is the same call with `mode.max_threads` set to 1.
"twoembed-all-numpy" is the whole-file load as a user without the `fast` extra
gets it: pandas cannot be imported, so NumPy parses.

Example:

    python benchmarks/bench_load.py                       # full size, ~1 GB
    python benchmarks/bench_load.py --words 20000 --dim 50 --vocab 2000
    python benchmarks/bench_load.py --baseline /tmp/old  # also time the
        # twoembed in /tmp/old (e.g. `git archive HEAD~1 twoembed | tar -x -C
        # /tmp/old`) on the same file, as "baseline-vocab" and "baseline-all"
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from peak_memory import measure


def word(i: int) -> str:
    """A short distinct token per index: a, b, ..., z, aa, ab, ..."""
    letters = []
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters.append(chr(97 + r))
    return "".join(reversed(letters))


def write_file(path: str, words: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    # A pool of 1M formatted values picked at random keeps writing fast.
    table = [f"{v:.5g}".encode() for v in rng.normal(0, 0.4, 1 << 20)]
    with open(path + ".tmp", "wb") as f:
        for start in range(0, words, 10_000):
            idx = rng.integers(0, len(table), size=(min(10_000, words - start), dim))
            f.write(
                b"".join(
                    word(start + k).encode()
                    + b" "
                    + b" ".join(operator.itemgetter(*row)(table))
                    + b"\n"
                    for k, row in enumerate(idx.tolist())
                )
            )
    os.replace(path + ".tmp", path)


def run_one(name: str, path: str, vocab: list[str], cache: str) -> dict:
    """Runs one loader in this process; returns seconds and memory."""
    if name == "scan":

        def load():
            n = 0
            with open(path, "rb") as f:
                for _ in f:
                    n += 1
            return n

    elif name.startswith("twoembed"):
        if name.endswith("-numpy"):  # as if pandas were not installed
            sys.modules["pandas"] = None  # type: ignore[assignment]
        from twoembed.vectors import load_glove

        words = vocab if "vocab" in name else None
        cache_dir = cache if "cached" in name else None

        def load():
            return load_glove(path, words, cache_dir=cache_dir, verbose=0).matrix.shape

    elif name in ("pandas", "pandas-1-thread"):
        import csv

        import pandas as pd

        if name == "pandas-1-thread":  # pandas >= 3.1 reads a path in parallel
            try:
                pd.set_option("mode.max_threads", 1)
            except (AttributeError, KeyError):  # older pandas: one thread anyway
                pass

        def load():
            return pd.read_csv(
                path,
                sep=" ",
                quoting=csv.QUOTE_NONE,
                header=None,
                na_filter=False,
                engine="c",
            ).shape

    elif name == "keras-example":

        def load():
            index = {}
            with open(path, encoding="utf-8") as f:
                for line in f:
                    token, coefs = line.split(maxsplit=1)
                    index[token] = np.fromstring(coefs, "f", sep=" ")
            return len(index)

    elif name == "gensim":
        from gensim.models import KeyedVectors

        def load():
            kv = KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
            return kv.vectors.shape

    else:
        raise ValueError(f"unknown loader {name!r}")
    shape, seconds, peak = measure(load)
    return {"seconds": seconds, "mib": peak / 2**20, "shape": str(shape)}


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--vocab", type=int, default=20_000)
    parser.add_argument("--path", help="file to write/reuse (default: temp dir)")
    parser.add_argument("--skip", nargs="*", default=[], help="loaders to skip")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="rounds over all loaders; each loader's fastest round is shown",
    )
    parser.add_argument(
        "--baseline", help="a directory holding another twoembed to time too"
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1. Received: {args.repeats}")
    step = max(1, args.words // args.vocab)
    vocab = [word(i) for i in range(0, args.words, step)][: args.vocab]
    if args.run:  # child process: one measurement, printed as JSON
        print(json.dumps(run_one(args.run, args.path, vocab, args.cache)))
        return

    tmp = tempfile.mkdtemp(prefix="twoembed-bench-")
    try:
        report(args, vocab, tmp)
    finally:
        shutil.rmtree(tmp)  # the written file (unless --path) and the caches


def report(args: argparse.Namespace, vocab: list[str], tmp: str) -> None:
    path = args.path or os.path.join(tmp, f"glove.{args.words}.{args.dim}d.txt")
    if not os.path.exists(path):
        print(f"writing {path} ...", flush=True)
        write_file(path, args.words, args.dim)
    size = os.path.getsize(path)
    cache = os.path.join(tmp, "cache")

    def child(name: str) -> dict:
        env = None
        if name.startswith("baseline"):
            # The other twoembed comes first on the child's path.
            env = dict(os.environ, PYTHONPATH=os.path.abspath(args.baseline))
            name = name.replace("baseline", "twoembed")
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--run",
                name,
                "--path",
                path,
                "--cache",
                cache,
                "--words",
                str(args.words),
                "--vocab",
                str(args.vocab),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    child("scan")  # warm the page cache
    child("twoembed-vocab-cached")  # fill the caches the reloads read
    child("twoembed-all-cached")
    loaders = [
        "scan",
        "twoembed-vocab",
        "twoembed-all",
        "twoembed-all-numpy",
        "pandas",
        "pandas-1-thread",
        "keras-example",
        "gensim",
        "twoembed-vocab-cached",
        "twoembed-all-cached",
    ]
    if args.baseline:
        loaders[3:3] = ["baseline-vocab", "baseline-all"]
    need = {"pandas": "pandas", "pandas-1-thread": "pandas", "gensim": "gensim"}
    skipped = [
        n for n in loaders if n in args.skip or (n in need and not available(need[n]))
    ]
    for name in skipped:
        print(f"{name:24s} skipped (not installed or --skip)", flush=True)
    loaders = [n for n in loaders if n not in skipped]
    rounds: dict[str, list[dict]] = {name: [] for name in loaders}
    for _ in range(args.repeats):  # interleaved: every loader once per round
        for name in loaders:
            r = child(name)
            rounds[name].append(r)
            print(f"{name:24s} {r['seconds']:8.3f} s  {r['mib']:8.1f} MiB", flush=True)
    # Each loader's fastest round, with the peak memory of that round.
    results = {name: min(rs, key=lambda r: r["seconds"]) for name, rs in rounds.items()}

    matrix_mib = len(vocab) * args.dim * 4 / 2**20
    scan = results["scan"]["seconds"]
    pandas_s = results.get("pandas", {}).get("seconds")
    print()
    print(
        f"file: {path}, {size / 2**20:,.0f} MiB, {args.words} words x "
        f"{args.dim} dims; vocab {len(vocab)} words; {os.cpu_count()} CPUs"
    )
    print(
        f"{'loader':24s} {'seconds':>8s} {'x scan':>7s} {'x pandas':>8s} "
        f"{'peak MiB':>9s}"
    )
    for name, r in results.items():
        ratio_p = f"{r['seconds'] / pandas_s:8.2f}" if pandas_s else f"{'-':>8s}"
        print(
            f"{name:24s} {r['seconds']:8.3f} {r['seconds'] / scan:7.2f} "
            f"{ratio_p} {r['mib']:9.1f}"
        )
    print()
    if args.baseline:
        print(f"baseline: {os.path.abspath(args.baseline)}")
    print("targets:")
    vocab_r = results["twoembed-vocab"]
    print(f"  20k-word load <= 2.0x scan: {vocab_r['seconds'] / scan:.2f}x")
    if pandas_s:
        ratio = results["twoembed-all"]["seconds"] / pandas_s
        print(f"  whole-file load <= 1.0x pandas: {ratio:.2f}x")
    numpy_r = results.get("twoembed-all-numpy")
    if numpy_r:
        ratio = numpy_r["seconds"] / results["twoembed-all"]["seconds"]
        print(f"  whole-file load without pandas / with it: {ratio:.2f}x")
    one_thread = results.get("pandas-1-thread", {}).get("seconds")
    if one_thread:
        ratio = results["twoembed-all"]["seconds"] / one_thread
        print(f"  whole-file load / pandas in one thread: {ratio:.2f}x")
    print(
        f"  20k-word peak <= matrix {matrix_mib:.1f} + 100 MiB: "
        f"{vocab_r['mib']:.1f} MiB"
    )
    print(
        f"  cached reload <= 0.2 s: vocab "
        f"{results['twoembed-vocab-cached']['seconds']:.3f} s, whole file "
        f"{results['twoembed-all-cached']['seconds']:.3f} s"
    )


if __name__ == "__main__":
    main()
