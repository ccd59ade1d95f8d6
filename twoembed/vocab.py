"""The id layout shared by the vocabulary and the embedding block.

Ids are laid out so that one subtraction separates frozen rows from trainable
ones:

    0                  padding
    1 .. n             the n normal (pretrained) words, in the order given
    n+1 .. n+k         the k special tokens, in the order given
    n+k+1              OOV, the highest id
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from twoembed._checks import check_max_len, check_tokens
from twoembed._files import PathLike, atomic_write

_FORMAT = "twoembed.Vocabulary"

__all__ = ["OOV", "Vocabulary"]


class _OOVKey:
    """The key of the OOV row in `special_init` and `Vocabulary(starts=)`.

    A sentinel, not a string, so it can never collide with a token.
    """

    _instance: _OOVKey | None = None

    def __new__(cls) -> _OOVKey:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "twoembed.OOV"

    def __reduce__(self) -> str:
        return "OOV"


OOV = _OOVKey()


class Vocabulary:
    """Maps tokens to the id layout the two-embedding block expects.

    Args:
        words: the normal words, in id order; `words[i]` gets id `i + 1` and
            must match row `i` of the pretrained matrix.
        special_tokens: tokens that get trainable vectors (e.g. `"<url>"`),
            in id order after the words. May be empty.
        starts: where trainable rows start, keyed by special token or
            `twoembed.OOV`, with the values `build_embedding_block`'s
            `special_init` takes; that argument wins for a token in both.
            `LoadedVectors.vocabulary(promoted_start=...)` fills it. Not
            written by `save` (the starts reach a model through its weights)
            and not part of equality.

    Example:

    >>> vocab = Vocabulary(["the", "cat"], ["<url>"])
    >>> vocab.id_of("cat"), vocab.id_of("<url>"), vocab.id_of("dog")
    (2, 3, 4)
    >>> vocab.encode([["the", "cat"], ["dog"]]).tolist()
    [[1, 2], [4, 0]]
    """

    pad_id: int = 0

    def __init__(
        self,
        words: Sequence[str],
        special_tokens: Sequence[str] = (),
        *,
        starts: Mapping[Any, Any] | None = None,
    ):
        words = check_tokens(words, "words")
        special_tokens = check_tokens(special_tokens, "special_tokens")
        if not words:
            raise ValueError(
                "`words` is empty: the vocabulary needs at least one normal "
                "word with a pretrained vector. Received: words=[]"
            )
        word_ids = {word: i + 1 for i, word in enumerate(words)}
        for token in special_tokens:
            if token in word_ids:
                raise ValueError(
                    f"Special token {token!r} is also a normal word (id "
                    f"{word_ids[token]}). A token is either pretrained or "
                    "special: drop it from `words` or from `special_tokens`."
                )
        self._words = tuple(words)
        self._special_tokens = tuple(special_tokens)
        n = len(words)
        self._ids = word_ids
        self._ids.update((t, n + 1 + i) for i, t in enumerate(special_tokens))
        self._starts = _check_start_keys(starts, self._special_tokens)

    @property
    def words(self) -> tuple[str, ...]:
        """The normal words, in id order (ids 1..n)."""
        return self._words

    @property
    def special_tokens(self) -> tuple[str, ...]:
        """The special tokens, in id order (ids n+1..n+k)."""
        return self._special_tokens

    @property
    def starts(self) -> dict[Any, Any]:
        """Start of each trainable row given at construction (a copy)."""
        return dict(self._starts)

    @property
    def num_words(self) -> int:
        """n, the number of normal words; also the shift the block applies."""
        return len(self._words)

    @property
    def special_ids(self) -> tuple[int, ...]:
        """The ids of the special tokens, in order."""
        n = self.num_words
        return tuple(range(n + 1, n + 1 + len(self._special_tokens)))

    @property
    def oov_id(self) -> int:
        """The OOV id, n+k+1: the highest id."""
        return self.num_words + len(self._special_tokens) + 1

    @property
    def size(self) -> int:
        """Number of ids, padding and OOV included: `oov_id + 1`."""
        return self.oov_id + 1

    def __len__(self) -> int:
        return self.size

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self._words, self._special_tokens) == (
            other._words,
            other._special_tokens,
        )

    def __hash__(self) -> int:
        return hash((self._words, self._special_tokens))

    def __repr__(self) -> str:
        return (
            f"Vocabulary(num_words={self.num_words}, "
            f"special_tokens={list(self._special_tokens)!r}, oov_id={self.oov_id})"
        )

    def save(self, path: PathLike) -> None:
        """Writes the vocabulary to a small JSON file, for `Vocabulary.load`.

        A training script, `twoembed export` and a serving script that share
        this file agree on every id.
        """
        data = {
            "format": _FORMAT,
            "version": 1,
            "words": list(self._words),
            "special_tokens": list(self._special_tokens),
        }
        with atomic_write(path, "w") as f:
            json.dump(data, f, ensure_ascii=False)

    @classmethod
    def load(cls, path: PathLike) -> Vocabulary:
        """Reads a vocabulary written by `save`.

        Example:

        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "vocab.json"
        >>> Vocabulary(["a"], ["<u>"]).save(path)
        >>> Vocabulary.load(path)
        Vocabulary(num_words=1, special_tokens=['<u>'], oov_id=3)
        """
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No vocabulary file at {os.fspath(path)!r}")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ValueError(
                f"{os.fspath(path)!r} is not a vocabulary JSON file written by "
                f"Vocabulary.save: {error}"
            ) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(
                f"{os.fspath(path)!r} is not a vocabulary file written by "
                f"Vocabulary.save: expected a JSON object with "
                f'"format": "{_FORMAT}"'
            )
        version = data.get("version")
        if version != 1 or isinstance(version, bool):
            raise ValueError(
                f"{os.fspath(path)!r} has vocabulary format version "
                f"{version!r}; this twoembed reads version 1"
            )
        fields = {key: data.get(key, []) for key in ("words", "special_tokens")}
        for key, value in fields.items():
            if not isinstance(value, list):
                raise ValueError(
                    f"{os.fspath(path)!r} is not a vocabulary file written by "
                    f'Vocabulary.save: "{key}" must be a JSON list of strings. '
                    f"Received: {type(value).__name__} {value!r:.80}"
                )
        return cls(fields["words"], fields["special_tokens"])

    def id_of(self, token: str) -> int:
        """Returns the id of `token`; any unknown token gets `oov_id`."""
        found = self._ids.get(token) if isinstance(token, str) else None
        if found is None:
            _check_token(token, "`token` is")
            return self.oov_id
        return found

    def token_of(self, token_id: int) -> str | None:
        """Returns the token with id `token_id`; None for padding and OOV."""
        try:  # an int, a NumPy int, a 0-d int array or tensor
            if isinstance(token_id, bool):
                raise TypeError
            token_id = operator.index(token_id)
        except TypeError:
            raise TypeError(
                "`token_id` must be an int. Received: "
                f"token_id={token_id!r} of type {type(token_id).__name__}"
            ) from None
        n = self.num_words
        if 1 <= token_id <= n:
            return self._words[token_id - 1]
        if n < token_id < self.oov_id:
            return self._special_tokens[token_id - n - 1]
        if token_id in (self.pad_id, self.oov_id):
            return None
        raise ValueError(
            f"`token_id` must be in [0, {self.oov_id}]. Received: token_id={token_id}"
        )

    def encode(
        self, batch: Iterable[Sequence[str]], max_len: int | None = None
    ) -> np.ndarray:
        """Turns a batch of token lists into an int32 id array.

        Args:
            batch: token lists (or 1-D arrays of str), one per example.
            max_len: length of every row; longer lists are cut at the end,
                shorter ones padded with `pad_id` at the end. None uses the
                longest list.

        Returns:
            An int32 array of shape `(len(batch), max_len)`.

        Example:

        >>> Vocabulary(["a", "b"]).encode([["a"], ["b", "a", "x"]], max_len=2)
        array([[1, 0],
               [2, 1]], dtype=int32)
        """
        max_len = check_max_len(max_len)
        if isinstance(batch, (str, bytes)):
            raise TypeError(
                "`batch` must be a list of token lists, not a string. "
                f"Received: batch={batch!r}; did you mean [{batch!r}.split()]?"
            )
        try:
            rows = list(batch)
        except TypeError:
            raise TypeError(
                "`batch` must be a list of token lists. Received: "
                f"batch={batch!r:.80} of type {type(batch).__name__}"
            ) from None
        for i, tokens in enumerate(rows):
            if isinstance(tokens, (str, bytes)) or not isinstance(
                tokens, (Sequence, np.ndarray)
            ):
                raise TypeError(
                    "`batch` must be a list of token lists; entry "
                    f"{i} is {tokens!r} of type {type(tokens).__name__}. "
                    "Wrap a single example as [tokens]."
                )
        if max_len is None:
            max_len = max((len(tokens) for tokens in rows), default=0)
        ids = np.zeros((len(rows), max_len), dtype=np.int32)
        get, oov = self._ids.get, self.oov_id
        try:
            for i, tokens in enumerate(rows):
                row = [get(t, oov) for t in tokens[:max_len]]
                ids[i, : len(row)] = row
        except TypeError:  # an unhashable token: say which
            for t in tokens[:max_len]:
                _check_token(t, f"batch[{i}] holds")
            raise
        # Only a token that is not in the vocabulary can be of the wrong type
        # (every vocabulary token is a str): check each row's first OOV token,
        # which catches rows of bytes or of ids at a cost per row, not token.
        if not ids.size:
            return ids
        unknown = ids == oov
        first = unknown.argmax(axis=1)
        for i in np.flatnonzero(unknown[np.arange(len(rows)), first]).tolist():
            token = rows[i][first[i]]
            if not isinstance(token, str):
                _check_token(token, f"batch[{i}] holds")
        return ids


def _check_token(token: Any, where: str) -> None:
    """Refuses a token that is not a str (bytes, an id, a nested list);
    `where` says where it was, e.g. "batch[3] holds"."""
    if isinstance(token, str):
        return
    if isinstance(token, bytes):
        hint = "; decode it first (TensorFlow's string ops give bytes), e.g. "
        hint += "t.decode('utf-8')"
    elif isinstance(token, (int, np.integer)):
        hint = "; encode takes tokens, not ids"
    else:
        hint = ""
    raise TypeError(
        f"Tokens must be str: {where} {token!r:.80} of type "
        f"{type(token).__name__}{hint}."
    )


def _check_start_keys(
    starts: Mapping[Any, Any] | None, special_tokens: tuple[str, ...]
) -> dict[Any, Any]:
    if starts is None:
        return {}
    if not isinstance(starts, Mapping):
        raise TypeError(
            "`starts` must be a mapping from a special token (or twoembed.OOV) "
            f"to its start. Received: starts of type {type(starts).__name__}"
        )
    allowed = set(special_tokens)
    for key in starts:
        if key is not OOV and not (isinstance(key, str) and key in allowed):
            raise ValueError(
                f"`starts` key {key!r} is neither a special token nor "
                f"twoembed.OOV. Special tokens: {list(special_tokens)[:10]!r}"
            )
    return dict(starts)
