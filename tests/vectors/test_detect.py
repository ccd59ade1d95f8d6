"""Format detection: compressions and archives the loader does not unpack."""

from __future__ import annotations

import gzip
import io
import lzma
import tarfile

import pytest

from twoembed.vectors import load_glove

from .files import GLOVE, write


def tar_of(text: str, compression: str = "") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=f"w:{compression}") as archive:
        data = text.encode()
        info = tarfile.TarInfo("vec.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize("words", [None, ["the", "cat"]])
@pytest.mark.parametrize(
    ("name", "compression"), [("v.tar", ""), ("v.tar.gz", "gz"), ("v.tar.bz2", "bz2")]
)
def test_a_tar_archive_is_refused_not_read_with_its_header_glued_to_row_one(
    tmp_path, name, compression, words
):
    path = write(tmp_path, tar_of(GLOVE, compression), name)
    with pytest.raises(ValueError, match=r"is a tar archive.*tar xf"):
        load_glove(path, words, verbose=0)


@pytest.mark.parametrize("words", [None, ["the"]])
@pytest.mark.parametrize(
    ("name", "data", "what", "command"),
    [
        ("v.txt.xz", lzma.compress(GLOVE.encode()), "xz", "xz -d"),
        ("v.txt.zst", b"\x28\xb5\x2f\xfd" + bytes(range(60)), "zstd", "zstd -d"),
        ("v.7z", b"7z\xbc\xaf\x27\x1c" + bytes(range(60)), "7z", "7z x"),
        (
            "v.txt.lzma",
            lzma.compress(GLOVE.encode(), format=lzma.FORMAT_ALONE),
            "lzma",
            "xz -d",
        ),
        ("v.tgz", gzip.compress(GLOVE.encode()), "gzip", r"does not end in \.gz"),
    ],
)
def test_an_unsupported_compression_is_named_with_how_to_decompress(
    tmp_path, name, data, what, command, words
):
    path = write(tmp_path, data, name)
    pattern = rf"v\.[a-z7.]+ is {what}-compressed.*{command}"
    with pytest.raises(ValueError, match=pattern):
        load_glove(path, words, verbose=0)


def test_a_text_file_whose_first_word_starts_like_a_magic_number_loads(tmp_path):
    # lzip's magic is "LZIP" and then a version byte: a word may start so.
    path = write(tmp_path, "LZIPPED 0.1 0.2\nthe 0.3 0.4\n", "v.txt")
    assert load_glove(path, verbose=0).words == ["LZIPPED", "the"]
