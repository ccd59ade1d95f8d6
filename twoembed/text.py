"""Raw strings in the model: Keras' `TextVectorization` remapped to our id layout.

`TextVectorization` (like `StringLookup`) gives padding id 0, OOV id 1 and the
vocabulary ids from 2. The block needs OOV at the top (`vocab.oov_id`) and
the words from 1, so a registered function moves OOV up and every other id
down by one. `tokenize` is the same tokenisation in Python, for
`Vocabulary.encode`.
"""

from __future__ import annotations

import re
import string
import warnings
from typing import Any

import keras
from keras import ops

from twoembed._checks import check_max_len
from twoembed.vocab import Vocabulary

__all__ = ["build_text_encoder", "remap_lookup_ids", "tokenize"]

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# What TensorFlow's whitespace split splits on: ASCII whitespace only.
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
# Tokens TextVectorization reserves for padding and OOV.
_RESERVED = ("", "[UNK]")


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Splits `text` exactly as `build_text_encoder` does inside the model.

    Lowercases ASCII letters only (as `tf.strings.lower` does) and splits on
    ASCII whitespace (so a non-breaking space stays inside a token).

    Example:

    >>> tokenize("Great  movie :)\\tÉté")
    ['great', 'movie', ':)', 'Été']
    """
    if not isinstance(text, str):
        raise TypeError(
            f"`text` must be a str. Received: text={text!r} of type "
            f"{type(text).__name__}"
        )
    if lowercase:
        text = text.translate(_ASCII_LOWER)
    return [token for token in _ASCII_WHITESPACE.split(text) if token]


@keras.saving.register_keras_serializable(package="twoembed")
def remap_lookup_ids(ids: Any, oov_id: int) -> Any:
    """Maps lookup ids (0 pad, 1 OOV, 2.. tokens) to the block's layout."""
    ids = ops.cast(ids, "int32")
    shifted = ops.where(ops.greater(ids, 1), ids - 1, ids)
    return ops.where(ops.equal(ids, 1), ops.cast(oov_id, "int32"), shifted)


def build_text_encoder(
    vocab: Vocabulary,
    max_len: int | None = None,
    lowercase: bool = True,
    name: str = "text_encoder",
) -> keras.Model:
    """A model from raw strings to the ids `Vocabulary.encode` would give.

    Equivalent to `vocab.encode([tokenize(t, lowercase) for t in texts],
    max_len)` when `max_len` is set. Needs the TensorFlow backend
    (`TextVectorization` is a TensorFlow layer).

    Args:
        vocab: the Vocabulary whose ids to produce.
        max_len: pad or cut every text to this many tokens; None pads to the
            longest text of each batch.
        lowercase: lowercase ASCII letters before splitting.
        name: the model's name.

    Returns:
        A `keras.Model` taking a string tensor of shape `(batch,)` and
        returning int32 ids of shape `(batch, max_len)`.

    Example:

    >>> vocab = Vocabulary(["great", "movie"], [":)"])
    >>> encoder = build_text_encoder(vocab, max_len=4)
    >>> import numpy as np
    >>> texts = np.array(["Great movie :) !"], dtype=object)
    >>> keras.ops.convert_to_numpy(encoder(texts)).tolist()
    [[1, 2, 3, 4]]
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(
            f"`vocab` must be a twoembed.Vocabulary. Received: {type(vocab).__name__}"
        )
    max_len = check_max_len(max_len)
    tokens = [*vocab.words, *vocab.special_tokens]
    reserved = [t for t in _RESERVED if t in vocab]
    if reserved:
        raise ValueError(
            f"TextVectorization reserves {reserved!r} for padding and OOV; a "
            "vocabulary for raw text cannot hold them as tokens."
        )
    unreachable = [t for t in tokens if tokenize(t, lowercase) != [t]]
    if unreachable:
        warnings.warn(
            f"{len(unreachable)} tokens can never come out of the tokeniser "
            f"(lowercase={lowercase}, split on ASCII whitespace), e.g. "
            f"{unreachable[:5]!r}: their ids will not appear in raw-text input.",
            stacklevel=2,
        )
    inputs = keras.Input(shape=(), dtype="string", name=f"{name}_text")
    lookup = keras.layers.TextVectorization(
        standardize="lower" if lowercase else None,
        split="whitespace",
        output_mode="int",
        output_sequence_length=max_len,
        vocabulary=tokens,
        name=f"{name}_lookup",
    )(inputs)
    ids = keras.layers.Lambda(
        remap_lookup_ids,
        arguments={"oov_id": vocab.oov_id},
        name=f"{name}_ids",
    )(lookup)
    return keras.Model(inputs, ids, name=name)
