"""The requested words of a filtered load, as the byte tokens a file may hold.

Every format's reader matches file tokens against `Wanted.slot_of` (a token
of interest -> its row in the reader's table) and then asks `pick` for the
words in the caller's order, so the order, the one-row-per-word rule and the
lowercase fallback are the same for text, binary and in-memory sources.

>>> wanted = Wanted(["Paris", "the", "the", "zyx"], lowercase_fallback=True)
>>> filled = np.zeros(len(wanted.slot_of), bool)
>>> filled[[wanted.slot_of[b"the"], wanted.slot_of[b"paris"]]] = True
>>> wanted.pick(filled)
(['Paris', 'the'], [3, 1], ['Paris'])
>>> wanted.unresolved(filled)
['zyx']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class Wanted:
    """Requested words, each given a slot; a word and its lowercase form may
    share one."""

    def __init__(self, requested: list[str], lowercase_fallback: bool):
        self.requested = list(dict.fromkeys(requested))
        self.lowercase_fallback = lowercase_fallback
        self.slot_of: dict[bytes, int] = {}
        for w in self.requested:
            self.slot_of.setdefault(w.encode("utf-8"), len(self.slot_of))
        if lowercase_fallback:
            for w in self.requested:
                self.slot_of.setdefault(w.lower().encode("utf-8"), len(self.slot_of))

    def _slot(self, word: str, filled: np.ndarray) -> int | None:
        slot = self.slot_of[word.encode("utf-8")]
        if filled[slot]:
            return slot
        if self.lowercase_fallback:
            lower = self.slot_of[word.lower().encode("utf-8")]
            if filled[lower]:
                return lower
        return None

    def unresolved(self, filled: np.ndarray) -> list[str]:
        """Requested words whose slot (and lowercase slot) stayed empty."""
        return [w for w in self.requested if self._slot(w, filled) is None]

    def pick(
        self, filled: np.ndarray, fallback: Mapping[str, int] | None = None
    ) -> tuple[list[str], list[int], list[str]]:
        """Returns (words found, their table rows, words found by lowercase).

        `filled[slot]` says whether the file had the slot's token; `fallback`
        gives rows for words found another way (fastText's subwords), used
        only when neither the word nor its lowercase form was filled.
        """
        words, rows, lowercased = [], [], []
        for w in self.requested:
            slot = self._slot(w, filled)
            if slot is None and fallback is not None:
                slot = fallback.get(w)
            elif slot is not None and slot != self.slot_of[w.encode("utf-8")]:
                lowercased.append(w)
            if slot is not None:
                words.append(w)
                rows.append(slot)
        return words, rows, lowercased


def first_of_each(words: list[str]) -> np.ndarray | None:
    """Row indices keeping the first row of each word, or None if all differ."""
    if len(set(words)) == len(words):
        return None
    first = dict(zip(reversed(words), range(len(words) - 1, -1, -1), strict=True))
    return np.sort(np.fromiter(first.values(), np.int64, len(first)))


def decode_tokens(
    tokens: list[bytes], invalid_utf8: str
) -> tuple[list[str], np.ndarray | None, int]:
    """Decodes tokens; returns (words, rows kept or None for all, invalid count).

    Invalid UTF-8 is replaced with U+FFFD or, with `invalid_utf8="skip"`,
    its row is dropped.
    """
    try:
        return [t.decode("utf-8") for t in tokens], None, 0
    except UnicodeDecodeError:
        pass
    words, keep, invalid = [], [], 0
    for i, t in enumerate(tokens):
        try:
            words.append(t.decode("utf-8"))
        except UnicodeDecodeError:
            invalid += 1
            if invalid_utf8 == "skip":
                continue
            words.append(t.decode("utf-8", "replace"))
        keep.append(i)
    return words, (None if len(keep) == len(tokens) else np.array(keep)), invalid
