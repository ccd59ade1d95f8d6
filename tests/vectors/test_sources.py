"""Opening plain, compressed and zipped sources."""

from __future__ import annotations

import bz2
import gzip
import zipfile

import pytest

from twoembed.vectors import load_glove

from .files import GLOVE, write


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


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        load_glove(tmp_path / "nope.txt")


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


def patched_zip(tmp_path, *, method=None, flags=0):
    """A one-member zip with its compression method or flag bits rewritten
    in both headers, as another zip tool (or encryption) would write them."""
    path = tmp_path / "v.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("v.txt", GLOVE)
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        data[at + flag_at] |= flags
        if method is not None:
            data[at + flag_at + 2 : at + flag_at + 4] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("words", [None, ["the"]])
@pytest.mark.parametrize(
    ("method", "flags", "message"),
    [
        (9, 0, r"uses the compression method deflate64 \(9\)"),
        (93, 0, r"uses the compression method zstd \(93\)"),
        (None, 0x01, "is encrypted"),
        (None, 0x41, "is encrypted"),
    ],
)
def test_an_unsupported_zip_method_or_encryption_is_a_value_error_naming_the_member(
    tmp_path, method, flags, message, words
):
    path = patched_zip(tmp_path, method=method, flags=flags)
    pattern = rf"v\.zip: its member 'v\.txt' {message}.*[Uu]nzip it"
    with pytest.raises(ValueError, match=pattern):
        load_glove(path, words, verbose=0)


def test_a_zip_of_a_version_zipfile_cannot_read_is_a_value_error(tmp_path):
    path = patched_zip(tmp_path)
    data = bytearray(path.read_bytes())
    for signature, version_at in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        at = data.index(signature) + version_at
        data[at : at + 2] = (173).to_bytes(2, "little")  # "version 17.3"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"v\.zip is a zip .*17\.3.*Unzip it"):
        load_glove(path, ["the"], verbose=0)
