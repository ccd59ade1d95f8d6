"""Which format a vector file is in, from its first bytes (not its name)."""

from __future__ import annotations

import contextlib

from twoembed.vectors import fasttext_bin, word2vec_binary
from twoembed.vectors.sources import kind, open_source

FORMATS = ("auto", "text", "word2vec-binary", "fasttext")
_HEAD = 1 << 16


def detect_format(path: str, member: str | int | None) -> str:
    """`"fasttext"` (its magic number, or a pre-2017 model's arguments),
    `"word2vec-binary"` (a `count dim` line then a binary row) or `"text"`.

    Example:

    >>> detect_format("GoogleNews-vectors-negative300.bin.gz", None)
    ... # doctest: +SKIP
    'word2vec-binary'
    """
    with contextlib.ExitStack() as closing:
        f, label, _ = open_source(path, member, closing)
        head = f.read(_HEAD)
    if fasttext_bin.is_fasttext_bin(head) or (
        path.lower().endswith(".bin") and fasttext_bin.looks_like_old_fasttext(head)
    ):
        if kind(path) != "text":
            raise ValueError(
                f"{label} is a compressed fastText model; it is memory-mapped, "
                "so decompress it first (e.g. `gunzip`)."
            )
        return "fasttext"
    if word2vec_binary.looks_like_word2vec_binary(head):
        return "word2vec-binary"
    return "text"


def check_format(path: str, member: str | int | None, format: str) -> str:
    """The format to read: `format`, or the detected one for `"auto"`.

    A binary file named as text is refused (its rows would be garbage);
    the reverse is refused by the binary readers themselves.
    """
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {FORMATS}. Received: format={format!r}"
        )
    if format not in ("auto", "text"):
        return format
    found = detect_format(path, member)
    if format == "text" and found != "text":
        raise ValueError(
            f"{path} is a {found} file, not a text vector file; expected "
            f"`token v1 ... vN` lines. Pass format='{found}' or 'auto'."
        )
    return found
