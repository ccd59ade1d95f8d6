"""The opt-in cache: where the key is made, entries read, written and pruned.

An entry is a `.npy` matrix plus a JSON file holding the key and the rest
of the `RawVectors`. The key is the file's real path, size and mtime, the
zip member, a hash of the words asked for and the options that change the
result; an entry whose key differs in anything is never used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import warnings

import numpy as np

from twoembed._files import atomic_write, remove_stale_temporaries
from twoembed.vectors.result import RawVectors

# Bump whenever the key or the stored fields change meaning, so that an
# older twoembed's entries are ignored (and pruned), never misread.
CACHE_VERSION = 2  # 2: `header` joined the options
# Characters of the vector file's name kept in an entry's name.
_NAME_KEPT = 100


def cache_key(
    path: str, member: str | int | None, words: list[str] | None, options: dict
) -> dict:
    stat = os.stat(path)
    words_hash = None
    if words is not None:
        # JSON, not a join: ["a\nb"] and ["a", "b"] must not share a key.
        encoded = json.dumps(words, ensure_ascii=False).encode("utf-8")
        words_hash = hashlib.sha256(encoded).hexdigest()
    return {
        "version": CACHE_VERSION,
        "path": os.path.realpath(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "member": member,
        "words": words_hash,
        "options": options,
    }


def _prefix(key: dict) -> str:
    """The start of the names of `key`'s file's entries: its name, cut so
    that entry names (and their temporaries) stay under NAME_MAX."""
    return f"{os.path.basename(key['path'])[:_NAME_KEPT]}-"


def cache_paths(cache_dir: str, key: dict) -> tuple[str, str]:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = os.path.join(cache_dir, f"{_prefix(key)}{digest}")
    return stem + ".npy", stem + ".json"


def cache_read(cache_dir: str, key: dict) -> RawVectors | None:
    """The entry of `key`, or None: missing, stale, unreadable or not
    consistent (an entry edited, or written by something else) alike."""
    npy, meta = cache_paths(cache_dir, key)
    try:
        with open(meta, encoding="utf-8") as f:
            stored = json.load(f)
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        raw = _entry(stored)
        if raw is None:
            return None
        # Copy-on-write: as writable as a fresh load, but an in-place change
        # (say, normalising rows) stays in this process, not in the cache.
        matrix = np.load(npy, mmap_mode="c")
    # Whatever a damaged entry makes json or NumPy raise, it is only a miss.
    except (OSError, ValueError, TypeError, RecursionError, EOFError):
        return None
    if not (
        isinstance(matrix, np.ndarray)
        and matrix.dtype == np.float32
        and matrix.shape == (len(raw.words), raw.dim)
    ):
        return None
    raw.matrix = matrix
    return raw


def _all_str(items: list) -> bool:
    # A set of the types, in C: 400k words take ~5 ms, a generator ~25 ms.
    return set(map(type, items)) <= {str}


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _entry(stored: dict) -> RawVectors | None:
    """The RawVectors of an entry's metadata (matrix still to load), or None
    if any field has the wrong type: a miss, never an exception later."""
    words, header = stored.get("words"), stored.get("header")
    lowercased, skipped = stored.get("lowercased"), stored.get("skipped_rows")
    counts = [stored.get(k) for k in ("dim", "lines_read", "duplicates")]
    counts.append(stored.get("invalid_utf8"))
    if not (
        isinstance(words, list)
        and _all_str(words)
        and all(_is_count(c) for c in counts)
        and counts[0] >= 1
        and (
            header is None
            or (
                isinstance(header, list)
                and len(header) == 2
                and all(_is_count(h) for h in header)
            )
        )
        and isinstance(lowercased, list)
        and _all_str(lowercased)
        and isinstance(skipped, list)
        and all(_is_count(n) for n in skipped)
    ):
        return None
    from_subwords, source = stored.get("from_subwords", []), stored.get("source")
    if not (
        isinstance(from_subwords, list)
        and _all_str(from_subwords)
        and (source is None or isinstance(source, dict))
    ):
        return None
    dim, lines_read, duplicates, invalid_utf8 = counts
    return RawVectors(
        words,
        np.empty((0, dim), np.float32),
        dim,  # type: ignore[arg-type]
        tuple(header) if header else None,  # type: ignore[arg-type]
        lines_read,  # type: ignore[arg-type]
        lowercased,
        duplicates,  # type: ignore[arg-type]
        invalid_utf8,  # type: ignore[arg-type]
        skipped,
        from_subwords,
        source,
    )


def cache_write(cache_dir: str, key: dict, raw: RawVectors) -> None:
    """Stores `raw` under `key`; a failure (a full disk, a directory that
    cannot be made or written) warns once and leaves no partial entry."""
    try:
        stat = os.stat(key["path"])
    except OSError:
        return
    if (stat.st_size, stat.st_mtime_ns) != (key["size"], key["mtime_ns"]):
        return  # the file changed while it was read: this entry is dead already
    try:
        os.makedirs(cache_dir, exist_ok=True)
        remove_stale_temporaries(cache_dir)
        npy, meta = cache_paths(cache_dir, key)
        stored = dataclasses.asdict(raw)
        del stored["matrix"]
        stored["key"] = key
        # The metadata, written last and atomically, is what marks a cache
        # entry as complete: a crash mid-write leaves no entry that looks valid.
        with atomic_write(npy) as f:
            np.save(f, raw.matrix)
        with atomic_write(meta) as f:
            f.write(json.dumps(stored).encode("utf-8"))
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        warnings.warn(
            f"The vectors of {key['path']} were read but not cached in "
            f"{cache_dir!r}: {reason}. The next load reads the file again.",
            UserWarning,
            stacklevel=4,
        )
        return
    cache_prune(cache_dir, key)


def cache_prune(cache_dir: str, key: dict) -> None:
    """Deletes the entries of older versions of `key`'s file.

    An entry whose file has since changed size or mtime (or that an older
    twoembed wrote) can never be used again; left alone, every edit of a
    2 GB vectors file would leave its matrix behind. Entries of other files,
    of the current version of this one and of a newer twoembed are kept;
    nothing is pruned if the file changed again while it was being read.
    """
    try:
        stat = os.stat(key["path"])
        names = os.listdir(cache_dir)
    except OSError:
        return
    if (stat.st_size, stat.st_mtime_ns) != (key["size"], key["mtime_ns"]):
        return  # `key` is itself stale: another process may hold the newer one
    prefix = _prefix(key)
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".json")):
            continue
        meta = os.path.join(cache_dir, name)
        try:
            with open(meta, encoding="utf-8") as f:
                old = json.load(f)["key"]
            stale = (
                old["path"] == key["path"]
                and old["version"] <= key["version"]
                and (old["version"], old["size"], old["mtime_ns"])
                != (key["version"], key["size"], key["mtime_ns"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not an entry of ours: leave it
        if stale:
            # The matrix first: if it cannot go (mapped elsewhere, on
            # Windows), the metadata stays and a later write retries.
            npy = meta[: -len(".json")] + ".npy"
            with contextlib.suppress(OSError):
                if os.path.exists(npy):
                    os.remove(npy)
                os.remove(meta)
