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
