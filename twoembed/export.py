"""Getting the effective vectors back out of a trained model."""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

from twoembed._files import (
    PathLike,
    atomic_write,
    check_target,
    checked_path,
    same_file,
)
from twoembed.frozen import FrozenEmbedding
from twoembed.layers import shift_ids
from twoembed.vectors import token_reads_back
from twoembed.vocab import Vocabulary

__all__ = ["block_names", "export_vectors", "merged_matrix"]


def _layers(model: keras.Model) -> list[keras.layers.Layer]:
    """All layers of `model`, nested models' layers included, in order."""
    if not isinstance(model, keras.Model):
        hint = (
            " (a path: load it first with keras.models.load_model)"
            if isinstance(model, (str, os.PathLike))
            else ""
        )
        raise TypeError(
            f"`model` must be a keras.Model{hint}. Received: {model!r:.80} of type "
            f"{type(model).__name__}"
        )
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found += _layers(layer)
    return found


def block_names(model: keras.Model) -> list[str]:
    """The names of the two-embedding blocks in `model`, in layer order.

    A block is found by its shift `Lambda`; its name is the `name` given to
    `build_embedding_block` (default "twoembed").
    """
    return [
        layer.name.removesuffix("_shift")
        for layer in _layers(model)
        if isinstance(layer, keras.layers.Lambda) and layer.function is shift_ids
    ]


def merged_matrix(
    model: keras.Model, vocab: Vocabulary, block: str | None = None
) -> np.ndarray:
    """The effective vector of every id: pretrained rows plus learned rows.

    Row `i` equals what the block outputs for id `i`: zeros for padding, the
    pretrained vector for words, the learned vector for special tokens and
    OOV. Works on a model reloaded from `.keras`.

    Args:
        model: a model holding one or more blocks (nested models are searched).
        vocab: the Vocabulary the block was built with.
        block: the block's `name`; may be omitted when the model holds one.

    Returns:
        float32 array of shape `(vocab.oov_id + 1, dim)`.

    Example:

    >>> from twoembed import build_embedding_block
    >>> vocab = Vocabulary(["the", "cat"], ["<url>"])
    >>> model = keras.Model(*build_embedding_block(vocab, np.ones((2, 3))))
    >>> merged_matrix(model, vocab).shape
    (5, 3)
    """
    pretrained_layer, special_layer = find_block(model, vocab, block)
    pretrained = keras.ops.convert_to_numpy(pretrained_layer.embeddings)
    special = keras.ops.convert_to_numpy(special_layer.embeddings)
    merged = pretrained.astype(np.float32, copy=True)
    merged[vocab.num_words + 1 :] += special[1:]
    return merged


def find_block(
    model: keras.Model, vocab: Vocabulary, block: str | None = None
) -> tuple[keras.layers.Embedding, keras.layers.Embedding]:
    """The frozen and the trainable table layers of one block in `model`,
    checked against `vocab`; `block` as in `merged_matrix`."""
    _check_vocab(vocab)
    names = block_names(model)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"Model {model.name!r} holds several blocks named {repeated!r} (nested "
            "models built with the same name); only one could be read. Build each "
            "block with its own `name=`."
        )
    if not names:
        raise ValueError(
            f"Model {model.name!r} holds no twoembed block (no Lambda layer "
            "calling twoembed's shift_ids)."
        )
    if block is None:
        if len(names) > 1:
            raise ValueError(
                f"Model {model.name!r} holds {len(names)} blocks, {names!r}: "
                "pass block=<one of them>."
            )
        block = names[0]
    elif block not in names:
        raise ValueError(
            f"Model {model.name!r} has no block named {block!r}; its blocks "
            f"are {names!r}."
        )
    layers = {layer.name: layer for layer in _layers(model)}
    pretrained, special = layers[f"{block}_pretrained"], layers[f"{block}_special"]
    offset = layers[f"{block}_shift"].arguments["offset"]
    expected = (vocab.num_words, vocab.size, len(vocab.special_tokens) + 2)
    found = (offset, pretrained.input_dim, special.input_dim)
    if found != expected:
        raise ValueError(
            f"The vocabulary does not match block {block!r}: the block has "
            f"{offset} words, {pretrained.input_dim} ids and {special.input_dim - 2} "
            f"special tokens, the vocabulary {vocab.num_words} words, "
            f"{vocab.size} ids and {len(vocab.special_tokens)} special tokens."
        )
    return pretrained, special


def _check_vocab(vocab: Any) -> None:
    if not isinstance(vocab, Vocabulary):
        raise TypeError(
            "`vocab` must be a twoembed.Vocabulary (Vocabulary.load reads a "
            f"saved one). Received: {type(vocab).__name__}"
        )


def _refuse_a_table_of(model: keras.Model, path: str) -> None:
    """A ValueError if `path` is a `.npy` file a frozen table of `model` is
    read from (saved by reference): writing it would destroy the table."""
    for layer in _layers(model):
        if not isinstance(layer, FrozenEmbedding):
            continue
        for table in layer.table_files():
            if same_file(path, table):
                raise ValueError(
                    f"The output {path!r} is the frozen table file {table!r} "
                    f"that {layer.name!r} reads (the model is saved by "
                    "reference to it); writing it would destroy the table. "
                    "Choose another output path."
                )


def export_vectors(
    model: keras.Model,
    vocab: Vocabulary,
    path: PathLike,
    block: str | None = None,
    oov_token: str = "<oov>",
) -> int:
    """Writes the effective vectors as a text vector file; returns rows written.

    A `count dim` header line (word2vec/fastText text format), then one line
    per word and special token, then one for OOV under `oov_token`; padding
    is left out. The file reads back with `twoembed.load_glove`.
    Values are written with 9 significant digits, enough to read back every
    float32 exactly. The file is written beside `path` and renamed over it
    when complete: an existing file at `path` is replaced only then, and an
    interrupted export leaves it as it was. `path` may not be a `.npy` file
    that a frozen table of `model` is read from (a model saved by
    reference): that is a ValueError naming both.
    """
    _check_vocab(vocab)
    if os.path.isdir(checked_path(path)):
        raise ValueError(f"{os.fspath(path)!r} is a directory, not a file to write")
    target = check_target(path)  # before the work: errors name `path`
    if not isinstance(oov_token, str):
        raise TypeError(
            "`oov_token` must be a str. Received: "
            f"oov_token={oov_token!r} of type {type(oov_token).__name__}"
        )
    if oov_token in vocab:
        raise ValueError(
            f"`oov_token` {oov_token!r} is already a token of the vocabulary; "
            "choose another name for the OOV row."
        )
    matrix = merged_matrix(model, vocab, block)
    _refuse_a_table_of(model, target)
    tokens: list[Any] = [*vocab.words, *vocab.special_tokens, oov_token]
    dim = matrix.shape[1]
    bad = [t for t in tokens if not token_reads_back(t, dim)]
    if bad:
        raise ValueError(
            f"{len(bad)} tokens cannot be written as a row that load_glove reads "
            "back (empty, a line break, or spaces followed only by numbers), "
            f"e.g. {bad[:5]!r}"
        )
    line = "%s " + " ".join(["%.9g"] * dim) + "\n"
    with atomic_write(target, "w", encoding="utf-8", newline="\n") as f:
        # A word2vec-style `count dim` header: the reader then knows dim before
        # the first row, whatever that row's token looks like.
        f.write(f"{len(tokens)} {dim}\n")
        for token, row in zip(tokens, matrix[1:].tolist(), strict=True):
            f.write(line % (token, *row))
    return len(tokens)
