"""Counting the tokens of a corpus file in bounded pieces (`twoembed coverage`).

The file is read once, so it may be a pipe (`/dev/stdin`, `<(zcat c.gz)`),
in blocks of `PIECE_BYTES`, each cut after its last ASCII whitespace with the
rest carried over. Tokens never hold ASCII whitespace in either style
(`tokenize` splits on it, or never matches it), so the pieces give the very
tokens of the whole text, and memory stays bounded however long its lines
are (text8 is one line of 100 MB).
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterator
from typing import IO

from twoembed.tokenize import tokenize

PIECE_BYTES = 1 << 20
# The longest stretch without ASCII whitespace read (no word is that long):
# past it, a piece could not be cut, so memory would grow with the file.
# Tokenised GloVe-style, a 4 MiB stretch such as "ab.ab.ab..." costs +120 MB.
MAX_RUN = 4 << 20
_BOM = codecs.BOM_UTF8
_SPACES = [chr(i) for i in range(0x3001) if chr(i).isspace()]  # str.isspace's


def count_tokens(
    path: str,
    lowercase: bool = True,
    style: str = "glove",
    piece_bytes: int = PIECE_BYTES,
    max_run: int = MAX_RUN,
) -> Counter[str]:
    """The tokens of the UTF-8 text file at `path`, counted as `tokenize`
    splits them (a leading byte-order mark is not text)."""
    counts: Counter[str] = Counter()
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"No corpus file at {path!r}") from None
    except IsADirectoryError:
        raise ValueError(
            f"The corpus {path!r} is a directory; give a UTF-8 text file."
        ) from None
    with f:
        for text in pieces(f, path, piece_bytes, max_run, style == "glove"):
            # Line by line: `tokenize` picks a faster pattern for each text
            # that holds no URL, `@` or character past ASCII, so one of them
            # must not slow the rest of a piece (tweets: 3x in one run).
            for line in text.split("\n"):
                counts.update(tokenize(line, lowercase=lowercase, style=style))
    return counts


def pieces(
    f: IO[bytes],
    label: str,
    piece_bytes: int = PIECE_BYTES,
    max_run: int = MAX_RUN,
    any_space: bool = False,
) -> Iterator[str]:
    """The text of `f`, in pieces that end after ASCII whitespace (the last
    may not), each at most `piece_bytes` characters plus the stretch
    without whitespace carried over from the piece before. With `any_space`
    (the glove style splits on all of Python's whitespace), a stretch without
    ASCII whitespace may end after other whitespace, such as U+3000.

    Invalid UTF-8 raises a ValueError naming the line and byte offset of the
    bad byte; a stretch of over `max_run` characters without whitespace
    raises one too.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0  # bytes and b"\n"s read before the current block
    carry = ""
    size = max(piece_bytes, len(_BOM))  # the first block holds a whole BOM
    while True:
        block = f.read(size)
        size = piece_bytes
        end = not block
        if offset == 0 and block.startswith(_BOM):
            block, offset = block[len(_BOM) :], len(_BOM)
        pending = len(decoder.getstate()[0])  # bytes of a split character
        try:
            text = decoder.decode(block, final=end)
        except UnicodeDecodeError as error:
            raise _not_utf8(label, error, block, offset - pending, lines) from None
        offset += len(block)
        lines += block.count(b"\n")
        text = carry + text if carry else text
        if end:
            if text:
                yield text
            return
        cut = max(text.rfind(" "), text.rfind("\n"))
        if cut < 0:
            cut = max(text.rfind(c) for c in "\t\r\f\v")
        if cut < 0 and any_space:
            cut = max(text.rfind(c) for c in _SPACES)
        if cut < 0:
            if len(text) > max_run:
                raise ValueError(
                    f"The corpus {label!r}, line {lines + 1}, holds over "
                    f"{max_run:,} characters without whitespace "
                    "(spaces or line breaks); a corpus is text of words, and "
                    "this is not one."
                )
            carry = text
            continue
        yield text[: cut + 1]
        carry = text[cut + 1 :]


def _not_utf8(
    label: str, error: UnicodeDecodeError, block: bytes, start: int, lines: int
) -> ValueError:
    """Where the bad byte is in the file: `error` counts from `start`."""
    at = start + error.start
    before = error.start - (len(error.object) - len(block))  # within `block`
    line = lines + block[: max(0, before)].count(b"\n") + 1
    byte = error.object[error.start]
    return ValueError(
        f"The corpus {label!r} is not UTF-8 text: line {line} (byte offset "
        f"{at}) holds the byte 0x{byte:02x}: {error.reason}. Convert "
        "the file to UTF-8 first (e.g. `iconv -f latin1 -t utf-8`)."
    )
