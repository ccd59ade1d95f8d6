"""The cache: keys, reuse, copy-on-write, staleness, pruning."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from twoembed.vectors import load_glove
from twoembed.vectors.cache import cache_key, cache_prune, cache_write
from twoembed.vectors.result import RawVectors

from .files import CAT, DOG, GLOVE, write


def test_cache_keys_of_header_options_differ(tmp_path):
    path = write(tmp_path, "2 1\na 0.5\n")
    cache = tmp_path / "cache"
    assert load_glove(path, cache_dir=cache).words == ["a"]
    result = load_glove(path, header=False, cache_dir=cache)
    assert result.words == ["2", "a"] and not result.report.from_cache


def test_cache_is_reused_memory_mapped_and_equal(tmp_path):
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    first = load_glove(path, ["dog", "the"], cache_dir=cache)
    again = load_glove(path, ["dog", "the"], cache_dir=cache)
    assert not first.report.from_cache and again.report.from_cache
    assert again.words == first.words
    np.testing.assert_array_equal(again.matrix, first.matrix)
    assert isinstance(again.matrix, np.memmap)


def test_cached_matrix_can_be_changed_in_place_without_changing_the_cache(tmp_path):
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    first = load_glove(path, cache_dir=cache)
    cached = load_glove(path, cache_dir=cache)
    assert cached.report.from_cache
    cached.matrix /= 2  # as a fresh load allows, e.g. normalising rows
    np.testing.assert_array_equal(cached.matrix, first.matrix / 2)
    again = load_glove(path, cache_dir=cache)
    assert again.report.from_cache
    np.testing.assert_array_equal(again.matrix, first.matrix)


def test_cache_entries_of_an_older_version_of_the_file_are_deleted(tmp_path):
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    twin_dir = tmp_path / "twin"
    twin_dir.mkdir()
    twin = write(twin_dir, GLOVE)  # same file name, another directory
    other = tmp_path / "other.txt"
    other.write_text("x 1 2 3\n")
    for source in (path, twin, other):
        load_glove(source, cache_dir=cache)
    load_glove(path, ["the"], cache_dir=cache)
    assert len(list(cache.glob("*.npy"))) == 4

    path.write_text(GLOVE.replace("dog 7", "dog 70"))
    load_glove(path, cache_dir=cache)
    # The two entries of the old version are gone; the twin's and other's stay.
    assert len(list(cache.glob("*.npy"))) == len(list(cache.glob("*.json"))) == 3
    for source in (twin, other, path):
        assert load_glove(source, cache_dir=cache).report.from_cache


def test_cache_prune_keeps_entries_of_newer_twoembed_and_stops_if_file_moved_on(
    tmp_path,
):
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    load_glove(path, cache_dir=cache)
    (meta,) = cache.glob("*.json")
    newer = json.loads(meta.read_text())
    newer["key"]["version"] += 1  # as a newer twoembed would write it
    (cache / "vec.txt-newer.json").write_text(json.dumps(newer))
    (cache / "vec.txt-newer.npy").write_bytes(
        meta.with_name(meta.stem + ".npy").read_bytes()
    )
    read_key = cache_key(str(path), None, None, {})

    # The file changes while a slow reader holds `read_key`; a faster process
    # caches the new version meanwhile.
    path.write_text(GLOVE.replace("dog 7", "dog 70"))
    assert not load_glove(path, cache_dir=cache).report.from_cache
    current = set(cache.iterdir()) - {meta, meta.with_name(meta.stem + ".npy")}
    assert len(current) == 4  # newer.json/.npy and the new version's pair
    cache_write(
        str(cache), read_key, RawVectors([], np.zeros((0, 3)), 3, None, 0, [], 0, 0, [])
    )
    cache_prune(str(cache), read_key)
    assert set(cache.iterdir()) == current  # the stale key wrote and pruned nothing
    assert load_glove(path, cache_dir=cache).report.from_cache


def test_stale_cache_is_never_used(tmp_path):
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    load_glove(path, cache_dir=cache)
    assert not load_glove(path, ["the"], cache_dir=cache).report.from_cache
    path.write_text(GLOVE.replace("dog 7", "dog 70"))
    os.utime(path, ns=(1, 1))  # even with an old mtime the size changed
    result = load_glove(path, cache_dir=cache)
    assert not result.report.from_cache
    assert result.matrix[2, 0] == 70
    path.write_text(GLOVE.replace("dog 7", "dog 71"))  # same size, new mtime
    os.utime(path, ns=(2, 2))
    assert load_glove(path, cache_dir=cache).matrix[2, 0] == 71


def test_cache_keys_of_different_word_lists_never_collide(tmp_path):
    path = write(tmp_path, "a 1 2\nb 3 4\n")
    cache = tmp_path / "cache"
    assert load_glove(path, ["a\nb"], cache_dir=cache).words == []
    again = load_glove(path, ["a", "b"], cache_dir=cache)
    assert again.words == ["a", "b"] and not again.report.from_cache


def test_an_entry_written_by_0_1_0_is_read_as_it_was_written(tmp_path):
    # The entry exactly as twoembed 0.1.0 named and wrote it (cache version
    # 2), with a matrix a fresh load could not give: reading it proves that
    # today's key and metadata are still that format.
    path = write(tmp_path, GLOVE)
    cache = tmp_path / "cache"
    cache.mkdir()
    stat = os.stat(path)
    key = {
        "version": 2,
        "path": os.path.realpath(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "member": None,
        "words": hashlib.sha256(json.dumps(["dog", "cat"]).encode()).hexdigest(),
        "options": {
            "lowercase_fallback": False,
            "dim": None,
            "on_bad_row": "raise",
            "invalid_utf8": "replace",
            "header": None,
        },
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    stem = cache / f"vec.txt-{digest[:24]}"
    np.save(f"{stem}.npy", np.full((2, 3), 42, np.float32))
    meta = {
        "words": ["dog", "cat"],
        "dim": 3,
        "header": None,
        "lines_read": 3,
        "lowercased": [],
        "duplicates": 0,
        "invalid_utf8": 0,
        "skipped_rows": [],
        "key": key,
    }
    (cache / f"{stem.name}.json").write_text(json.dumps(meta))
    result = load_glove(path, ["dog", "cat"], cache_dir=cache)
    assert result.report.from_cache and result.words == ["dog", "cat"]
    np.testing.assert_array_equal(result.matrix, np.full((2, 3), 42))
    assert result.report.lines_read == 3
    # An entry of another cache version is never read: the file is.
    key["version"] = 1
    meta["key"] = key
    (cache / f"{stem.name}.json").write_text(json.dumps(meta))
    fresh = load_glove(path, ["dog", "cat"], cache_dir=cache)
    assert not fresh.report.from_cache
    np.testing.assert_array_equal(fresh.matrix, np.float32([DOG, CAT]))
