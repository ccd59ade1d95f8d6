"""Small vector files the loader tests write, and the values they hold."""

from __future__ import annotations

import numpy as np

GLOVE = "the 0.1 0.2 0.3\ncat -1.5 2e-3 4\ndog 7 8 9\n"
THE, CAT, DOG = [0.1, 0.2, 0.3], [-1.5, 2e-3, 4], [7, 8, 9]


def write(tmp_path, text: str | bytes, name: str = "vec.txt"):
    path = tmp_path / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(data)
    return path


def numbered_rows(count: int, dim: int = 3) -> tuple[list[str], np.ndarray, str]:
    rng = np.random.default_rng(count)
    values = rng.normal(0, 1, (count, dim)).astype(np.float32)
    words = [f"w{i}" for i in range(count)]
    text = "".join(
        w + " " + " ".join(repr(float(v)) for v in row) + "\n"
        for w, row in zip(words, values, strict=True)
    )
    return words, values, text


def word2vec_binary(words, matrix, newline: bool = True) -> bytes:
    """The bytes word2vec.c (newline=True) or gensim (False) writes."""
    end = b"\n" if newline else b""
    rows = b"".join(
        w.encode("utf-8") + b" " + np.asarray(v, "<f4").tobytes() + end
        for w, v in zip(words, matrix, strict=True)
    )
    return f"{len(words)} {np.shape(matrix)[1]}\n".encode() + rows


def fasttext_bin(
    words,
    matrix,
    *,
    minn=3,
    maxn=6,
    bucket=50,
    labels=(),
    old=False,
    version=12,
    quantized=False,
    magic=793712314,
) -> bytes:
    """A fastText `.bin` as `FastText::saveModel` lays it out.

    `matrix` holds `len(words) + bucket` input rows.
    """
    import struct

    dim = np.shape(matrix)[1]
    supervised = bool(labels)
    args = struct.pack(
        "<12id",
        dim,
        5,
        5,
        1,
        5,
        1,
        2,
        3 if supervised else 2,
        bucket,
        minn,
        maxn,
        100,
        1e-4,
    )
    entries = [(w, 0) for w in words] + [(label, 1) for label in labels]
    head = struct.pack("<3iq", len(entries), len(words), len(labels), 1000)
    out = b"" if old else struct.pack("<2i", magic, version)
    out += args + head + (b"" if old else struct.pack("<q", -1))
    for token, kind in entries:
        out += token.encode("utf-8") + b"\0" + struct.pack("<qb", 10, kind)
    if not old:
        out += bytes([1 if quantized else 0])
    out += struct.pack("<2q", len(matrix), dim) + np.asarray(matrix, "<f4").tobytes()
    outputs = max(1, len(labels) or len(words))
    if not old:
        out += b"\0"
    out += struct.pack("<2q", outputs, dim) + np.zeros((outputs, dim), "<f4").tobytes()
    return out


def fnv1a(data: bytes) -> int:
    """fastText's `Dictionary::hash`: bytes taken as signed chars."""
    h = 2166136261
    for b in data:
        h = (h ^ ((b - 256 if b > 127 else b) & 0xFFFFFFFF)) * 16777619 & 0xFFFFFFFF
    return h


def fasttext_word_vector(word, words, matrix, minn, maxn, bucket):
    """fastText's `getWordVector`, one word at a time, written from the C++."""
    rows = [words.index(word)] if word in words else []
    wrapped = ("<" + word + ">").encode("utf-8")
    if word != "</s>":
        for i in range(len(wrapped)):
            if wrapped[i] & 0xC0 == 0x80:
                continue
            j, n, gram = i, 1, b""
            while j < len(wrapped) and n <= maxn:
                gram += wrapped[j : j + 1]
                j += 1
                while j < len(wrapped) and wrapped[j] & 0xC0 == 0x80:
                    gram += wrapped[j : j + 1]
                    j += 1
                if n >= minn and not (n == 1 and (i == 0 or j == len(wrapped))):
                    rows.append(len(words) + fnv1a(gram) % bucket)
                n += 1
    if not rows:
        return np.zeros(np.shape(matrix)[1], np.float32)
    return np.mean(np.asarray(matrix, np.float64)[rows], axis=0)
