"""Coverage of a corpus by the loaded words: the `LoadReport` of a load."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

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
    if not isinstance(counts, Mapping):
        try:
            checked = dict(collections.Counter(counts))
        except TypeError:  # not iterable, or an entry that is not hashable
            _check_tokens(counts)  # names it, unless an iterator used it up
            raise TypeError(
                "`counts` must map words to corpus counts or be an iterable of "
                "tokens (str); it holds an entry that is not (a token list? for "
                "one list per document, pass itertools.chain.from_iterable(docs))"
            ) from None
        _check_tokens(checked)
        return checked
    checked = dict(counts)
    _check_tokens(checked)
    for word, count in checked.items():
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)):
            raise TypeError(
                "`counts` must map words to int counts. Received: "
                f"counts[{word!r}]={count!r} of type {type(count).__name__}"
            )
        if count < 0:
            raise ValueError(
                "`counts` must map words to counts >= 0. Received: "
                f"counts[{word!r}]={count!r}"
            )
    return checked


def _check_tokens(counts: Any) -> None:
    """Refuses `counts` that is not iterable or holds a token that is not a
    str, such as one token list per document."""
    try:
        tokens = iter(counts)
    except TypeError:
        raise TypeError(
            "`counts` must map words to corpus counts or be an iterable of corpus "
            f"tokens. Received: counts={counts!r:.80} of type {type(counts).__name__}"
        ) from None
    for token in tokens:
        if not isinstance(token, str):
            flat = (
                "; for one token list per document, pass "
                "itertools.chain.from_iterable(docs)"
                if isinstance(token, (list, tuple))
                else ""
            )
            raise TypeError(
                "`counts` must map words (str) to counts or be an iterable of "
                f"tokens (str). Received: an entry {token!r:.80} of type "
                f"{type(token).__name__}{flat}"
            )


def make_report(
    label: str,
    raw: RawVectors,
    requested: list[str] | None,
    corpus: dict[str, int] | None,
    from_cache: bool,
    seconds: float,
    format: str = "text",
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
        format=format,
        from_subwords=tuple(raw.from_subwords),
    )
