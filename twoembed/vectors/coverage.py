"""Coverage of a corpus by the loaded words: the `LoadReport` of a load."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping

from twoembed.vectors.result import LoadReport, RawVectors


def check_counts(
    counts: Mapping[str, int] | Iterable[str] | None,
) -> dict[str, int] | None:
    if counts is None:
        return None
    if isinstance(counts, (str, bytes)):
        raise TypeError(
            "`counts` must map words to corpus counts or be an iterable of "
            f"corpus tokens, not a string. Received: counts={counts!r}"
        )
    if isinstance(counts, Mapping):
        return dict(counts)
    return dict(collections.Counter(counts))


def make_report(
    label: str,
    raw: RawVectors,
    requested: list[str] | None,
    corpus: dict[str, int] | None,
    from_cache: bool,
    seconds: float,
) -> LoadReport:
    found = set(raw.words)
    missing: list[str] = []
    num_requested = None
    if requested is not None:
        unique = list(dict.fromkeys(requested))
        num_requested = len(unique)
        missing = [w for w in unique if w not in found]
    corpus_tokens = coverage = None
    missing_counts: list[tuple[str, int]] = []
    if corpus is not None:
        corpus_tokens = sum(corpus.values())
        covered = sum(c for w, c in corpus.items() if w in found)
        coverage = covered / corpus_tokens if corpus_tokens else 0.0
        # Python's sort is stable: equal counts keep the order asked.
        missing.sort(key=lambda w: -corpus.get(w, 0))
        candidates = (
            missing if requested is not None else [w for w in corpus if w not in found]
        )
        missing_counts = sorted(
            ((w, corpus.get(w, 0)) for w in candidates), key=lambda wc: -wc[1]
        )
    return LoadReport(
        path=label,
        dim=raw.dim,
        header=raw.header,
        lines_read=raw.lines_read,
        num_requested=num_requested,
        num_found=len(raw.words),
        missing=tuple(missing),
        lowercased=tuple(raw.lowercased),
        duplicates=raw.duplicates,
        invalid_utf8=raw.invalid_utf8,
        skipped_rows=tuple(raw.skipped_rows),
        corpus_tokens=corpus_tokens,
        token_coverage=coverage,
        missing_counts=tuple(missing_counts),
        from_cache=from_cache,
        seconds=seconds,
    )
