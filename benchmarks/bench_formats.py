"""Benchmark: word2vec binary and fastText .bin loads, twoembed against gensim.

Writes a 400k x 300 word2vec binary file and a fastText .bin of 200k words +
2M buckets x 100 (about 0.9 GB) into a temp dir or `--dir`, warms the page
cache, runs every load in its own subprocess and prints seconds, ratios and
the peak memory each load added over its process's baseline (VmHWM).

Example:

    python benchmarks/bench_formats.py                    # full size, ~1.4 GB
    python benchmarks/bench_formats.py --words 40000 --ft-words 20000 \\
        --buckets 200000                                  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_load import word
from peak_memory import measure


def write_word2vec(path: str, words: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    with open(path + ".tmp", "wb") as f:
        f.write(f"{words} {dim}\n".encode())
        for start in range(0, words, 10_000):
            block = rng.normal(0, 0.4, (min(10_000, words - start), dim))
            f.write(
                b"".join(
                    word(start + k).encode() + b" " + row.tobytes() + b"\n"
                    for k, row in enumerate(block.astype("<f4"))
                )
            )
    os.replace(path + ".tmp", path)


def write_fasttext(path: str, words: int, buckets: int, dim: int) -> None:
    """A skipgram model's layout (see twoembed/vectors/fasttext_bin.py)."""
    rng = np.random.default_rng(0)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<2i", 793712314, 12))
        f.write(
            struct.pack("<12id", dim, 5, 5, 1, 5, 1, 2, 2, buckets, 3, 6, 100, 1e-4)
        )
        f.write(struct.pack("<3iqq", words, words, 0, 10 * words, -1))
        f.write(
            b"".join(
                word(i).encode() + b"\0" + struct.pack("<qb", words - i, 0)
                for i in range(words)
            )
        )
        f.write(b"\0" + struct.pack("<2q", words + buckets, dim))
        for start in range(0, words + buckets, 100_000):
            rows = min(100_000, words + buckets - start)
            f.write(rng.normal(0, 0.1, (rows, dim)).astype("<f4").tobytes())
        f.write(b"\0" + struct.pack("<2q", 1, dim) + bytes(4 * dim))
    os.replace(path + ".tmp", path)


def requested(kind: str, args: argparse.Namespace) -> list[str]:
    if kind == "w2v":
        step = max(1, args.words // args.vocab)
        return [word(i) for i in range(0, args.words, step)][: args.vocab]
    inside = args.vocab - args.outside
    step = max(1, args.ft_words // inside)
    words = [word(i) for i in range(0, args.ft_words, step)][:inside]
    # Outside the dictionary: its words are letters only.
    return words + [word(i) + "9" for i in range(args.outside)]


def run_one(name: str, path: str, words: list[str]) -> dict:
    if name.startswith("twoembed"):
        from twoembed import load_vectors

        wanted = words if "some" in name else None

        def load():
            return load_vectors(path, wanted, verbose=0).matrix.shape

    elif name == "gensim-w2v":
        from gensim.models import KeyedVectors

        def load():
            return KeyedVectors.load_word2vec_format(path, binary=True).vectors.shape

    elif name.startswith("gensim-ft"):
        from gensim.models.fasttext import load_facebook_vectors

        def load():
            kv = load_facebook_vectors(path)
            if "some" in name:
                return np.stack([kv[w] for w in words]).shape
            return kv.vectors.shape

    elif name == "np.load":

        def load():
            return np.load(path).shape

    else:
        raise ValueError(f"unknown load {name!r}")
    shape, seconds, peak = measure(load)
    return {
        "seconds": seconds,
        "mib": peak / 2**20,
        "shape": str(shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=400_000, help="word2vec rows")
    parser.add_argument("--dim", type=int, default=300, help="word2vec dim")
    parser.add_argument("--ft-words", type=int, default=200_000)
    parser.add_argument("--buckets", type=int, default=2_000_000)
    parser.add_argument("--ft-dim", type=int, default=100)
    parser.add_argument("--vocab", type=int, default=20_000)
    parser.add_argument("--outside", type=int, default=1_000)
    parser.add_argument("--dir", help="where to write/reuse the files")
    parser.add_argument("--skip", nargs="*", default=[], help="loads to skip")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # child process: one measurement, printed as JSON
        print(json.dumps(run_one(args.run, args.path, requested(args.kind, args))))
        return
    tmp = args.dir or tempfile.mkdtemp(prefix="twoembed-bench-")
    try:
        report(args, tmp)
    finally:
        if not args.dir:
            shutil.rmtree(tmp)


def report(args: argparse.Namespace, tmp: str) -> None:
    w2v = os.path.join(tmp, f"w2v.{args.words}.{args.dim}d.bin")
    npy = w2v + ".npy"
    ft = os.path.join(tmp, f"ft.{args.ft_words}.{args.buckets}.{args.ft_dim}d.bin")
    if not os.path.exists(w2v):
        print(f"writing {w2v} ...", flush=True)
        write_word2vec(w2v, args.words, args.dim)
    if not os.path.exists(npy):
        from twoembed import load_vectors

        np.save(npy, load_vectors(w2v, verbose=0).matrix)
    if not os.path.exists(ft):
        print(f"writing {ft} ...", flush=True)
        write_fasttext(ft, args.ft_words, args.buckets, args.ft_dim)
    for path in (w2v, npy, ft):  # warm the page cache
        with open(path, "rb") as f:
            while f.read(64 << 20):
                pass

    def child(name: str, path: str, kind: str) -> dict | None:
        if name in args.skip:
            return None
        command = [
            sys.executable,
            __file__,
            "--run",
            name,
            "--path",
            path,
            "--kind",
            kind,
        ]
        for option in ("words", "ft_words", "vocab", "outside"):
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        if out.returncode:
            print(f"{name} failed:\n{out.stderr[-2000:]}")
            return None
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  {name:24s} {result['seconds']:7.2f} s  peak +{result['mib']:7.0f} "
            f"MiB  {result['shape']}",
            flush=True,
        )
        return result

    w2v_matrix = args.words * args.dim * 4 / 2**20
    some_matrix = args.vocab * args.dim * 4 / 2**20
    ft_some = args.vocab * args.ft_dim * 4 / 2**20
    print(
        f"word2vec binary {os.path.getsize(w2v) / 2**20:.0f} MiB "
        f"({args.words} x {args.dim}; matrix {w2v_matrix:.0f} MiB)"
    )
    ours = child("twoembed-all", w2v, "w2v")
    floor = child("np.load", npy, "w2v")
    gensim = child("gensim-w2v", w2v, "w2v")
    some = child("twoembed-some", w2v, "w2v")
    if ours and gensim:
        print(
            f"  whole file: gensim / twoembed = "
            f"{gensim['seconds'] / ours['seconds']:.1f}x (target >= 3x)"
        )
    if ours and floor:
        print(
            f"  whole file: twoembed / np.load = "
            f"{ours['seconds'] / floor['seconds']:.1f}x above the floor"
        )
    if ours and some:
        print(
            f"  {args.vocab} words: {some['seconds'] / ours['seconds']:.2f}x the "
            f"whole-file load (target <= 1), peak = matrix ({some_matrix:.0f} MiB) "
            f"+ {some['mib'] - some_matrix:.0f} MiB (target <= +100)"
        )

    dictionary = sum(len(word(i)) + 10 for i in range(args.ft_words)) / 2**20
    print(
        f"fastText .bin {os.path.getsize(ft) / 2**20:.0f} MiB ({args.ft_words} "
        f"words + {args.buckets} buckets x {args.ft_dim})"
    )
    ft_some_ours = child("twoembed-some-ft", ft, "ft")
    ft_all_ours = child("twoembed-all-ft", ft, "ft")
    ft_some_gensim = child("gensim-ft-some", ft, "ft")
    ft_all_gensim = child("gensim-ft-all", ft, "ft")
    if ft_some_ours and ft_some_gensim:
        print(
            f"  {args.vocab} words ({args.outside} outside the dictionary): gensim "
            f"/ twoembed = {ft_some_gensim['seconds'] / ft_some_ours['seconds']:.1f}x "
            "(target >= 10x)"
        )
    if ft_some_ours:
        print(
            f"  {args.vocab} words: peak = matrix ({ft_some:.0f} MiB) + "
            f"{ft_some_ours['mib'] - ft_some:.0f} MiB (target <= +100 MiB + the "
            f"dictionary, {dictionary:.0f} MiB on disk)"
        )
    if ft_all_ours and ft_all_gensim:
        print(
            f"  whole dictionary: gensim / twoembed = "
            f"{ft_all_gensim['seconds'] / ft_all_ours['seconds']:.1f}x (target >= 3x)"
        )


if __name__ == "__main__":
    main()
