"""File helpers shared by every module that writes: the path type and the one
way twoembed replaces a file.

Every file twoembed writes (vocabulary, export, cache entries, the demo's
model and plots) is first written to a temporary file beside its target,
named `.<name>.<pid>-<random>.tmp` (plus the target's suffix when a library
picks the format from it), fsynced, then renamed over the target: the target
holds its previous content or the whole new one, never a truncated file. A
writer killed outright (`kill -9`, a power cut) leaves its temporary file
behind; `remove_stale_temporaries` deletes those, and every atomic write of
a target deletes the stale ones of that target.

What `open(path, "w")` would do, the replacement does too: a new file gets
mode 0o666 less the umask; a replaced file keeps its permission bits (and
its owner and group where this process may set them); a link is followed,
so the file it points at is replaced and the link stays; a file the user
may not write is refused with PermissionError. A path that is not a str or
PathLike, is empty, names a directory or a missing directory is refused
before anything is written, naming the path as given.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import string
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, Union

PathLike = Union[str, "os.PathLike[str]"]

# A temporary file unmodified this long is stale whoever wrote it; one whose
# writer is no longer running is stale after a short grace (the directory
# may be shared with another host, where the pid means nothing).
STALE_AFTER = 3600.0
STALE_AFTER_WRITER_GONE = 60.0
# The target's name is cut in the temporary name, so that a target with a
# long (but legal) name still gets a temporary name under NAME_MAX.
_NAME_KEPT = 120
_RANDOM = string.ascii_letters + string.digits + "_"
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)-[A-Za-z0-9_]+\.tmp(\.\w+)?")


def checked_path(path: PathLike) -> str:
    """`path` as a str, or a TypeError/ValueError naming it: a str or
    `os.PathLike` of str, not empty, no null byte."""
    target = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(target, str):
        raise TypeError(
            "`path` must be a str or an os.PathLike of str naming the file to "
            f"write. Received: path={path!r} of type {type(path).__name__}"
        )
    if not target:
        raise ValueError("`path` is empty: name the file to write. Received: path=''")
    if "\0" in target:
        raise ValueError(
            "`path` holds a null byte, which no file name can. "
            f"Received: path={target!r}"
        )
    return target


def _os_error(kind: type[OSError], code: int, message: str) -> OSError:
    """An OSError of `kind` whose text is `message` and whose errno is `code`."""
    error = kind(message)
    error.errno = code
    return error


def _reworded(error: OSError, message: str) -> OSError:
    """`error`'s kind and errno, with `message` (which names the user's path)."""
    return _os_error(type(error), error.errno or 0, message)


class _Target(NamedTuple):
    """A file about to be replaced: the path the user gave, the file it
    names (links followed), that file's directory and name, and its stat
    (None when it does not exist yet)."""

    given: str
    real: str
    directory: str
    name: str
    existing: os.stat_result | None


def _writable(path: str) -> bool:
    """Whether this process may open `path` for writing (effective ids, as
    `open` uses, where the platform can tell)."""
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


def _split(path: PathLike) -> _Target:
    """`path` proven a file that can be written, as `open(path, "w")` would
    find it: errors name `path`, never a temporary. A link is followed, so
    that the file it points at is the one replaced and the link stays."""
    target = checked_path(path)
    if target.endswith((os.sep, os.altsep or os.sep)):
        raise _os_error(
            IsADirectoryError,
            errno.EISDIR,
            f"{target!r} names a directory (it ends with {target[-1]!r}), not a "
            "file to write",
        )
    real = os.path.realpath(target)
    directory, name = os.path.split(real)
    link = f" (a link to {real!r})" if os.path.islink(target) else ""
    try:
        found = os.stat(directory)
    except FileNotFoundError:
        raise _os_error(
            FileNotFoundError,
            errno.ENOENT,
            f"No directory {directory!r} to write {target!r}{link} in",
        ) from None
    except OSError as error:
        raise _reworded(
            error,
            f"Cannot write {target!r}{link}: {error.strerror or error} "
            f"(its directory {directory!r})",
        ) from None
    if not stat.S_ISDIR(found.st_mode):
        raise _os_error(
            NotADirectoryError,
            errno.ENOTDIR,
            f"{directory!r} is not a directory, so {target!r}{link} cannot be written",
        )
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    except OSError as error:  # a loop of links, say
        raise _reworded(
            error,
            f"Cannot write {target!r}{link}: {error.strerror or error}",
        ) from None
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise _os_error(
                IsADirectoryError,
                errno.EISDIR,
                f"{target!r}{link} is a directory, not a file to write",
            )
        if not stat.S_ISREG(existing.st_mode):
            raise ValueError(
                f"{target!r}{link} is not a regular file (a device, pipe or "
                "socket): twoembed writes a new file and renames it over the "
                "old one, which would replace it. Write to a regular file."
            )
        if not _writable(real):
            raise _os_error(
                PermissionError,
                errno.EACCES,
                f"Cannot write {target!r}{link}: it is read-only to you "
                "(open(path, 'w') would fail too)",
            )
    return _Target(target, real, directory, name, existing)


def check_target(path: PathLike) -> str:
    """`path` as a str, once proven a file `atomic_write` can write; else the
    error it would raise. For callers that check before long work."""
    return _split(path).given


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether paths `a` and `b` name one file (links and `..` resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): compare the resolved paths
        return os.path.realpath(a) == os.path.realpath(b)


def _temporary(
    directory: str, name: str, suffix: str = "", mode: int = 0o600
) -> tuple[int, str]:
    """Creates the temporary file of target `name`; returns (fd, path).

    Like `tempfile.mkstemp`, but the file is created with `mode`, from which
    the system takes the umask (and a directory's default ACL) as `open`
    does: no reading of the process-wide umask, which threads share.
    """
    remove_stale_temporaries(directory, name)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        random = "".join(secrets.choice(_RANDOM) for _ in range(8))
        temporary = os.path.join(
            directory, f".{name[:_NAME_KEPT]}.{os.getpid()}-{random}.tmp{suffix}"
        )
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue
    raise _os_error(
        FileExistsError, errno.EEXIST, f"No free temporary name in {directory!r}"
    )


def _take_over(temporary: str, existing: os.stat_result) -> None:
    """Gives `temporary` the permission bits of the file it will replace, and
    its owner and group as far as this process may change them (a failure
    there is ignored: the file stays this user's). Set-user-ID and
    set-group-ID bits are dropped, as writing to the file drops them."""
    if hasattr(os, "chown"):
        for owner in (existing.st_uid, -1):
            try:
                os.chown(temporary, owner, existing.st_gid)
                break
            except OSError:
                continue
    os.chmod(temporary, stat.S_IMODE(existing.st_mode) & ~(stat.S_ISUID | stat.S_ISGID))


def _sync_directory(directory: str) -> None:
    """Makes the rename itself durable (POSIX; a no-op where unsupported)."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def _replaced_when_done(path: PathLike, suffix: str = "") -> Iterator[tuple[int, str]]:
    """Yields a new temporary file beside `path` (fd, path); renames it over
    `path` when the block ends, removes it when the block raises."""
    target = _split(path)
    # A new file gets 0o666 less the umask, as with open(); a replaced one
    # gets the old one's mode (and owner) before the rename.
    mode = 0o666 if target.existing is None else 0o600
    try:
        descriptor, temporary = _temporary(target.directory, target.name, suffix, mode)
    except OSError as error:
        raise _reworded(
            error,
            f"Cannot write {target.given!r}"
            + (f" (a link to {target.real!r})" if os.path.islink(target.given) else "")
            + f": the new file is made in {target.directory!r} and renamed over "
            f"the old one, and it cannot be: {error.strerror or error}",
        ) from None
    try:
        yield descriptor, temporary
        try:
            if target.existing is not None:
                _take_over(temporary, target.existing)
            os.replace(temporary, target.real)
        except OSError as error:
            raise _reworded(
                error,
                f"Cannot write {target.given!r}: {error.strerror or error}",
            ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_directory(target.directory)


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
    with _replaced_when_done(path) as (descriptor, _):
        with os.fdopen(descriptor, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def atomic_save(path: PathLike, save: Callable[[str], object]) -> None:
    """Calls `save(temporary_path)`, then renames that file over `path`.

    For writers that take a path rather than a file, such as Keras'
    `model.save` and matplotlib's `savefig`: the temporary path ends with
    `path`'s suffix (`.keras`, `.png`), which those writers read the format
    from. `path` holds its previous content or the whole new one, as with
    `atomic_write`.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> atomic_save(target, lambda p: open(p, "w").write("complete"))
    >>> open(target).read()
    'complete'
    """
    suffix = os.path.splitext(checked_path(path))[1]
    with _replaced_when_done(path, suffix) as (descriptor, temporary):
        os.close(descriptor)
        save(temporary)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())


def _writer_gone(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's, say)
        return False
    return False


def remove_stale_temporaries(directory: str, name: str | None = None) -> list[str]:
    """Deletes temporary files left in `directory` by killed writers.

    Stale: unmodified for `STALE_AFTER` seconds, or for
    `STALE_AFTER_WRITER_GONE` seconds when the process that wrote it is no
    longer running. `name` limits this to the temporaries of that target.
    Returns the paths removed; a file that cannot be removed is left.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    kept = None if name is None else name[:_NAME_KEPT]
    now = time.time()
    removed = []
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or (kept is not None and match["name"] != kept):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age < STALE_AFTER_WRITER_GONE:
                continue
            if age < STALE_AFTER and not _writer_gone(int(match["pid"])):
                continue
            os.remove(entry.path)
        except OSError:
            continue
        removed.append(entry.path)
    return removed


def check_writable_directory(directory: PathLike, what: str) -> str:
    """Creates `directory` if needed and proves a file can be written there.

    Run before long work whose results go there, so that a bad output
    directory fails at once rather than at the end. `what` names the
    argument in the error (a ValueError naming the reason).
    """
    path = os.fspath(directory)
    try:
        if os.path.exists(path) and not os.path.isdir(path):
            raise NotADirectoryError(0, "it is not a directory")
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".twoembed-probe-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(
            f"Cannot write into {what} {path!r}: {reason}. Received: {what}={path!r}"
        ) from None
    return path
