"""twoembed: frozen pretrained word vectors plus trainable special-token vectors.

Importing twoembed registers the block's functions with Keras, so a saved
model loads with `keras.models.load_model` in safe mode.

Example:

>>> import numpy as np, twoembed
>>> vocab = twoembed.Vocabulary(["the", "cat"], ["<url>"])
>>> inputs, outputs = twoembed.build_embedding_block(vocab, np.ones((2, 4)))
"""

from twoembed.block import build_embedding_block
from twoembed.distribution import sharded_layout
from twoembed.export import block_names, export_vectors, merged_matrix
from twoembed.frozen import FrozenEmbedding, table_location
from twoembed.inspect import inspect_rows
from twoembed.text import build_text_encoder
from twoembed.tokenize import Replacement, special_token_rules, tokenize
from twoembed.vectors import LoadedVectors, LoadReport, load_glove, load_vectors
from twoembed.vocab import OOV, Vocabulary

__all__ = [
    "OOV",
    "FrozenEmbedding",
    "LoadReport",
    "LoadedVectors",
    "Replacement",
    "Vocabulary",
    "block_names",
    "build_embedding_block",
    "build_text_encoder",
    "export_vectors",
    "inspect_rows",
    "load_glove",
    "load_vectors",
    "merged_matrix",
    "sharded_layout",
    "special_token_rules",
    "table_location",
    "tokenize",
]
__version__ = "0.2.0.dev0"
