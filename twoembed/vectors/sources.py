"""Where sources are opened and decompressed, and cut into blocks of whole lines."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import os
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Protocol

from twoembed.vectors.limits import (
    MAX_LINE_BYTES,
    QUOTED_BYTES,
    list_names,
    quote,
    size_text,
)


class Progress(Protocol):
    def update(self, nbytes: int) -> None: ...


def zip_member(archive: zipfile.ZipFile, member: str | int | None, path: str) -> str:
    names = [n for n in archive.namelist() if not n.endswith("/")]
    if isinstance(member, str):
        chosen = [n for n in names if n == member or os.path.basename(n) == member]
    elif isinstance(member, int):
        pattern = re.compile(rf"(?<![0-9]){member}d(?![0-9A-Za-z])")
        chosen = [n for n in names if pattern.search(os.path.basename(n))]
    else:
        chosen = names
    if len(chosen) == 1:
        return chosen[0]
    if member is None:
        problem = f"{path} holds {len(names)} files"
    else:
        problem = f"member={member!r} matches {len(chosen)} of the files in {path}"
    raise ValueError(
        f"{problem}; pick one with `member=` (a name, or the dim as an int; "
        f"`--member` on the command line). Members: {list_names(names)}"
    )


# Names of zip methods that Python's zipfile does not know by name.
_ZIP_METHODS = {**zipfile.compressor_names, 93: "zstd", 95: "xz", 99: "AES"}


def _open_member(archive: zipfile.ZipFile, name: str, path: str) -> IO[bytes]:
    """Opens a zip member, or says why zipfile cannot: encryption, or a
    compression method it does not implement (Deflate64, zstd, ...)."""
    info = archive.getinfo(name)
    where = f"{path}: its member {name!r}"
    if info.flag_bits & 0x1:
        raise ValueError(
            f"{where} is encrypted (password-protected), which twoembed does "
            "not read. Unzip it (with its password) and load the file itself."
        )
    try:
        return archive.open(name)
    except (NotImplementedError, RuntimeError) as error:
        method = info.compress_type
        if _ZIP_METHODS.get(method, "deflate") in ("store", "deflate"):
            problem = f"cannot be read by Python's zipfile ({error})"
        else:
            problem = (
                f"uses the compression method {_ZIP_METHODS[method]} ({method}), "
                "which Python's zipfile cannot read"
            )
        raise ValueError(
            f"{where} {problem}. Re-zip it with deflate (`zip -Z deflate`), or "
            "unzip it and load the file itself."
        ) from None


def open_source(
    path: str, member: str | int | None, closing: contextlib.ExitStack
) -> tuple[IO[bytes], str, int | None]:
    """Opens `path` for binary reading; returns (file, label, size or None)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No vector file at {path!r}. Received: path={path!r}")
    lower = path.lower()
    if lower.endswith(".zip"):
        try:
            archive = closing.enter_context(zipfile.ZipFile(path))
        except NotImplementedError as error:  # e.g. "zip file version 17.3"
            raise ValueError(
                f"{path} is a zip that Python's zipfile cannot read ({error}). "
                "Unzip it and load the file itself."
            ) from None
        name = zip_member(archive, member, path)
        size = archive.getinfo(name).file_size
        f = closing.enter_context(_open_member(archive, name, path))
        return f, f"{path}:{name}", size
    if lower.endswith(".gz"):
        return closing.enter_context(gzip.open(path, "rb")), path, None
    if lower.endswith(".bz2"):
        return closing.enter_context(bz2.open(path, "rb")), path, None
    return closing.enter_context(open(path, "rb")), path, os.path.getsize(path)


def kind(path: str) -> str:
    """'gzip', 'bz2', 'zip' or 'text', from the file name."""
    lower = path.lower()
    for suffix, name in ((".gz", "gzip"), (".bz2", "bz2"), (".zip", "zip")):
        if lower.endswith(suffix):
            return name
    return "text"


# A block of `size` bytes and the rest of its last line: whole lines, kept
# apart because joining them would copy the block.
Piece = tuple[bytes, bytes]


class LineTooLong(Exception):
    """Raised by `chunks` at a line over its cap, once the lines before it
    have been yielded: the reader, which counts lines, words the error."""

    def __init__(self, start: bytes, max_line: int):
        super().__init__(start, max_line)
        self.start, self.max_line = start, max_line

    def error(self, label: str, lineno: int) -> ValueError:
        """The ValueError to raise, naming the file and the line."""
        message = (
            f"{label}, line {lineno}: the line is longer than the "
            f"{size_text(self.max_line)} limit; it starts {quote(self.start)}."
        )
        if b"\r" in self.start:
            message += (
                " Its lines seem to end with '\\r' alone (old Mac line ends): "
                "convert them to '\\n'."
            )
        else:
            message += " This is not a vector file, or it is corrupt."
        return ValueError(message)


def chunks(
    f: IO[bytes], progress: Progress, size: int, max_line: int = MAX_LINE_BYTES
) -> Iterator[Piece]:
    """Yields the file in pieces of whole lines, each ending in b"\\n".

    Only the last piece may lack its b"\\n". The first piece is small: it
    only has to show the header and the field count. A line longer than
    `max_line` bytes raises `LineTooLong` once the lines before it are
    yielded; no more than `max_line` bytes of it are read (with `size`
    under `max_line`, every longer line runs past its block).
    """
    want = min(size, 1 << 16)
    while True:
        block = f.read(want)
        if not block:
            return
        tail = b""
        if not block.endswith(b"\n"):
            begins = block.rfind(b"\n") + 1
            room = max_line - (len(block) - begins)
            tail = f.readline(room + 1) if room >= 0 else b""
            if room < 0 or (len(tail) > room and not tail.endswith(b"\n")):
                progress.update(len(block) + len(tail))
                if begins:
                    yield block[:begins], b""
                start = block[begins : begins + QUOTED_BYTES] + tail[:QUOTED_BYTES]
                raise LineTooLong(start[:QUOTED_BYTES], max_line)
        progress.update(len(block) + len(tail))
        yield block, tail
        want = size


def lines(piece: Piece) -> list[bytes]:
    """The lines of a `chunks` piece, without their b"\\n"."""
    lines = (piece[0] + piece[1]).split(b"\n")
    if not lines[-1]:
        lines.pop()
    return lines


def chain(first: list[bytes], rest: Iterator[Piece]) -> Iterator[list[bytes] | Piece]:
    """The lines read to find the header, then the pieces after them."""
    if first:
        yield first
    yield from rest
