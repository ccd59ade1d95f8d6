"""Tokenisation: coverage of each style, and speed in Python and in the graph.

Text (nothing downloaded, nothing shipped):
- "docs": real English prose, the help texts of Python's own documentation
  (`pydoc_data.topics`, part of the standard library), one line per entry.
- "posts": generated social-media-like English (`posts()` below, fixed
  seed): quotes, clitics, commas, numbers such as 3.5 and 1,000, hyphenated
  words, URLs, @mentions and emoticons.

Coverage: GloVe's vocabulary was made by the Stanford tokeniser, so the
stand-in vector vocabulary is every GloVe-style token of the first half of
each text (kept emoticons included); coverage is measured on the second half,
tokenised each way. With `--vectors FILE` a real vector file (e.g.
glove.6B.50d.txt) is used instead.

Speed: best of `--rounds` over the whole text, side by side in one process:
`tokenize` per line (both styles), `str.split` and `Vocabulary.encode` of the
same tokens; then the graph encoders against `TextVectorization` with its
default standardisation on the same batch, for a batch of docs lines and one of
posts, rounds interleaved. Beside them, two floors: the whitespace encoder on the
same GloVe-style tokens already split (what any design pays after the rewrite),
and TextVectorization's rewrite alone; and, when tensorflow-text is installed
(it is not a dependency), its compiled `regex_split` on the token pattern.
Hold /work/bench.lock.

    python benchmarks/bench_tokenize.py [--baseline DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter

import numpy as np

KEEP = [":)", ":(", ":-)", ";)", "<3", ":d"]
NAMES = "anna ben carla dev emma farid".split()
NOUNS = (
    "movie phone game band show update team coffee city week plan book trip "
    "price deal song race vote story"
).split()
ADJECTIVES = "great awful long-awaited so-called brilliant late cheap new".split()
OPENERS = [
    "it's", "i'm", "we're", "they've", "you'll", "she'd", "don't", "can't",
    "isn't", "that's", "there's", "i've",
]


def posts(n: int, seed: int = 0) -> list[str]:
    """`n` short English posts shaped like tweets or comments."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 3)):
            words = [rng.choice(OPENERS).capitalize(), rng.choice(["a", "the"]),
                     rng.choice(ADJECTIVES), rng.choice(NOUNS)]
            if rng.random() < 0.3:
                words += ["for", rng.choice(["$3.5", "1,000", "42", "2.99", "10"])]
            if rng.random() < 0.3:
                words += ["with", f"{rng.choice(NAMES).capitalize()}'s",
                          rng.choice(NOUNS)]
            sentence = " ".join(words) + rng.choice([".", "!", "?", "...", ","])
            if rng.random() < 0.2:
                sentence = f'"{sentence}"'
            parts.append(sentence)
        if rng.random() < 0.3:
            parts.insert(0, f"@{rng.choice(NAMES)}")
        if rng.random() < 0.25:
            parts.append(f"https://t.co/{rng.randrange(16**6):06x}")
        if rng.random() < 0.4:
            parts.append(rng.choice(KEEP[:5]))
        lines.append(" ".join(parts))
    return lines


def docs() -> list[str]:
    import pydoc_data.topics

    text = "\n".join(pydoc_data.topics.topics.values())
    return [line.strip() for line in text.splitlines() if line.strip()]


_STRIP = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def splits(keep):
    import twoembed

    return {
        "whitespace (twoembed 0.1)": lambda t: twoembed.tokenize(t, style="whitespace"),
        "TextVectorization default (strip punctuation)": lambda t: _STRIP.sub(
            "", t.lower()
        ).split(),
        "glove": lambda t: twoembed.tokenize(t, keep=keep),
    }


def coverage(vectors: str | None) -> None:
    import twoembed

    print("== Token coverage")
    print("| text | tokenisation | tokens | token coverage |")
    print("|---|---|---|---|")
    for name, lines in (("docs", docs()), ("posts", posts(4000))):
        half = len(lines) // 2
        if vectors:
            words = None
        else:
            words = {t for line in lines[:half] for t in twoembed.tokenize(
                line, keep=KEEP)}
        for style, split in splits(KEEP).items():
            counts = Counter(t for line in lines[half:] for t in split(line))
            if vectors:
                found = set(twoembed.load_glove(vectors, list(counts), verbose=0).words)
            else:
                found = words
            total = sum(counts.values())
            hit = sum(c for w, c in counts.items() if w in found)
            print(f"| {name} | {style} | {total} | {hit / total:.2%} |")


def interleaved(runs: dict, rounds: int) -> dict[str, float]:
    """The best time of each of `runs` (name -> function) over `rounds`
    rounds, each of which times every run once, in turn."""
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def baseline_tokenize(directory: str):
    """`tokenize` of an older twoembed unpacked in `directory` (it needs only
    the standard library), e.g. `git archive REV twoembed | tar -x -C DIR`."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(directory) / "twoembed" / "tokenize.py"
    spec = importlib.util.spec_from_file_location("baseline_tokenize", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.tokenize


def speed(rounds: int, batch: int, baseline: str | None = None) -> None:
    import keras
    import tensorflow as tf

    import twoembed

    lines = docs() + posts(8000)
    tokens = [twoembed.tokenize(line, keep=KEEP) for line in lines]
    n = sum(map(len, tokens))
    vocab = twoembed.Vocabulary(sorted({t for ts in tokens for t in ts} - set(KEEP)),
                                KEEP)
    print(f"\n== Python: {len(lines)} lines, {n} GloVe-style tokens, best of {rounds}")
    runs = {
        "tokenize(style='glove', keep=...)": lambda: [
            twoembed.tokenize(line, keep=KEEP) for line in lines
        ],
        "tokenize(style='glove')": lambda: [twoembed.tokenize(line) for line in lines],
        "tokenize(style='whitespace')": lambda: [
            twoembed.tokenize(line, style="whitespace") for line in lines
        ],
        "str.split": lambda: [line.split() for line in lines],
        "Vocabulary.encode (same tokens)": lambda: vocab.encode(tokens),
    }
    if baseline:
        old = baseline_tokenize(baseline)
        assert [old(line, keep=KEEP) for line in lines] == tokens
        runs["baseline tokenize(style='glove', keep=...)"] = lambda: [
            old(line, keep=KEEP) for line in lines
        ]
        runs["baseline tokenize(style='glove')"] = lambda: [old(line) for line in lines]
    seconds = interleaved(runs, rounds)
    encode = seconds["Vocabulary.encode (same tokens)"]
    print("| run | M tokens/s | time / Vocabulary.encode |")
    print("|---|---|---|")
    for name, s in seconds.items():
        print(f"| {name} | {n / s / 1e6:.2f} | {s / encode:.2f}x |")

    glove = twoembed.build_text_encoder(vocab, max_len=64, keep=KEEP)
    spaces = twoembed.build_text_encoder(vocab, max_len=64, style="whitespace")
    default = keras.layers.TextVectorization(
        output_sequence_length=64, vocabulary=[*vocab.words, *vocab.special_tokens]
    )
    graph = {
        "build_text_encoder(style='glove')": tf.function(glove),
        "glove, one RE2 match per token (previous rewrites)": tf.function(
            one_match_per_token(vocab)
        ),
        "build_text_encoder(style='whitespace')": tf.function(spaces),
        "TextVectorization(default standardize)": tf.function(default),
    }
    # Floors: what no rewrite design can avoid, and TextVectorization's own rewrite.
    floors = {
        FLOOR_AFTER: tf.function(spaces),
        "TextVectorization's rewrite alone (lower, strip punctuation)": tf.function(
            lambda t: tf.strings.regex_replace(tf.strings.lower(t), _STRIP.pattern, "")
        ),
    }
    regex_split = tensorflow_text_split()
    if regex_split is not None:
        floors[TF_TEXT] = tf.function(regex_split)
    batches = {"docs": lines[:batch], "posts": posts(batch, seed=1)}
    for label, batch_texts in batches.items():
        texts = tf.constant(np.array(batch_texts, dtype=object))
        # The same GloVe-style tokens, already split: the floor's input.
        split = tf.constant(np.array(
            [" ".join(twoembed.tokenize(t, keep=KEEP)) for t in batch_texts],
            dtype=object,
        ))
        ids = [fn(texts).numpy() for fn in graph.values()]
        assert (ids[0] == ids[1]).all(), "the two glove encoders disagree"
        assert (floors[FLOOR_AFTER](split).numpy() == ids[0]).all()
        runs = {
            name: (fn, split if name == FLOOR_AFTER else texts)
            for name, fn in {**graph, **floors}.items()
        }
        calls = {name: lambda f=f, x=x: f(x) for name, (f, x) in runs.items()}
        seconds = interleaved(calls, rounds)
        base = seconds["TextVectorization(default standardize)"]
        size = texts.shape[0]
        print(f"\n== Graph: a batch of {size} {label} lines, best of {rounds}")
        print("| run | ms per batch | / TextVectorization default |")
        print("|---|---|---|")
        for name, s in seconds.items():
            print(f"| {name} | {s * 1e3:.1f} | {s / base:.2f}x |")


FLOOR_AFTER = "after tokenisation: the same tokens pre-split, whitespace encoder"
TF_TEXT = "tensorflow_text.regex_split, token pattern only (no clitics, no lookup)"


def tensorflow_text_split():
    """TensorFlow Text's compiled regex splitter on the GloVe token pattern, or
    None when tensorflow-text is not installed (it is not a dependency)."""
    try:
        import tensorflow_text
    except ImportError:
        return None
    import tensorflow as tf

    from twoembed.patterns import glove_patterns

    tokens = glove_patterns(tuple(KEEP), "re2").tokens

    def split(texts):
        lower = tf.strings.lower(texts)
        return tensorflow_text.regex_split(lower, f"\\s+|{tokens}", tokens)

    return split


def one_match_per_token(vocab):
    """The glove encoder as it was: a match per token, clitics by submatch."""
    import keras

    from twoembed.patterns import _OTHER_SPACE, glove_patterns
    from twoembed.text import TextStandardizer, remap_lookup_ids

    keep = tuple(dict.fromkeys([*KEEP, *vocab.special_tokens]))
    patterns = glove_patterns(keep, "re2")
    rewrites = [
        [patterns.tokens, " \\0 "],
        [_OTHER_SPACE, " "],
        [patterns.clitics, " \\1\\2 \\3 "],  # groups: kept token, word, clitic
    ]
    inputs = keras.Input(shape=(), dtype="string")
    lookup = keras.layers.TextVectorization(
        standardize=TextStandardizer(True, rewrites),
        output_sequence_length=64,
        vocabulary=[*vocab.words, *vocab.special_tokens],
    )(inputs)
    ids = keras.layers.Lambda(remap_lookup_ids, arguments={"oov_id": vocab.oov_id})(
        lookup
    )
    return keras.Model(inputs, ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--vectors", help="a real vector file for the coverage")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--baseline", help="a directory holding an older twoembed/ to time beside"
    )
    args = parser.parse_args()
    coverage(args.vectors)
    if not args.skip_speed:
        speed(args.rounds, args.batch, args.baseline)


if __name__ == "__main__":
    main()
