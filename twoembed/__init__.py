"""twoembed: frozen pretrained word vectors plus trainable special-token vectors.

Example:

>>> import numpy as np, twoembed
>>> vocab = twoembed.Vocabulary(["the", "cat"], ["<url>"])
>>> inputs, outputs = twoembed.build_embedding_block(vocab, np.ones((2, 4)))
"""

from twoembed.block import build_embedding_block
from twoembed.vocab import Vocabulary

__all__ = ["Vocabulary", "build_embedding_block"]
__version__ = "0.1.0"
