"""Which format a vector file is in, from its first bytes (not its name)."""

from __future__ import annotations

import contextlib

from twoembed.vectors import fasttext_bin, word2vec_binary
from twoembed.vectors.sources import kind, open_source

FORMATS = ("auto", "text", "word2vec-binary", "fasttext")
_HEAD = 1 << 16
# Compressions the loader does not decompress: (magic, name, how to undo it).
_UNSUPPORTED = (
    (b"\xfd7zXZ\x00", "xz", "`xz -d FILE`"),
    (b"\x28\xb5\x2f\xfd", "zstd", "`zstd -d FILE`"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "`7z x FILE`"),
    (b"\x04\x22\x4d\x18", "lz4", "`lz4 -d FILE`"),
    (b"LZIP\x01", "lzip", "`lzip -d FILE`"),  # the magic, then version 1
)
# Those it does decompress, when the file's name says so.
_BY_NAME = (
    (b"\x1f\x8b", "gzip", ".gz"),
    (b"BZh", "bzip2", ".bz2"),
    (b"PK\x03\x04", "zip", ".zip"),
)


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
    _refuse_packed(path, label, head)
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


def _refuse_packed(path: str, label: str, head: bytes) -> None:
    """Refuses a tar archive, and a compression the loader does not undo
    (or does, but the file's name does not say so): read as text, their
    bytes fail on some later line, or a tar header glues onto row 1."""
    if _is_tar(head):
        raise ValueError(
            f"{label} is a tar archive: its first bytes are a tar header, not "
            "a row. Extract the vector file from it (`tar xf FILE`) and load "
            "that file."
        )
    found = [(name, how) for magic, name, how in _UNSUPPORTED if head.startswith(magic)]
    if path.lower().endswith(".lzma") and head[:1] == b"\x5d":  # no real magic
        found.append(("lzma", "`xz -d FILE`"))
    if found:
        name, how = found[0]
        raise ValueError(
            f"{label} is {name}-compressed; the loader decompresses only .gz, "
            f".bz2 and .zip files. Decompress it first, e.g. {how}, and load "
            "the result."
        )
    if kind(path) != "text":
        return
    for magic, name, suffix in _BY_NAME:
        if head.startswith(magic) and (name != "bzip2" or head[4:10] == b"1AY&SY"):
            raise ValueError(
                f"{label} is {name}-compressed, but its name does not end in "
                f"{suffix}: the loader picks the decompression from the name. "
                f"Rename it to end in {suffix} (or decompress it first)."
            )


def _is_tar(head: bytes) -> bool:
    """Whether `head` starts with a ustar/GNU tar header: its magic at
    offset 257 and a checksum that adds up."""
    if len(head) < 512 or head[257:262] != b"ustar":
        return False
    field = head[148:156].strip(b" \x00")
    try:
        checksum = int(field, 8)
    except ValueError:
        return False
    return checksum == sum(head[:148]) + 8 * 32 + sum(head[156:512])


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
