"""The two-embedding block: frozen pretrained rows plus trainable special rows.

The graph is the well-known recipe, made correct on Keras 3:

    ids ─ Lambda(map_unknown_ids_to_oov) ─┬─ Embedding(frozen) ───────────────┐
                                          │                                   Add
                                          └─ Lambda(shift_ids) ─ ReLU ─       │
                                             SpecialEmbedding(k+2 rows) ──────┘

Every function, layer, initializer and constraint in it (`twoembed.layers`) is
registered under the package name `twoembed`, so a saved model loads in safe
mode after `import twoembed`, with no `custom_objects`. The frozen table is
filled by `twoembed.fill`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from twoembed._checks import check_max_len, check_name
from twoembed.fill import check_matrix, fill_frozen_table
from twoembed.frozen import FrozenEmbedding, NpyRows, fingerprint_of
from twoembed.layers import (
    PinFirstRow,
    PullToStart,
    SpecialEmbedding,
    ZeroFirstRow,
    map_unknown_ids_to_oov,
    shift_ids,
)
from twoembed.starts import start_rows
from twoembed.vocab import Vocabulary

__all__ = [
    "PinFirstRow",
    "PullToStart",
    "SpecialEmbedding",
    "ZeroFirstRow",
    "build_embedding_block",
    "map_unknown_ids_to_oov",
    "shift_ids",
]


def _as_vocabulary(
    vocab: Vocabulary | Sequence[str], special_tokens: Sequence[str] | None
) -> Vocabulary:
    if isinstance(special_tokens, (str, bytes)):
        raise TypeError(
            "`special_tokens` must be a sequence of strings, not a single string. "
            f"Received: special_tokens={special_tokens!r}"
        )
    if isinstance(vocab, Vocabulary):
        if special_tokens is not None and tuple(special_tokens) != (
            vocab.special_tokens
        ):
            raise ValueError(
                "`special_tokens` does not match the Vocabulary's. Pass None "
                "to use the Vocabulary's, or the same tokens in the same "
                f"order. Received: special_tokens={list(special_tokens)!r}, "
                f"vocab.special_tokens={list(vocab.special_tokens)!r}"
            )
        return vocab
    return Vocabulary(vocab, () if special_tokens is None else special_tokens)


def _referenced_rows(path: Any, vocab: Vocabulary, frozen_dtype: str) -> NpyRows:
    rows = NpyRows(
        path,
        hash_rows=True,
        words=vocab.words,
        frozen_dtype=frozen_dtype,
    )
    if rows.shape[0] != vocab.num_words or rows.shape[1] < 1:
        rows.close()
        raise ValueError(
            f"{rows.path} has shape {rows.shape} but there are {vocab.num_words} "
            f"words: expected shape ({vocab.num_words}, dim), one row per word in "
            "word order, no pad row."
        )
    return rows


def _special_seed(name: str) -> int:
    """The default special rows' seed: the same in every process.

    Keras' unseeded initializers draw a fresh seed per process, so under data
    parallelism over several processes the replicas would start apart (and
    JAX's first `device_put` of the special table fails). Derived from the
    block's name, and from `keras.utils.set_random_seed`'s seed when one is
    set, so seeded runs still vary with the seed.
    """
    from keras.src.utils import rng_utils  # get_random_seed is not exported

    user_seed = getattr(rng_utils, "get_random_seed", lambda: None)()
    return zlib.crc32(f"twoembed:{name}:{user_seed}".encode()) & 0x7FFFFFFF


def _initializer(identifier: Any) -> keras.initializers.Initializer:
    try:
        return keras.initializers.get(identifier)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "`special_initializer` must be a Keras initializer, its name or its "
            f"config. Received: special_initializer={identifier!r:.80} ({error})"
        ) from None


def build_embedding_block(
    vocab: Vocabulary | Sequence[str],
    glove_matrix: Any,
    special_tokens: Sequence[str] | None = None,
    max_len: int | None = None,
    *,
    special_initializer: Any = None,
    special_init: Mapping[Any, Any] | None = None,
    start_pull: float = 0.0,
    frozen_dtype: str = "float32",
    name: str = "twoembed",
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Builds the two-embedding block as a Keras functional graph.

    Normal words get their pretrained vector, frozen; special tokens and OOV
    get a trainable vector. The output carries the mask `ids != 0`.

    Args:
        vocab: a `Vocabulary`, or the list of normal words (then
            `special_tokens` completes the layout of `Vocabulary`).
        glove_matrix: shape `(len(words), dim)`; row `i` is the vector of
            `words[i]`. No pad row. Not modified and not kept. Or the path of
            a `.npy` file of that matrix (`LoadedVectors.save`, `numpy.save`):
            the table is then read from it in chunks, and a saved model keeps
            only its path and fingerprint (see `FrozenEmbedding`).
        special_tokens: the special tokens. None means the Vocabulary's, or
            none when `vocab` is a list of words.
        max_len: fixed sequence length, or None for any length.
        special_initializer: initializer of the special and OOV rows. None
            draws from a normal distribution with the pretrained matrix's
            standard deviation, so new vectors start on the same scale, seeded
            from `name` (and `keras.utils.set_random_seed`'s seed, if set): the
            same start in every process.
        special_init: where chosen rows start, keyed by special token or
            `twoembed.OOV` (the OOV row): a normal word (its pretrained
            vector), a list of normal words (their mean), `"mean"` (the mean
            of all pretrained rows) or a vector of length `dim`. Other rows
            use `special_initializer`; `vocab.starts` (promoted words' starts
            from `LoadedVectors.vocabulary`) is used under this mapping. The
            values reach the model through its weights, not its config.
        start_pull: `λ` of an L2 penalty `λ * ||row - start||**2` on each
            trainable row (`PullToStart`), keeping rarely seen tokens near
            their start. 0 (default) adds nothing; negative is refused.
        frozen_dtype: `"float32"`, or `"float16"` to hold the pretrained table
            in half the memory. Each stored value is then rounded to float16
            (relative error at most 2**-11, about 5e-4); the block's output
            stays float32, and the rounded rows stay exact in training.
        name: prefix of the block's layer names; give each block in a model
            its own.

    Returns:
        `(inputs, outputs)`: int32 ids of shape `(batch, max_len)` and
        vectors of shape `(batch, max_len, dim)`.

    Example:

    >>> vocab = Vocabulary(["the", "cat"], ["<url>"])
    >>> inputs, outputs = build_embedding_block(vocab, np.ones((2, 4)))
    >>> model = keras.Model(inputs, outputs)
    >>> sum(int(np.prod(w.shape)) for w in model.trainable_weights)  # (1 + 2) x 4
    12
    """
    vocab = _as_vocabulary(vocab, special_tokens)
    max_len = check_max_len(max_len)
    name = check_name(name)
    if frozen_dtype not in ("float32", "float16"):
        raise ValueError(
            '`frozen_dtype` must be "float32" or "float16". Received: '
            f"frozen_dtype={frozen_dtype!r}"
        )
    is_file = isinstance(glove_matrix, (str, os.PathLike))
    if is_file:
        matrix = _referenced_rows(glove_matrix, vocab, frozen_dtype)
    else:
        matrix = check_matrix(glove_matrix, vocab, frozen_dtype)
    dim = int(matrix.shape[1])
    try:
        starts = start_rows(
            special_init, vocab, matrix.mapped() if is_file else matrix
        )
        pull = PullToStart(start_pull)  # refuses a bad strength before any layer
        if special_initializer is not None:  # a typo is refused before the fill
            special_initializer = _initializer(special_initializer)
    except (TypeError, ValueError):
        if is_file:
            matrix.close()
        raise
    if special_initializer is None:
        step = max(1, len(matrix) // 10_000)
        # A view, not a copy, of an array; a few rows read from a file.
        is_array = isinstance(matrix, np.ndarray)
        sample = matrix[::step] if is_array else matrix.every(step)
        std = float(np.std(sample)) or 0.05
        special_initializer = keras.initializers.RandomNormal(
            stddev=std, seed=_special_seed(name)
        )

    inputs = keras.Input(shape=(max_len,), dtype="int32", name=f"{name}_ids")
    ids = keras.layers.Lambda(
        map_unknown_ids_to_oov,
        arguments={"oov_id": vocab.oov_id},
        name=f"{name}_known_ids",
    )(inputs)

    pretrained = FrozenEmbedding(
        vocab.size,
        dim,
        embeddings_initializer="zeros",  # filled below, never put in the config
        mask_zero=True,
        dtype=frozen_dtype,  # Add casts its output to the float32 of the rest
        name=f"{name}_pretrained",
    )
    pretrained_vectors = pretrained(ids)
    if isinstance(matrix, NpyRows):
        try:
            fill_frozen_table(pretrained.embeddings, matrix)
            pretrained.source = fingerprint_of(matrix)
        finally:
            matrix.close()
    else:
        fill_frozen_table(pretrained.embeddings, matrix)

    shifted = keras.layers.Lambda(
        shift_ids, arguments={"offset": vocab.num_words}, name=f"{name}_shift"
    )(ids)
    special_ids = keras.layers.Activation("relu", name=f"{name}_clip")(shifted)
    # Rows: 0 = every normal word (pinned at zero), 1..k = specials, k+1 = OOV.
    # mask_zero marks special/OOV positions; Add ORs it with the pretrained
    # mask, giving exactly `ids != 0`. Without a mask here, Add drops both.
    special = SpecialEmbedding(
        len(vocab.special_tokens) + 2,
        dim,
        embeddings_initializer=ZeroFirstRow(special_initializer),
        embeddings_regularizer=pull if pull.strength else None,
        embeddings_constraint=PinFirstRow(),
        mask_zero=True,
        keep_start=True,
        name=f"{name}_special",
    )
    special_vectors = special(special_ids)
    special.set_starts(starts)  # through the weights, never the config

    outputs = keras.layers.Add(name=f"{name}_vectors")(
        [pretrained_vectors, special_vectors]
    )
    return inputs, outputs
