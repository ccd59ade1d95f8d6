"""The loader's caps: bounded memory on hostile files, short messages."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import numpy as np
import pytest

from twoembed import load_glove

from .files import write

MiB = 2**20

# The child measures its own peak resident memory around each load; the
# baseline is taken after importing twoembed (TensorFlow and all).
PEAK_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import twoembed

    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = peak_mib()
    for case in json.loads(sys.argv[1]):
        try:
            twoembed.load_glove(case["path"], case["words"], verbose=0)
            outcome = "loaded"
        except ValueError as error:
            outcome = str(error)
        print(json.dumps([peak_mib() - base, outcome]), flush=True)
    """
)


def peaks(cases):
    """Runs each (path, words) load in one fresh process; [(MiB, outcome)]."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_CHILD, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- 1: one huge line -------------------------------------------------------


def huge_line_files(tmp_path, mib=320):
    """A gz and a zip holding one `mib` MiB line without a newline, and a gz
    with two valid rows before it; a few hundred KB on disk."""
    member = gzip.compress(b"a" * MiB)
    plain = tmp_path / "huge.gz"
    plain.write_bytes(member * mib)
    after_rows = tmp_path / "rows-then-huge.gz"
    after_rows.write_bytes(gzip.compress(b"the 0.1 0.2\ncat 0.3 0.4\n") + member * mib)
    archive = tmp_path / "huge.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("vectors.txt", "w") as f:
            for _ in range(mib):
                f.write(b"a" * MiB)
    return plain, after_rows, archive


def test_gzip_single_huge_line_is_refused_within_bounded_memory(tmp_path):
    plain, after_rows, archive = huge_line_files(tmp_path)
    cases = [
        {"path": str(plain), "words": None},
        {"path": str(archive), "words": None},
        {"path": str(after_rows), "words": None},
        {"path": str(after_rows), "words": ["the", "zzz"]},
        {"path": str(plain), "words": ["the"]},
    ]
    started = time.monotonic()
    measured = peaks(cases)
    for case, (peak, outcome) in zip(cases, measured, strict=True):
        # Before the cap: +700 MiB to +1.7 GiB for these 320 MiB lines.
        assert peak < 300, (case, peak)
        assert "longer than the 64 MiB limit" in outcome, (case, outcome)
        line = 3 if case["path"] == str(after_rows) else 1
        assert f", line {line}:" in outcome, outcome
        assert os.path.basename(case["path"]) in outcome
        assert len(outcome) < 400
    # The cap stops the read there: the rest of the 320 MiB is never inflated.
    assert time.monotonic() - started < 120


# -- 2: wide rows -----------------------------------------------------------


def test_a_row_wider_than_max_dim_is_refused_naming_the_cap(tmp_path):
    path = write(tmp_path, b"a " + b" ".join([b"0.1"] * 1_000_000) + b"\n")
    for words in (None, ["a"]):
        with pytest.raises(ValueError, match=r"1000000 values.*max_dim=131072"):
            load_glove(path, words, verbose=0)
    header = write(tmp_path, "2 1000000\na 0.1\n", "header.txt")
    with pytest.raises(ValueError, match=r"dim 1000000.*max_dim=131072"):
        load_glove(header, header=True, verbose=0)


def test_max_dim_lets_a_wider_file_load_or_sets_a_lower_cap(tmp_path):
    path = write(tmp_path, b"a " + b" ".join([b"0.5"] * 200_000) + b"\n")
    words, matrix = load_glove(path, max_dim=200_000, verbose=0)
    assert words == ["a"] and matrix.shape == (1, 200_000) and (matrix == 0.5).all()
    small = write(tmp_path, "a 1 2 3\n", "small.txt")
    with pytest.raises(ValueError, match=r"max_dim=2"):
        load_glove(small, max_dim=2, verbose=0)
    for bad in (0, -1, 2.5, True, "9"):
        with pytest.raises((TypeError, ValueError), match="max_dim"):
            load_glove(small, max_dim=bad, verbose=0)


def test_wide_rows_parse_at_about_the_per_value_cost_of_narrow_ones(tmp_path):
    rng = np.random.default_rng(0)
    wide = rng.normal(size=(2, 100_000)).astype(np.float32)
    narrow = rng.normal(size=(2000, 100)).astype(np.float32)

    def text(matrix):
        rows = (
            f"w{i} " + " ".join(f"{v:.5g}" for v in row)
            for i, row in enumerate(matrix)
        )
        return "\n".join(rows) + "\n"

    paths = {
        "wide": write(tmp_path, text(wide), "wide.txt"),
        "narrow": write(tmp_path, text(narrow), "narrow.txt"),
    }
    seconds = {}
    for name, path in paths.items():
        for words in (None, ["w0", "w1"]):
            start = time.perf_counter()
            load_glove(path, words, verbose=0)
            seconds[name, words is None] = time.perf_counter() - start
    np.testing.assert_allclose(load_glove(paths["wide"], verbose=0).matrix, wide, 1e-4)
    # Same 200k values each. Before: 13.9 s for the wide file, 0.05 s narrow.
    for whole in (True, False):
        assert seconds["wide", whole] < 10 * seconds["narrow", True] + 0.5, seconds


# -- 9: a header count far beyond the file ------------------------------------


def test_a_huge_header_count_and_dim_in_a_tiny_gz_allocate_by_bytes(tmp_path):
    row = " ".join(["0.1"] * 100_000)
    data = f"1000000000000 100000\na {row}\nb {row}\n".encode()
    path = write(tmp_path, gzip.compress(data), "tiny.gz")
    assert path.stat().st_size < 2000
    ((peak, outcome),) = peaks([{"path": str(path), "words": None}])
    assert outcome == "loaded" and peak < 200, (peak, outcome)
    counted = r"header says 1000000000000 rows, but 2 were read"
    with pytest.warns(UserWarning, match=counted):
        words, matrix = load_glove(path, verbose=0)
    assert words == ["a", "b"] and matrix.shape == (2, 100_000)


def test_a_header_count_that_disagrees_with_the_rows_read_is_reported(tmp_path):
    path = write(tmp_path, "5 2\nthe 0.1 0.2\ncat 0.3 0.4\n")
    with pytest.warns(UserWarning, match=r"header says 5 rows, but 2 were read"):
        result = load_glove(path, verbose=0)
    assert result.report.header == (5, 2)
    exact = write(tmp_path, "2 2\nthe 0.1 0.2\ncat 0.3 0.4\n", "exact.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_glove(exact, verbose=0)
        load_glove(path, ["the"], verbose=0)  # a partial read proves nothing


# -- 10: long messages -------------------------------------------------------


def test_a_huge_junk_token_is_shortened_in_the_error(tmp_path):
    junk = b"x" * (10 * MiB)
    rows = b"the 0.1 0.2\ncat 0.3 0.4\n"
    cases = [
        (rows + junk + b"\n", None, "found 0 values after the token"),
        (rows + b"dog 0.5 " + junk + b"\n", None, "value 2 is"),
        (rows + b"dog 0.5 " + junk + b"\n", ["the", "dog"], "value 2 is"),
    ]
    for data, words, what in cases:
        path = write(tmp_path, data)
        with pytest.raises(ValueError) as caught:
            load_glove(path, words, verbose=0)
        message = str(caught.value)
        assert len(message) < 400, len(message)
        assert "line 3" in message and what in message
        assert f"'{'x' * 80}...' ({len(junk):,} bytes)" in message, message[:300]


def test_a_zip_with_many_members_lists_only_the_first_ones(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(20_000):
            z.writestr(f"v{i}.txt", "")
    with pytest.raises(ValueError) as caught:
        load_glove(archive, verbose=0)
    message = str(caught.value)
    assert len(message) < 600, len(message)
    assert "'v0.txt'" in message and "and 19,990 more" in message
    assert "--member" in message  # what a command-line user types
