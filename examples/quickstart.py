"""Trains a tiny classifier with the two-embedding block and checks the frozen rows.

Run: python examples/quickstart.py
"""

import keras
import numpy as np

from twoembed import Vocabulary, build_embedding_block

words = ["good", "bad", "movie", "plot", "actor", "boring", "great"]
rng = np.random.default_rng(0)
glove_matrix = rng.normal(size=(len(words), 16)).astype("float32")  # your vectors here

vocab = Vocabulary(words, special_tokens=["<url>", "<smile>"])
inputs, vectors = build_embedding_block(vocab, glove_matrix)
pooled = keras.layers.GlobalAveragePooling1D()(vectors)  # the mask skips padding
model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.summary()

# The label is carried by <smile>, a token with no pretrained vector.
sentences = [
    list(rng.choice([*words, "<url>", "<smile>", "unseen"], size=rng.integers(2, 8)))
    for _ in range(512)
]
labels = np.array([float("<smile>" in s) for s in sentences])
model.fit(vocab.encode(sentences), labels, epochs=20, batch_size=32, verbose=0)
print(f"accuracy: {model.evaluate(vocab.encode(sentences), labels, verbose=0)[1]:.2f}")

block = keras.Model(inputs, vectors)
after = block.predict(np.arange(1, len(words) + 1)[None], verbose=0)[0]
print("pretrained rows unchanged after training:", np.array_equal(after, glove_matrix))
