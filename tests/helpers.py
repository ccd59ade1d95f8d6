"""Shared test helpers: the toy layout, classifiers on it, a fresh-process reload.

Imported by the test modules as `helpers` (pytest puts tests/ on sys.path);
the fixtures built on them are in conftest.py.

Run as a script, it is the fresh process of `assert_reloads_in_fresh_process`:
`python tests/helpers.py MODEL.keras X.npy EXPECTED.npy`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np

import twoembed  # registers the block's functions: all a saved model needs

# Text pieces where the tokeniser's rules meet: the text encoder's tests glue
# them together (and the patterns' tests in pairs).
PIECES = [
    # words, clitics, hyphens, case, non-ASCII letters and marks
    "great", "Great", "MOVIE", "a", "okay", "It's", "don't", "WON'T", "they\u2019re",
    "o'neill", "well-known", "co-op's", "a-n't", "'s", "n't", "été", "Été", "ß", "İ",
    "e\u0301", "日本", "x\u00a0y", "naïve", "Ωmega",
    # punctuation
    ".", ",", "!", "?", '"', "(", ")", "'", "\u2019", "-", "--", "...", ";", "_",
    # numbers
    "3.5", "1,000", "42", "3rd", "mp3", "٣",
    # URLs, addresses, mentions
    "http://x.io/a?b=1", "https://T.co/AbC)", "www.y.com.", "ann@mail.com",
    "@Ann", "U.S.",
    # emoticons and special tokens
    ":)", ":-(", "<3", "<url>", "<URL>", "<user>", "<num>", ":D",
    # whitespace, ASCII and not
    " ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000",
]

WORDS = ["the", "cat", "sat", "on", "mat", "dog"]
SPECIALS = ["<url>", "<user>", "<num>"]
DIM = 4


def block_model(vocab, matrix, max_len=None, **kwargs) -> keras.Model:
    """The block alone: ids -> vectors."""
    inputs, outputs = twoembed.build_embedding_block(
        vocab, matrix, max_len=max_len, **kwargs
    )
    return keras.Model(inputs, outputs)


def classifier(vocab, matrix, max_len=None, name="twoembed") -> keras.Model:
    """Block + masked average pooling + a sigmoid, as a user would build it."""
    inputs, vectors = twoembed.build_embedding_block(
        vocab, matrix, max_len=max_len, name=name
    )
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    outputs = keras.layers.Dense(1, activation="sigmoid")(pooled)
    return keras.Model(inputs, outputs)


def toy_task(vocab, size=64, max_len=6, seed=0):
    """Label 1 iff the sentence holds <url>: only a special vector can learn it."""
    rng = np.random.default_rng(seed)
    tokens = [*vocab.words, *vocab.special_tokens, "unknown-word"]
    batch = [
        list(rng.choice(tokens, size=rng.integers(2, max_len + 1))) for _ in range(size)
    ]
    labels = np.array([float("<url>" in row) for row in batch], dtype="float32")
    return vocab.encode(batch, max_len=max_len), labels


def trained_classifier(vocab, matrix, name="twoembed", epochs=3) -> keras.Model:
    """`classifier` after a few epochs of Adam on `toy_task`."""
    keras.utils.set_random_seed(0)
    model = classifier(vocab, matrix, name=name)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    model.fit(*toy_task(vocab), epochs=epochs, batch_size=16, verbose=0)
    return model


def block_of(model, name="twoembed") -> keras.Model:
    """The block inside a model, as its own model: ids -> vectors."""
    return keras.Model(
        model.get_layer(f"{name}_ids").output,
        model.get_layer(f"{name}_vectors").output,
    )


def all_ids(vocab) -> np.ndarray:
    """Every id of the layout, as one batch of one sequence."""
    return np.arange(vocab.size, dtype="int32")[None, :]


def outputs_of_every_id(model, vocab, name="twoembed") -> np.ndarray:
    """The block's output vector of every id, shape `(vocab.size, dim)`."""
    return block_of(model, name).predict(all_ids(vocab), verbose=0)[0]


def assert_reloads_in_fresh_process(model, x, tmp_path: Path) -> None:
    """Saves `model`, reloads it in a new Python (same Keras backend) that only
    imports twoembed, in safe mode, and checks it predicts exactly the same on `x`.
    """
    model_path, x_path, expected_path = (
        tmp_path / "fresh.keras",
        tmp_path / "fresh_x.npy",
        tmp_path / "fresh_expected.npy",
    )
    model.save(model_path)
    np.save(x_path, x)
    np.save(expected_path, model.predict(x, verbose=0))
    result = subprocess.run(
        [sys.executable, __file__, str(model_path), str(x_path), str(expected_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": keras.backend.backend()},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1:] == [
        f"same predictions under {keras.backend.backend()}"
    ], result.stdout


def _reload_and_compare(model_path: str, x_path: str, expected_path: str) -> None:
    model = keras.models.load_model(model_path)  # safe_mode=True is the default
    np.testing.assert_array_equal(
        model.predict(np.load(x_path), verbose=0), np.load(expected_path)
    )
    print(f"same predictions under {keras.backend.backend()}")


if __name__ == "__main__":
    _reload_and_compare(*sys.argv[1:])
