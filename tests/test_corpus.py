"""The corpus of `twoembed coverage`, counted in bounded pieces."""

from __future__ import annotations

import io
import os
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoembed import tokenize
from twoembed._corpus import count_tokens, pieces


def by_whole_lines(path, lowercase, style):
    """What `coverage` counted before: each line tokenised whole."""
    counts = Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(tokenize(line, lowercase=lowercase, style=style))
    return counts


# Word characters, clitics, URL/number/abbreviation/e-mail starts, ASCII
# whitespace, whitespace that is not ASCII, and characters past U+FFFF.
ALPHABET = "aB'\u2019sntdm.,3:/@w-_ é\u00a0\u3000\u2028\x85\x1c\t\r\n\v\f\U0001f600"


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=ALPHABET, max_size=80)
    | st.lists(
        st.sampled_from(
            [
                *["http://x.io/a", "www.a.b", "it's", "don't", "3.5", "u.s."],
                *["a@b.co", "...", "--", " ", "\n", "\r\n", "\t", "Don\u2019t"],
                *["1,000", "é"],
            ]
        ),
        max_size=30,
    ).map("".join),
    piece_bytes=st.integers(1, 24),
    lowercase=st.booleans(),
    style=st.sampled_from(["glove", "whitespace"]),
)
def test_counts_in_pieces_are_those_of_whole_line_tokenisation(
    tmp_path_factory, text, piece_bytes, lowercase, style
):
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_bytes(text.encode("utf-8"))
    expected = by_whole_lines(path, lowercase, style)
    assert count_tokens(str(path), lowercase, style, piece_bytes) == expected


def test_pieces_are_bounded_whatever_the_line_length(tmp_path):
    # text8 is one line of 100 MB: it used to be tokenised whole, at about
    # 19 times its size.
    words = [f"w{i % 997}" for i in range(200_000)]
    path = tmp_path / "oneline.txt"
    path.write_text(" ".join(words), encoding="utf-8")
    with open(path, "rb") as f:
        sizes = [len(p) for p in pieces(f, "oneline.txt", piece_bytes=4096)]
    assert sum(sizes) == os.path.getsize(path)
    assert max(sizes) <= 4096 + len("w996")
    assert count_tokens(str(path), piece_bytes=4096) == Counter(words)


def test_a_stretch_without_whitespace_past_the_cap_is_refused(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_text("a few words\n" + "x" * 5000 + " end\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2, holds over 4,096 characters"):
        count_tokens(str(path), piece_bytes=1000, max_run=4096)
    assert count_tokens(str(path), piece_bytes=1000, max_run=8192)["x" * 5000] == 1


def test_a_long_line_spaced_only_by_unicode_whitespace_is_cut_there_in_glove_style(
    tmp_path,
):
    words = [f"\u5b57{i % 97}" for i in range(2000)]
    path = tmp_path / "cjk.txt"
    path.write_text("\u3000".join(words), encoding="utf-8")  # no ASCII whitespace
    counts = count_tokens(str(path), piece_bytes=1000, max_run=4096)
    assert counts == by_whole_lines(path, True, "glove") == Counter(words)
    # The whitespace style keeps U+3000 inside its tokens: no cut, so refused.
    with pytest.raises(ValueError, match="characters without whitespace"):
        count_tokens(str(path), style="whitespace", piece_bytes=1000, max_run=4096)


@pytest.mark.parametrize("style", ["glove", "whitespace"])
@pytest.mark.parametrize("piece_bytes", [2, 3, 1 << 20])
def test_a_leading_byte_order_mark_is_not_a_token(tmp_path, style, piece_bytes):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfThe cat\n")
    counts = count_tokens(str(path), style=style, piece_bytes=piece_bytes)
    assert counts == Counter({"the": 1, "cat": 1})


@pytest.mark.parametrize("piece_bytes", [1, 7, 1 << 20])
def test_invalid_utf8_is_reported_at_its_line_and_byte_offset(tmp_path, piece_bytes):
    good = "très bien\n" * 500  # 11 bytes a line
    path = tmp_path / "late_bad.txt"
    path.write_bytes(good.encode() + b"caf\xc3 x\n")  # a cut 2-byte character
    with pytest.raises(ValueError) as caught:
        count_tokens(str(path), piece_bytes=piece_bytes)
    message = str(caught.value)
    assert "late_bad.txt' is not UTF-8 text: line 501 (byte offset 5503)" in message
    assert "0xc3: invalid continuation byte" in message


def test_a_character_cut_by_the_end_of_the_file_is_reported_there(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes(b"\xef\xbb\xbfok\nfine caf\xc3")
    with pytest.raises(ValueError, match=r"line 2 \(byte offset 14\).*end of data"):
        count_tokens(str(path), piece_bytes=4)


def test_pieces_of_a_stream_that_is_not_a_file():
    stream = io.BytesIO(b"un deux\ntrois")
    assert "".join(pieces(stream, "<stream>", piece_bytes=3)) == "un deux\ntrois"
