"""Argument checks shared by every module: each names the argument and echoes
what was received."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def check_max_len(max_len: object) -> int | None:
    """Returns `max_len` as an int (or None), refusing non-ints and values < 1."""
    if max_len is None:
        return None
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)):
        raise TypeError(
            f"`max_len` must be an int or None. Received: max_len={max_len!r} "
            f"of type {type(max_len).__name__}"
        )
    if max_len < 1:
        raise ValueError(f"`max_len` must be at least 1. Received: max_len={max_len}")
    return int(max_len)


def check_name(name: object) -> str:
    """Returns `name`, refusing what Keras refuses in a layer name (a
    non-str, an empty str, a `/`), before any layer is built."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str. Received: name={name!r}")
    if not name or "/" in name:
        raise ValueError(
            "`name` must be a non-empty str without '/' (Keras layer names cannot "
            f"hold one). Received: name={name!r}"
        )
    return name


def check_tokens(tokens: Iterable[str], what: str, unique: bool = True) -> list[str]:
    """Returns `tokens` as a new list, refusing non-strings, text that cannot
    be UTF-8, and (if `unique`) duplicates."""
    if isinstance(tokens, (str, bytes)):
        raise TypeError(
            f"`{what}` must be a sequence of strings, not a single string. "
            f"Received: {what}={tokens!r}"
        )
    try:
        tokens = list(tokens)
    except TypeError:
        raise TypeError(
            f"`{what}` must be a sequence of strings. "
            f"Received: {what} of type {type(tokens).__name__}"
        ) from None
    seen: dict[str, int] = {}
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(
                f"Every entry of `{what}` must be a str. Received: "
                f"{what}[{position}]={token!r} of type {type(token).__name__}"
            )
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"`{what}[{position}]`={token!r} cannot be written as UTF-8 (it "
                "holds a lone surrogate); decode your text with errors='replace'."
            ) from None
        if unique and token in seen:
            raise ValueError(
                f"`{what}` holds {token!r} twice, at positions {seen[token]} "
                f"and {position}; every token needs exactly one id."
            )
        seen[token] = position
    return tokens
