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
        f"{problem}; pick one with `member=` (a name, or the dim as an int). "
        f"Members: {names}"
    )


def open_source(
    path: str, member: str | int | None, closing: contextlib.ExitStack
) -> tuple[IO[bytes], str, int | None]:
    """Opens `path` for binary reading; returns (file, label, size or None)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No vector file at {path!r}. Received: path={path!r}")
    lower = path.lower()
    if lower.endswith(".zip"):
        archive = closing.enter_context(zipfile.ZipFile(path))
        name = zip_member(archive, member, path)
        size = archive.getinfo(name).file_size
        return closing.enter_context(archive.open(name)), f"{path}:{name}", size
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


def chunks(f: IO[bytes], progress: Progress, size: int) -> Iterator[Piece]:
    """Yields the file in pieces of whole lines, each ending in b"\\n".

    Only the last piece may lack its b"\\n". The first piece is small: it
    only has to show the header and the field count.
    """
    want = min(size, 1 << 16)
    while True:
        block = f.read(want)
        if not block:
            return
        tail = b"" if block.endswith(b"\n") else f.readline()
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
