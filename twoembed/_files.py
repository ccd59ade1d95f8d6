"""File helpers shared by every module that writes: the path type and the one
way twoembed replaces a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "wb", **open_args: Any) -> Iterator[IO]:
    """Opens a temporary file beside `path`; on success it replaces `path`.

    The data is flushed and fsynced before the rename, so `path` afterwards
    holds either its previous content or the whole new one, never a
    truncated file, even if the writer is interrupted (an exception, Ctrl-C)
    or the disk fills up. On failure the temporary file is removed.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(target, "w") as f:
    ...     _ = f.write("complete")
    >>> open(target).read()
    'complete'
    """
    target = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(target))
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{name}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
