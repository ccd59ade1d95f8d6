"""Fixtures shared by the test modules; the helpers they use are in helpers.py.

Tests marked `backends` hold for every Keras backend: `pytest` runs them under
TensorFlow with the rest, and README's test command runs them again with
`KERAS_BACKEND=jax pytest -m backends` and `KERAS_BACKEND=torch ...`.

Keras, and everything that imports it, is imported inside the hooks and
fixtures: with `KERAS_BACKEND=torch` and no torch, importing Keras fails,
and `pytest_configure` must get to say why first.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")


def pytest_configure(config: pytest.Config) -> None:
    if BACKEND == "torch" and importlib.util.find_spec("torch") is None:
        # torch is no test dependency (a large wheel): its run is skipped where
        # it is not installed, saying so. jax is one, so a missing jax fails.
        pytest.exit("KERAS_BACKEND=torch but torch is not installed: skipped", 0)
    if os.environ.get("TWOEMBED_TEST_CPUS"):
        # test_backends' MirroredStrategy test reruns itself with this set:
        # logical devices must be made before TensorFlow first starts.
        import tensorflow as tf

        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()]
            * int(os.environ["TWOEMBED_TEST_CPUS"]),
        )


def pytest_report_header() -> str:
    import keras

    return f"Keras backend: {keras.backend.backend()}"


@pytest.fixture
def vocab():
    """Six normal words and three special tokens (`helpers.WORDS`, `SPECIALS`)."""
    from helpers import SPECIALS, WORDS

    from twoembed import Vocabulary

    return Vocabulary(WORDS, SPECIALS)


@pytest.fixture
def matrix():
    """Their pretrained vectors: one float32 row of `helpers.DIM` per word."""
    import numpy as np
    from helpers import DIM, WORDS

    return np.random.default_rng(0).normal(size=(len(WORDS), DIM)).astype("float32")
