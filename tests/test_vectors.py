"""Tests for twoembed.vectors: formats, real-world mess, errors, cache, report."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import re
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twoembed.vectors import LoadedVectors, load_glove, token_reads_back
from twoembed.vocab import Vocabulary

GLOVE = "the 0.1 0.2 0.3\ncat -1.5 2e-3 4\ndog 7 8 9\n"
THE, CAT, DOG = [0.1, 0.2, 0.3], [-1.5, 2e-3, 4], [7, 8, 9]


def write(tmp_path, text: str | bytes, name: str = "vec.txt"):
    path = tmp_path / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(data)
    return path


def test_whole_file_in_file_order_as_float32(tmp_path):
    words, matrix = load_glove(write(tmp_path, GLOVE), verbose=0)
    assert words == ["the", "cat", "dog"]
    assert matrix.dtype == np.float32 and matrix.shape == (3, 3)
    np.testing.assert_allclose(matrix, [THE, CAT, DOG], rtol=1e-6)


def test_requested_words_come_in_caller_order_once_and_missing_reported(tmp_path):
    result = load_glove(write(tmp_path, GLOVE), ["dog", "zebra", "the", "dog"])
    words, matrix = result
    assert words == ["dog", "the"]
    np.testing.assert_allclose(matrix, [DOG, THE], rtol=1e-6)
    assert result.missing == ("zebra",)
    assert result.report.num_requested == 3 and result.report.num_found == 2


def test_word2vec_header_is_detected_not_read_as_a_word(tmp_path):
    result = load_glove(write(tmp_path, "3 3\n" + GLOVE, "w.vec"))
    assert result.words == ["the", "cat", "dog"]
    assert result.report.header == (3, 3)


def test_numeric_token_line_is_not_mistaken_for_a_header(tmp_path):
    # dim 1: "3 5" is the word "3" with value 5, as the next row shows.
    words, matrix = load_glove(write(tmp_path, "3 5\n4 6\n"))
    assert words == ["3", "4"]
    np.testing.assert_array_equal(matrix, [[5], [6]])


@pytest.mark.parametrize("words", [None, ["2", "a"]])
def test_header_false_reads_a_header_like_first_row_as_a_word(tmp_path, words):
    # dim 1 and a word "2" with value 1: "2 1" looks like a header of 2 rows.
    path = write(tmp_path, "2 1\na 0.5\n")
    guessed = load_glove(path)
    assert guessed.words == ["a"] and guessed.report.header == (2, 1)
    result = load_glove(path, words, header=False)
    assert result.words == ["2", "a"] and result.report.header is None
    np.testing.assert_array_equal(result.matrix, [[1], [0.5]])


def test_header_true_takes_the_first_line_as_header_or_refuses(tmp_path):
    path = write(tmp_path, "\n2 1\na 0.5\n")  # a blank line before it is fine
    result = load_glove(path, header=True)
    assert result.words == ["a"] and result.report.header == (2, 1)
    with pytest.raises(ValueError, match=r"header=True, but .*'the 0.1"):
        load_glove(write(tmp_path, GLOVE, "plain.txt"), header=True)
    with pytest.raises(TypeError, match="header='yes'"):
        load_glove(path, header="yes")


@pytest.mark.parametrize("words", [None, ["the"]])
def test_header_false_on_a_word2vec_file_says_the_first_line_looks_like_one(
    tmp_path, words
):
    path = write(tmp_path, "3 3\n" + GLOVE, "w.vec")
    with pytest.raises(ValueError, match=r"w.vec: header=False, but .*'3 3'"):
        load_glove(path, words, header=False)


def test_a_dim_that_contradicts_the_header_is_refused(tmp_path):
    path = write(tmp_path, "3 3\n" + GLOVE, "w.vec")
    assert load_glove(path, dim=3).words == ["the", "cat", "dog"]
    with pytest.raises(ValueError, match=r"header says vectors of dim 3, but dim=4"):
        load_glove(path, dim=4)


def test_header_is_found_after_many_blank_lines(tmp_path):
    path = write(tmp_path, "\n" * 100 + "3 3\n" + GLOVE, "w.vec")
    for header in (None, True):
        result = load_glove(path, header=header)
        assert result.words == ["the", "cat", "dog"]
        assert result.report.header == (3, 3)


def test_cache_keys_of_header_options_differ(tmp_path):
    path = write(tmp_path, "2 1\na 0.5\n")
    cache = tmp_path / "cache"
    assert load_glove(path, cache_dir=cache).words == ["a"]
    result = load_glove(path, header=False, cache_dir=cache)
    assert result.words == ["2", "a"] and not result.report.from_cache


def test_fasttext_trailing_spaces_crlf_and_blank_lines(tmp_path):
    text = "3 3 \r\n\r\nthe 0.1 0.2 0.3 \r\ncat -1.5 2e-3 4 \r\n\n\r\ndog 7 8 9 \r\n"
    path = write(tmp_path, text, "f.vec")
    words, matrix = load_glove(path)
    assert words == ["the", "cat", "dog"]
    np.testing.assert_allclose(matrix, [THE, CAT, DOG], rtol=1e-6)
    words, matrix = load_glove(path, ["dog", "cat"])
    np.testing.assert_allclose(matrix, [DOG, CAT], rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "opener"),
    [("v.txt.gz", gzip.open), ("v.txt.bz2", bz2.open)],
)
def test_compressed_files(tmp_path, name, opener):
    path = tmp_path / name
    with opener(path, "wb") as f:
        f.write(GLOVE.encode())
    assert load_glove(path).words == ["the", "cat", "dog"]
    assert load_glove(path, ["cat"]).words == ["cat"]


def make_zip(tmp_path):
    path = tmp_path / "glove.6B.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("glove.6B.2d.txt", "the 1 2\n")
        z.writestr("glove.6B.3d.txt", "the 1 2 3\n")
    return path


def test_zip_member_by_name_or_dim(tmp_path):
    path = make_zip(tmp_path)
    assert load_glove(path, member="glove.6B.2d.txt").matrix.shape == (1, 2)
    assert load_glove(path, member=3).matrix.shape == (1, 3)
    assert load_glove(path, dim=3).matrix.shape == (1, 3)


def test_ambiguous_zip_lists_its_members(tmp_path):
    path = make_zip(tmp_path)
    with pytest.raises(ValueError, match=r"glove\.6B\.2d\.txt.*glove\.6B\.3d\.txt"):
        load_glove(path)
    with pytest.raises(ValueError, match="member=50"):
        load_glove(path, member=50)


def test_single_member_zip_needs_no_choice(tmp_path):
    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("v.txt", GLOVE)
    assert load_glove(path).words == ["the", "cat", "dog"]


def test_token_with_nbsp_and_spaces_is_everything_before_the_values(tmp_path):
    nbsp = "a\u00a0b"
    text = f"{nbsp} 1 2\n. . . 3 4\nx 5 6\n"
    path = write(tmp_path, text)
    words, matrix = load_glove(path)
    assert words == [nbsp, ". . .", "x"]
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 4], [5, 6]])
    words, matrix = load_glove(path, [". . .", nbsp, "."])
    assert words == [". . .", nbsp]
    np.testing.assert_array_equal(matrix, [[3, 4], [1, 2]])


def test_tokens_that_look_like_missing_values_quotes_or_comments_are_words(tmp_path):
    tokens = ["null", "nan", "NA", '"quoted', "#", "''", "N/A", "#comment"]
    text = "".join(f"{t} {i} {i}\n" for i, t in enumerate(tokens))
    path = write(tmp_path, text)
    words, matrix = load_glove(path)
    assert words == tokens
    np.testing.assert_array_equal(matrix[:, 0], np.arange(len(tokens)))
    assert load_glove(path, ["#", "nan"]).words == ["#", "nan"]


def test_invalid_utf8_token_is_replaced_and_counted(tmp_path):
    path = write(tmp_path, b"ok 1 2\nbad\xff 3 4\n")
    result = load_glove(path)
    assert result.words == ["ok", "bad\ufffd"]
    assert result.report.invalid_utf8 == 1


def test_invalid_utf8_token_can_be_skipped(tmp_path):
    path = write(tmp_path, b"ok 1 2\nbad\xff 3 4\n")
    result = load_glove(path, invalid_utf8="skip")
    assert result.words == ["ok"] and result.matrix.shape == (1, 2)
    assert result.report.invalid_utf8 == 1


def test_duplicate_tokens_first_row_wins_and_are_counted(tmp_path):
    path = write(tmp_path, "a 1 1\nb 2 2\na 3 3\n")
    result = load_glove(path)
    assert result.words == ["a", "b"]
    np.testing.assert_array_equal(result.matrix, [[1, 1], [2, 2]])
    assert result.report.duplicates == 1
    some = load_glove(path, ["a"])
    np.testing.assert_array_equal(some.matrix, [[1, 1]])
    assert some.report.duplicates == 1


@pytest.mark.parametrize(
    ("line", "found"),
    [("cat 1 2", "found 2 values"), ("cat 1 2 3 4.5", "found 4 values")],
)
def test_wrong_number_of_values_names_file_line_found_and_expected(
    tmp_path, line, found
):
    path = write(tmp_path, f"the 1 2 3\n{line}\ndog 1 2 3\n")
    for words in (None, ["cat"]):
        with pytest.raises(ValueError, match=found) as info:
            load_glove(path, words)
        message = str(info.value)
        assert str(path) in message and "line 2" in message
        assert "expected 3" in message


def test_non_number_names_file_line_and_value(tmp_path):
    path = write(tmp_path, "the 1 2 3\ncat 1 x 3\n")
    for words in (None, ["cat"]):
        with pytest.raises(ValueError, match=r"line 2: value 2 is 'x'") as info:
            load_glove(path, words)
        assert str(path) in str(info.value)


def test_bad_rows_can_be_skipped_and_are_reported(tmp_path):
    path = write(tmp_path, "the 1 2 3\ncat 1 x 3\ndog 1 2\nfox 4 5 6\n")
    result = load_glove(path, on_bad_row="skip")
    assert result.words == ["the", "fox"]
    assert result.report.skipped_rows == (2, 3)


def test_unrequested_rows_are_not_parsed(tmp_path):
    path = write(tmp_path, "the 1 2 3\ncat 1 x 3\n")
    assert load_glove(path, ["the"]).words == ["the"]


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        load_glove(tmp_path / "nope.txt")


@pytest.mark.parametrize("text", ["", "\n\n", "  \r\n"])
def test_empty_file_raises_value_error(tmp_path, text):
    with pytest.raises(ValueError, match="empty"):
        load_glove(write(tmp_path, text))


def test_header_without_vectors_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="no vectors"):
        load_glove(write(tmp_path, "0 300\n"))


def test_coverage_report_with_corpus_counts(tmp_path):
    path = write(tmp_path, GLOVE)
    counts = {"the": 6, "cat": 2, "emu": 1, "yak": 3}
    result = load_glove(path, ["emu", "the", "yak", "cat"], counts=counts)
    report = result.report
    assert report.corpus_tokens == 12
    assert report.token_coverage == pytest.approx(8 / 12)
    assert result.missing == ("yak", "emu")  # most frequent first
    assert report.most_frequent_missing(1) == [("yak", 3)]
    assert "66.67%" in str(report)


def test_coverage_report_from_a_token_stream(tmp_path):
    corpus = "the cat saw the emu".split()
    result = load_glove(write(tmp_path, GLOVE), set(corpus), counts=corpus)
    assert result.report.token_coverage == pytest.approx(3 / 5)


def test_lowercase_fallback_is_off_by_default_and_reported_when_on(tmp_path):
    path = write(tmp_path, GLOVE)
    assert load_glove(path, ["The"]).missing == ("The",)
    result = load_glove(path, ["The", "cat"], lowercase_fallback=True)
    assert result.words == ["The", "cat"]
    np.testing.assert_allclose(result.matrix[0], THE, rtol=1e-6)
    assert result.report.lowercased == ("The",)


def test_missing_words_become_special_tokens_on_request(tmp_path):
    path = write(tmp_path, GLOVE)
    result = load_glove(path, ["the", "emu", "yak"], counts={"emu": 1, "yak": 5})
    vocab = result.vocabulary(["<url>"], promote_missing=1)
    assert isinstance(vocab, Vocabulary)
    assert vocab.words == ("the",)
    assert vocab.special_tokens == ("<url>", "yak")
    assert result.vocabulary(promote_missing=True).special_tokens == ("yak", "emu")
    assert result.vocabulary().id_of("emu") == result.vocabulary().oov_id
    with pytest.raises(ValueError, match="promote_missing=-1"):
        result.vocabulary(promote_missing=-1)


def test_result_works_with_the_embedding_block(tmp_path):
    from twoembed.block import build_embedding_block

    result = load_glove(write(tmp_path, GLOVE), ["cat", "emu"])
    vocab = result.vocabulary(promote_missing=True)
    _, outputs = build_embedding_block(vocab, result.matrix)
    assert outputs.shape[-1] == 3


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
    from twoembed.vectors import _cache_key, _cache_prune, _cache_write, _Raw

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
    read_key = _cache_key(str(path), None, None, {})

    # The file changes while a slow reader holds `read_key`; a faster process
    # caches the new version meanwhile.
    path.write_text(GLOVE.replace("dog 7", "dog 70"))
    assert not load_glove(path, cache_dir=cache).report.from_cache
    current = set(cache.iterdir()) - {meta, meta.with_name(meta.stem + ".npy")}
    assert len(current) == 4  # newer.json/.npy and the new version's pair
    _cache_write(
        str(cache), read_key, _Raw([], np.zeros((0, 3)), 3, None, 0, [], 0, 0, [])
    )
    _cache_prune(str(cache), read_key)
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


def test_progress_is_silent_when_not_a_terminal(tmp_path, capsys):
    load_glove(write(tmp_path, GLOVE))
    assert capsys.readouterr().err == ""


def test_progress_shows_bytes_on_a_slow_interactive_load(tmp_path, monkeypatch, capsys):
    from twoembed import vectors

    clock = iter(range(0, 1000, 3))
    monkeypatch.setattr(vectors, "_stderr_is_tty", lambda: True)
    monkeypatch.setattr(vectors.time, "monotonic", lambda: next(clock))
    load_glove(write(tmp_path, GLOVE))
    assert "MiB" in capsys.readouterr().err
    load_glove(write(tmp_path, GLOVE), verbose=0)
    assert capsys.readouterr().err == ""


def test_arguments_are_checked_and_echoed(tmp_path):
    path = write(tmp_path, GLOVE)
    with pytest.raises(TypeError, match="words='the'"):
        load_glove(path, "the")
    with pytest.raises(ValueError, match="on_bad_row='ignore'"):
        load_glove(path, on_bad_row="ignore")
    assert isinstance(load_glove(path), LoadedVectors)


# Property tests: random well-formed files round-trip; malformed ones end in
# the documented errors only.
token_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    min_size=1,
    max_size=8,
).filter(
    # Tokens a vector file can hold as written (the loader's own rule); real
    # files do not hold tokens like "x 1 2", which read as extra values.
    lambda t: t.strip(" ") == t and token_reads_back(t, 3)
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tokens=st.lists(token_text, min_size=1, max_size=20, unique=True),
    dim=st.integers(1, 5),
    header=st.booleans(),
    crlf=st.booleans(),
    data=st.data(),
)
def test_round_trip_of_random_well_formed_files(
    tmp_path, tokens, dim, header, crlf, data
):
    values = data.draw(
        st.lists(
            st.lists(st.floats(-1e6, 1e6, width=32), min_size=dim, max_size=dim),
            min_size=len(tokens),
            max_size=len(tokens),
        )
    )
    end = "\r\n" if crlf else "\n"
    lines = [f"{len(tokens)} {dim}"] if header else []
    lines += [
        t + " " + " ".join(repr(float(v)) for v in row)
        for t, row in zip(tokens, values, strict=True)
    ]
    path = write(tmp_path, end.join(lines) + end, "prop.txt")
    words, matrix = load_glove(path, dim=dim)
    assert words == tokens
    np.testing.assert_array_equal(matrix, np.asarray(values, np.float32))
    pick = tokens[::2]
    words, matrix = load_glove(path, pick, dim=dim)
    assert words == pick
    np.testing.assert_array_equal(matrix, np.asarray(values[::2], np.float32))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    blob=st.binary(max_size=200)
    | st.lists(
        st.sampled_from(
            ["a", "b 1", "c 1 2", "d 1 x", "1 2", " ", "e 1e5 .5", "\xa0 3 4", "\r"]
        ),
        max_size=8,
    ).map(lambda parts: "\n".join(parts).encode()),
    words=st.none() | st.just(["a", "b", "c", "d", "e"]),
)
def test_malformed_files_end_only_in_documented_errors(tmp_path, blob, words):
    path = write(tmp_path, blob, "bad.txt")
    try:
        result = load_glove(path, words)
    except ValueError as error:
        assert str(path) in str(error)
    else:
        assert result.matrix.shape == (len(result.words), result.report.dim)


# Whole-file loads parse big blocks in bulk (pandas when importable, else
# NumPy) and fall back to a careful per-row path; small blocks put the block
# edges, and those fallbacks, in the middle of these files.
@pytest.fixture(params=["pandas", "numpy"])
def small_blocks(request, monkeypatch):
    from twoembed import vectors

    if request.param == "numpy":
        monkeypatch.setattr(vectors, "_pandas_read_csv", lambda: None)
    elif vectors._pandas_read_csv() is None:
        pytest.skip("pandas is not installed")
    monkeypatch.setattr(vectors, "_BLOCK_SIZE", 100)
    monkeypatch.setattr(vectors, "_ALL_BLOCK_SIZE", 100)
    return request.param


def numbered_rows(count: int, dim: int = 3) -> tuple[list[str], np.ndarray, str]:
    rng = np.random.default_rng(count)
    values = rng.normal(0, 1, (count, dim)).astype(np.float32)
    words = [f"w{i}" for i in range(count)]
    text = "".join(
        w + " " + " ".join(repr(float(v)) for v in row) + "\n"
        for w, row in zip(words, values, strict=True)
    )
    return words, values, text


@pytest.mark.parametrize("style", ["glove", "fasttext", "crlf", "no-final-newline"])
def test_many_blocks_load_exactly_in_every_style(tmp_path, small_blocks, style):
    words, values, text = numbered_rows(200)
    if style == "fasttext":
        text = "200 3\n" + text.replace("\n", " \n")
    elif style == "crlf":
        text = text.replace("\n", "\r\n")
    elif style == "no-final-newline":
        text = text.rstrip("\n")
    path = write(tmp_path, text)
    result = load_glove(path)
    assert result.words == words
    np.testing.assert_array_equal(result.matrix, values)
    assert result.report.lines_read == 200 + (style == "fasttext")
    some = load_glove(path, words[::7])
    assert some.words == words[::7]
    np.testing.assert_array_equal(some.matrix, values[::7])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("w150 1 2", "line 151: found 2 values after the token 'w150', expected 3"),
        ("w150 1 2 3 4", "line 151: found 4 values after the token 'w150', expected 3"),
        ("w150 1 x 3", "line 151: value 2 is 'x'"),
        ("w150 1  3", "line 151: could not read 3 numbers from b'1  3'"),
        (" 1 2 3", "line 151: the row starts with a space"),
    ],
)
def test_bad_row_deep_in_a_file_is_named_exactly(tmp_path, small_blocks, bad, message):
    words, values, text = numbered_rows(200)
    lines = text.splitlines()
    lines[150] = bad
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        load_glove(path)
    assert str(path) in str(info.value)
    result = load_glove(path, on_bad_row="skip")
    assert result.report.skipped_rows == (151,)
    assert result.words == words[:150] + words[151:]
    np.testing.assert_array_equal(result.matrix, np.delete(values, 150, axis=0))


def test_blank_lines_nan_duplicates_and_bad_utf8_across_blocks(tmp_path, small_blocks):
    words, values, text = numbered_rows(120)
    lines = text.encode().splitlines()
    lines[40] = b"w3 9 9 9"  # a duplicate: the first row wins
    lines[60] = b"bad\xff 1 2 3"
    lines[61] = b"bad\xfe 4 5 6"
    lines[80] = b"w80 nan 1 inf"
    lines.insert(100, b"")
    path = write(tmp_path, b"\n".join(lines) + b"\n")
    result = load_glove(path)
    expected = [w for i, w in enumerate(words) if i not in (40, 61)]
    expected[59] = "bad\ufffd"  # both invalid tokens decode to it: first wins
    assert result.words == expected
    assert len(set(result.words)) == len(result.words)
    assert result.report.duplicates == 2 and result.report.invalid_utf8 == 2
    np.testing.assert_array_equal(result.matrix[59], [1, 2, 3])
    assert result.report.lines_read == 121
    np.testing.assert_array_equal(result.matrix[78], [np.nan, 1, np.inf])
    np.testing.assert_array_equal(result.matrix[-1], values[-1])
    skipped = load_glove(path, invalid_utf8="skip")
    assert "bad\ufffd" not in skipped.words and len(skipped.words) == 117
    assert skipped.report.invalid_utf8 == 2


def test_first_bad_row_wins_when_batches_are_parsed_ahead(tmp_path, small_blocks):
    from twoembed import vectors

    words, _, text = numbered_rows(200)
    lines = text.splitlines()
    lines[20] = "w20 1 x 3"  # in a batch parsed while the scan goes on
    lines[150] = "w150 1 2"  # found by the scan later
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vectors, "_PARSE_BATCH", 50)
        for words_wanted in (None, words):
            with pytest.raises(ValueError, match="line 21: value 2 is 'x'"):
                load_glove(path, words_wanted)
        result = load_glove(path, words, on_bad_row="skip")
    assert result.report.skipped_rows == (21, 151)
    assert result.words == [w for i, w in enumerate(words) if i not in (20, 150)]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="ab \r\n", max_size=40).map(str.encode),
    cut=st.integers(0, 40),
)
def test_scan_finds_the_same_lines_in_place_as_by_splitting(text, cut):
    from twoembed import vectors

    # A piece is a block plus the rest of its last line, as read from a file.
    block = text[:cut] or text
    rest = text[len(block) :]
    tail = rest[: rest.find(b"\n") + 1] if b"\n" in rest else rest
    piece = (block, tail)
    prefixes = {b"a", b"ab", b"", b"b\r"}
    lines = vectors._lines(piece)
    assert vectors._hits(piece, prefixes) == vectors._hits(lines, prefixes)


def test_odd_tokens_survive_the_bulk_parser_unchanged(tmp_path, small_blocks):
    odd = ["null", "nan", "NA", '"quoted', "#", "''", "N/A", "#comment", "007"]
    odd += ["1e5", "True", "-", "a\tb", ". . .", "a\u00a0b", "\ufeffbom", "x,y"]
    tokens = odd + [f"w{i}" for i in range(60)]
    text = "".join(f"{t} {i} {-i} 0.5\n" for i, t in enumerate(tokens))
    path = write(tmp_path, text)
    words, matrix = load_glove(path)
    assert words == tokens
    np.testing.assert_array_equal(matrix[:, 1], -np.arange(len(tokens)))
    assert load_glove(path, ["#", "nan", ". . .", "007"]).words == [
        "#",
        "nan",
        ". . .",
        "007",
    ]


@pytest.mark.parametrize("value", ["true", "False", "TRUE"])
def test_true_and_false_are_not_numbers_in_any_path(tmp_path, small_blocks, value):
    rows = "\n".join(f"w{i} 0.5 0.25" for i in range(30))
    path = write(tmp_path, f"{rows}\nbad {value} 0.5\n{rows.replace('w', 'v')}\n")
    with pytest.raises(ValueError, match=f"line 31: value 1 is '{value}'"):
        load_glove(path)
    with pytest.raises(ValueError, match="line 31"):
        load_glove(path, ["bad"])


@pytest.mark.parametrize("extra", ["nan", "-inf", "Infinity"])
def test_a_non_finite_extra_value_is_one_value_too_many(tmp_path, small_blocks, extra):
    path = write(tmp_path, f"a 1 2\nw {extra} 3 4\n")
    with pytest.raises(ValueError, match="line 2: found 3 values after the token 'w'"):
        load_glove(path)


def test_a_byte_order_mark_is_not_part_of_the_first_token(tmp_path, small_blocks):
    path = write(tmp_path, b"\xef\xbb\xbfthe 1 2\ncat 3 4\n")
    assert load_glove(path).words == ["the", "cat"]
    assert load_glove(path, ["the", "cat"]).words == ["the", "cat"]
    header = write(tmp_path, b"\xef\xbb\xbf2 2\nthe 1 2\ncat 3 4\n", "h.txt")
    assert load_glove(header).report.header == (2, 2)


def test_cache_keys_of_different_word_lists_never_collide(tmp_path):
    path = write(tmp_path, "a 1 2\nb 3 4\n")
    cache = tmp_path / "cache"
    assert load_glove(path, ["a\nb"], cache_dir=cache).words == []
    again = load_glove(path, ["a", "b"], cache_dir=cache)
    assert again.words == ["a", "b"] and not again.report.from_cache


def test_a_huge_header_count_in_a_compressed_file_is_not_trusted(tmp_path):
    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"99999999999 2\na 1 2\nb 3 4\n")
    words, matrix = load_glove(path)
    assert words == ["a", "b"] and matrix.shape == (2, 2)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "v.txt.gz",
            gzip.compress(b"a 1 2\nb 3 4\n" * 50)[:-30],
            "not a readable gzip",
        ),
        ("v.txt.gz", b"plain text, not gzip\n", "not a readable gzip"),
        ("v.txt.bz2", b"not bz2 at all\n", "v.txt.bz2"),
        ("v.zip", b"not a zip\n", "not a readable zip"),
    ],
)
def test_a_corrupt_archive_is_a_value_error_naming_the_file(
    tmp_path, name, data, message
):
    path = write(tmp_path, data, name)
    with pytest.raises(ValueError, match=message):
        load_glove(path)


def test_requested_words_are_checked_like_vocabulary_tokens(tmp_path):
    path = write(tmp_path, GLOVE)
    with pytest.raises(ValueError, match=r"words\[1\]`='a\\udcff' cannot be written"):
        load_glove(path, ["the", "a\udcff"])
    with pytest.raises(TypeError, match=r"words\[0\]=3 of type int"):
        load_glove(path, [3])
