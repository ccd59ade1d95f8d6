"""Makes the sample data bundled in twoembed/data/: a review corpus and vectors.

Everything is generated here from a fixed seed, nothing is downloaded:

- `reviews.tsv`: `label<TAB>text`, short movie reviews, already tokenised
  (tokens separated by single spaces). The words carry some sentiment; the
  emoticons `:)` and `:(` carry most of it, and `<url>`, `<user>`, `<num>`
  carry none. Words from `RARE` appear only here, so they are missing from
  the vectors and fall to OOV.
- `vectors.txt`: GloVe text format, 32 dimensions, for the normal words only
  (no emoticons, no placeholders). They come from a separate "pretraining"
  corpus of the same small language, by factorising its positive pointwise
  mutual information (PPMI) matrix with an SVD, so words used alike get
  similar vectors, as with real GloVe.

Run from the repository root: python scripts/make_sample_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 20261129
DIM = 32
OUT = Path(__file__).resolve().parent.parent / "twoembed" / "data"

POSITIVE = (
    "great good wonderful superb brilliant lovely enjoyable fun moving clever".split()
)
NEGATIVE = "bad awful boring dull terrible weak silly tedious bland poor".split()
NEUTRAL = "long short new old loud quiet slow fast strange simple".split()
NOUNS = (
    "movie film plot story actor actress cast ending script music scene "
    "director camera dialogue pacing sequel character soundtrack effects".split()
)
ADVERBS = "very really quite rather truly so fairly".split()
POSITIVE_VERBS = "loved liked enjoyed recommend".split()
NEGATIVE_VERBS = "hated disliked regret".split()
NEUTRAL_VERBS = "watched saw".split()
FUNCTION = "the a this that was is and but it i its with for of".split()
RARE = "zany lacklustre mesmerising schlocky".split()  # not in the vectors
SPECIALS = ["<url>", "<user>", "<num>", ":)", ":("]


def sentence(rng: np.random.Generator, polarity: int, purity: float) -> list[str]:
    """One clause; `purity` is the chance an adjective matches the polarity."""
    own, other = (POSITIVE, NEGATIVE) if polarity > 0 else (NEGATIVE, POSITIVE)
    adjective_pool = own if rng.random() < purity else other
    if rng.random() < 0.2:
        adjective_pool = NEUTRAL
    adjective = str(rng.choice(adjective_pool))
    noun = str(rng.choice(NOUNS))
    shape = rng.integers(6)
    if shape == 4:
        words = ["the", noun, "of", "this", str(rng.choice(NOUNS)), "was", adjective]
    elif shape == 5:
        words = ["it", "is", adjective, "with", "its", noun, "for", "a", noun]
    elif shape == 0:
        words = ["the", noun, "was", adjective]
    elif shape == 1:
        words = ["a", str(rng.choice(ADVERBS)), adjective, noun]
    elif shape == 2:
        verbs = POSITIVE_VERBS if adjective_pool is POSITIVE else NEGATIVE_VERBS
        if adjective_pool is NEUTRAL:
            verbs = NEUTRAL_VERBS
        words = ["i", str(rng.choice(verbs)), str(rng.choice(["this", "that"])), noun]
    else:
        words = ["this", noun, "is", str(rng.choice(ADVERBS)), adjective]
    return words


def review(rng: np.random.Generator, polarity: int, in_corpus: bool) -> list[str]:
    # The pretraining text is more consistent in tone, so that co-occurrence
    # puts words of one sentiment near each other; the reviews are noisier.
    purity, clauses = (0.62, 4) if in_corpus else (1.0, 7)
    tokens: list[str] = []
    for i in range(int(rng.integers(1, clauses))):
        if i:
            tokens.append(str(rng.choice(["and", "but"])))
        tokens += sentence(rng, polarity, purity)
    if not in_corpus:
        return tokens
    if rng.random() < 0.1:
        tokens.insert(int(rng.integers(len(tokens) + 1)), str(rng.choice(RARE)))
    for placeholder, chance in (("<url>", 0.25), ("<user>", 0.2), ("<num>", 0.3)):
        if rng.random() < chance:
            tokens.insert(int(rng.integers(len(tokens) + 1)), placeholder)
    if rng.random() < 0.6:  # the emoticon agrees with the label 95% of the time
        agrees = rng.random() < 0.95
        tokens.append(":)" if (polarity > 0) == agrees else ":(")
    return tokens


def ppmi_svd_vectors(
    sentences: list[list[str]], vocabulary: list[str], window: int = 50
) -> np.ndarray:
    index = {w: i for i, w in enumerate(vocabulary)}
    counts = np.zeros((len(vocabulary), len(vocabulary)))
    for tokens in sentences:
        ids = [index[t] for t in tokens]
        for i, a in enumerate(ids):
            for b in ids[max(0, i - window) : i]:
                counts[a, b] += 1
                counts[b, a] += 1
    row = counts.sum(axis=1, keepdims=True)
    col = counts.sum(axis=0, keepdims=True) ** 0.75  # context smoothing
    expected = row * col / col.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts / expected)
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)
    u, s, _ = np.linalg.svd(ppmi)
    vectors = u[:, :DIM] * np.sqrt(s[:DIM])
    vectors -= vectors.mean(axis=0)  # no shared offset: cosine sees meaning
    return (vectors / np.abs(vectors).max() * 0.8).astype(np.float32)


def main() -> None:
    rng = np.random.default_rng(SEED)
    vocabulary = sorted(
        set(
            POSITIVE
            + NEGATIVE
            + NEUTRAL
            + NOUNS
            + ADVERBS
            + FUNCTION
            + POSITIVE_VERBS
            + NEGATIVE_VERBS
            + NEUTRAL_VERBS
        )
    )
    pretraining = [
        review(rng, int(rng.choice([-1, 1])), in_corpus=False) for _ in range(30_000)
    ]
    # Real vector files list frequent words first.
    frequency = {w: 0 for w in vocabulary}
    for tokens in pretraining:
        for t in tokens:
            frequency[t] += 1
    vocabulary.sort(key=lambda w: (-frequency[w], w))
    vectors = ppmi_svd_vectors(pretraining, vocabulary)

    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "vectors.txt", "w", encoding="utf-8", newline="\n") as f:
        for word, vector in zip(vocabulary, vectors, strict=True):
            f.write(word + " " + " ".join(f"{v:.5g}" for v in vector) + "\n")
    with open(OUT / "reviews.tsv", "w", encoding="utf-8", newline="\n") as f:
        for _ in range(2000):
            polarity = int(rng.choice([-1, 1]))
            text = " ".join(review(rng, polarity, in_corpus=True))
            f.write(f"{int(polarity > 0)}\t{text}\n")
    print(f"wrote {OUT / 'vectors.txt'} ({len(vocabulary)} words x {DIM})")
    print(f"wrote {OUT / 'reviews.tsv'} (2000 reviews)")


if __name__ == "__main__":
    main()
