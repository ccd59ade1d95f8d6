"""The row rules and the careful parser: tokens, bad rows, their errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twoembed.vectors import load_glove, token_reads_back

from .files import write


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


@pytest.mark.parametrize("value", ["true", "False", "TRUE"])
def test_true_and_false_are_not_numbers_in_any_path(tmp_path, load_small, value):
    rows = "\n".join(f"w{i} 0.5 0.25" for i in range(30))
    path = write(tmp_path, f"{rows}\nbad {value} 0.5\n{rows.replace('w', 'v')}\n")
    with pytest.raises(ValueError, match=f"line 31: value 1 is '{value}'"):
        load_small(path)
    with pytest.raises(ValueError, match="line 31"):
        load_small(path, ["bad"])


@pytest.mark.parametrize("value", ["true", "FALSE"])
def test_a_column_of_only_true_and_false_is_not_numbers(tmp_path, load_small, value):
    # pandas reads such a column as bool, which the fast path must refuse.
    rows = [f"w{i} {value} 0.5" for i in range(40)]
    for words, line in ((None, 1), (["w3"], 4)):
        if words is not None:
            # The first row, which sets dim, is parsed on its own first: a
            # good one leaves the requested row alone in its batch.
            rows[0] = "w0 0.5 0.5"
        path = write(tmp_path, "\n".join(rows) + "\n")
        with pytest.raises(ValueError, match=f"line {line}: value 1 is '{value}'"):
            load_small(path, words, block_size=10_000, whole_file_block_size=10_000)


def test_integer_columns_read_as_floats_keeping_the_sign_of_zero(tmp_path, load_small):
    # pandas reads a column of integers as int64, which has no -0.
    rows = "\n".join(f"w{i} {'-0' if i % 2 else i} 0.5" for i in range(40))
    path = write(tmp_path, rows + "\n")
    result = load_small(path, block_size=10_000, whole_file_block_size=10_000)
    column = result.matrix[:, 0]
    assert column.dtype == np.float32
    np.testing.assert_array_equal(column[::2], np.arange(0, 40, 2))
    assert np.signbit(column[1::2]).all() and not np.signbit(column[::2]).any()


def test_minus_zero_keeps_its_sign_when_only_part_of_a_block_is_integers(
    tmp_path, load_small
):
    # By chunks of rows (2048 at 301 columns), pandas would read the first
    # chunk's column as int64, losing -0, and merge it into float64.
    rest = " ".join(["0.25"] * 299)
    rows = [f"w{i} {'-0' if i < 2100 else '0.5'} {rest}" for i in range(2200)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    result = load_small(path, block_size=10 << 20, whole_file_block_size=10 << 20)
    assert np.signbit(result.matrix[:2100, 0]).all()
    np.testing.assert_array_equal(result.matrix[2100:, 0], 0.5)


def test_inf_and_minus_inf_in_one_block_read_as_written(tmp_path, load_small):
    rows = "\n".join(f"w{i} {('inf', '-inf', '1.5')[i % 3]} 0.5" for i in range(30))
    path = write(tmp_path, rows + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = load_small(path, block_size=10_000, whole_file_block_size=10_000)
    np.testing.assert_array_equal(result.matrix[:3, 0], [np.inf, -np.inf, 1.5])
    # No overflow or invalid-value warning from NumPy: only the load's own.
    assert [w.category for w in caught] == [UserWarning]
    assert "20 rows hold nan or inf" in str(caught[0].message)


@pytest.mark.parametrize("extra", ["nan", "-inf", "Infinity"])
def test_a_non_finite_extra_value_is_one_value_too_many(tmp_path, load_small, extra):
    path = write(tmp_path, f"a 1 2\nw {extra} 3 4\n")
    with pytest.raises(ValueError, match="line 2: found 3 values after the token 'w'"):
        load_small(path)


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
