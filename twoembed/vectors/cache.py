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

import numpy as np

from twoembed._files import atomic_write
from twoembed.vectors.result import RawVectors

# Bump whenever the key or the stored fields change meaning, so that an
# older twoembed's entries are ignored (and pruned), never misread.
CACHE_VERSION = 2  # 2: `header` joined the options


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


def cache_paths(cache_dir: str, key: dict) -> tuple[str, str]:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    stem = os.path.join(cache_dir, f"{os.path.basename(key['path'])}-{digest}")
    return stem + ".npy", stem + ".json"


def cache_read(cache_dir: str, key: dict) -> RawVectors | None:
    npy, meta = cache_paths(cache_dir, key)
    try:
        with open(meta, encoding="utf-8") as f:
            stored = json.load(f)
        if stored.get("key") != key:
            return None
        # Copy-on-write: as writable as a fresh load, but an in-place change
        # (say, normalising rows) stays in this process, not in the cache.
        matrix = np.load(npy, mmap_mode="c")
    except (OSError, ValueError):
        return None
    header = tuple(stored["header"]) if stored["header"] else None
    return RawVectors(
        stored["words"],
        matrix,
        stored["dim"],
        header,  # type: ignore[arg-type]
        stored["lines_read"],
        stored["lowercased"],
        stored["duplicates"],
        stored["invalid_utf8"],
        stored["skipped_rows"],
    )


def cache_write(cache_dir: str, key: dict, raw: RawVectors) -> None:
    try:
        stat = os.stat(key["path"])
    except OSError:
        return
    if (stat.st_size, stat.st_mtime_ns) != (key["size"], key["mtime_ns"]):
        return  # the file changed while it was read: this entry is dead already
    os.makedirs(cache_dir, exist_ok=True)
    npy, meta = cache_paths(cache_dir, key)
    stored = dataclasses.asdict(raw)
    del stored["matrix"]
    stored["key"] = key
    # The metadata, written last and atomically, is what marks a cache entry
    # as complete: a crash mid-write leaves no entry that looks valid.
    with atomic_write(npy) as f:
        np.save(f, raw.matrix)
    with atomic_write(meta) as f:
        f.write(json.dumps(stored).encode("utf-8"))
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
    prefix = f"{os.path.basename(key['path'])}-"
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
