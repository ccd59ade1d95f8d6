"""Raw strings in the model: `tokenize` as TensorFlow string ops, then ids.

For `style="glove"`, a registered `TextSplitter` (`TextVectorization`'s
`split`) runs `tokenize`'s rules with `tf.strings.regex_replace` (RE2) on
each text, then tokenises the whole batch as one string, joined by a byte no
UTF-8 text holds: RE2 costs a fixed amount per call on each string and per
match, so one string and few matches is what makes it fast. The rewrites of
`twoembed.patterns.graph_patterns` put spaces around every token (a run of
single tokens is one match), turn non-ASCII whitespace into spaces and put a
space before each clitic; each copies its whole match (`\\0`), so that RE2
finds every match with its DFA alone, without its slower submatch engines.
The batch is then split on whitespace and cut back into texts at the joining
byte. A batch where the rewrites leave that byte as a token of its own inside
a text (raw bytes, not UTF-8 text) is tokenised text by text, with the same
rewrites.

For `style="whitespace"`, a registered `TextStandardizer` lowercases and runs
the rules, and `TextVectorization` splits on whitespace.

`TextVectorization` then looks the tokens up. It gives padding id 0, OOV id 1
and the vocabulary ids from 2; a registered function moves OOV up to
`vocab.oov_id` and every other id down by one. The patterns are stored as
strings in the saved config, so a reloaded model splits as the saving one did.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from twoembed._checks import check_max_len, check_name
from twoembed.patterns import _OTHER_SPACE, graph_patterns
from twoembed.tokenize import (
    Replacement,
    check_keep,
    check_keep_case,
    check_replacements,
    check_style,
    split_text,
)
from twoembed.vocab import Vocabulary

__all__ = [
    "TextSplitter",
    "TextStandardizer",
    "build_text_encoder",
    "remap_lookup_ids",
]

# Tokens TextVectorization reserves for padding and OOV.
_RESERVED = ("", "[UNK]")


@keras.saving.register_keras_serializable(package="twoembed")
class TextStandardizer:
    """`TextVectorization`'s `standardize`: lowercases ASCII letters (if
    asked), then applies each `(pattern, rewrite)` in order with
    `tf.strings.regex_replace`. Registered, so it reloads in safe mode.

    Example:

    >>> keras.ops.convert_to_numpy(TextStandardizer(True, [["a", "b"]])("A")).item()
    b'b'
    """

    def __init__(self, lowercase: bool, rewrites: Sequence[Sequence[str]]):
        self.lowercase = bool(lowercase)
        self.rewrites = [[str(p), str(r)] for p, r in rewrites]

    def __call__(self, text: Any) -> Any:
        import tensorflow as tf

        if self.lowercase:
            text = tf.strings.lower(text)
        for pattern, rewrite in self.rewrites:
            text = tf.strings.regex_replace(text, pattern, rewrite)
        return text

    def get_config(self) -> dict[str, Any]:
        return {"lowercase": self.lowercase, "rewrites": self.rewrites}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextStandardizer:
        return cls(**config)


def _check_rules(rules: tuple[Replacement, ...]) -> list[list[str]]:
    """The rules as `[pattern, rewrite]`, refusing those RE2 cannot compile."""
    import tensorflow as tf

    rewrites = [[rule.pattern, rule.rewrite] for rule in rules]
    for pattern, rewrite in rewrites:
        try:  # RE2 refuses lookaround and backreferences, which Python accepts
            tf.strings.regex_replace("", pattern, rewrite)
        except tf.errors.OpError as error:
            raise ValueError(
                f"Replacement pattern {pattern!r} does not compile in TensorFlow's "
                f"regex engine (RE2): {error.message}"
            ) from None
    return rewrites


# Joins the texts of a batch: never valid UTF-8, so no pattern matches it.
_JOIN = b"\xff"


@keras.saving.register_keras_serializable(package="twoembed")
class TextSplitter:
    """`TextVectorization`'s `split` for `style="glove"`, a batch at a time.

    Lowercases ASCII letters (if asked), applies each `[pattern, rewrite]` of
    the replacement rules to each text, then tokenises the batch as one string
    with the `tokens` and `clitics` rewrites of
    `twoembed.patterns.graph_patterns`. Registered, so it reloads in safe mode.

    Example:

    >>> from twoembed.patterns import graph_patterns
    >>> patterns = graph_patterns(())
    >>> split = TextSplitter(True, [], patterns.tokens, patterns.clitics)
    >>> split(["It's 3.5!", "Fine"]).to_list()
    [[b'it', b"'s", b'3.5', b'!'], [b'fine']]
    """

    def __init__(
        self,
        lowercase: bool,
        rewrites: Sequence[Sequence[str]],
        tokens: str,
        clitics: str,
    ):
        self.lowercase = bool(lowercase)
        self.rewrites = [[str(p), str(r)] for p, r in rewrites]
        self.tokens = str(tokens)
        self.clitics = str(clitics)

    def _spaced(self, text: Any) -> Any:
        """`text` with its tokens whitespace-separated."""
        import tensorflow as tf

        text = tf.strings.regex_replace(text, self.tokens, " \\0 ")
        text = tf.strings.regex_replace(text, _OTHER_SPACE, " ")
        return tf.strings.regex_replace(text, self.clitics, " \\0")

    def __call__(self, text: Any) -> Any:
        import tensorflow as tf

        text = tf.convert_to_tensor(text, dtype=tf.string)
        if text.shape.rank == 0:  # one text: its tokens, as `tf.strings.split`
            return self(text[None])[0]
        if self.lowercase and self.rewrites:  # `tokenize` lowercases first
            text = tf.strings.lower(text)
        for pattern, rewrite in self.rewrites:
            text = tf.strings.regex_replace(text, pattern, rewrite)
        lower_later = self.lowercase and not self.rewrites  # once, on the batch
        joined = tf.strings.reduce_join(text, separator=b" " + _JOIN + b" ")
        tokens = tf.strings.split(
            self._spaced(tf.strings.lower(joined) if lower_later else joined)
        )
        # The rewrites only add spaces, so each joining byte is still a token of
        # its own; a text whose bytes leave one as a token makes one more.
        is_join = tf.equal(tokens, _JOIN)
        at = tf.where(is_join)[:, 0]
        joins = tf.size(at, out_type=tf.int64)
        texts = tf.shape(text, out_type=tf.int64)[0]

        def from_the_batch() -> Any:
            ends = at - tf.range(joins)  # tokens of the texts before each join
            splits = tf.concat([[0], ends, [tf.size(tokens, tf.int64) - joins]], 0)
            values = tf.boolean_mask(tokens, tf.logical_not(is_join))
            return tf.RaggedTensor.from_row_splits(values, splits, validate=False)

        def text_by_text() -> Any:
            spaced = self._spaced(tf.strings.lower(text) if lower_later else text)
            return tf.strings.split(spaced).with_row_splits_dtype(tf.int64)

        return tf.cond(tf.equal(joins, texts - 1), from_the_batch, text_by_text)

    def get_config(self) -> dict[str, Any]:
        return {
            "lowercase": self.lowercase,
            "rewrites": self.rewrites,
            "tokens": self.tokens,
            "clitics": self.clitics,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextSplitter:
        return cls(**config)


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
    *,
    style: str = "glove",
    keep: Sequence[str] | None = None,
    replacements: Sequence[Replacement | tuple[str, str]] | None = None,
) -> keras.Model:
    """A model from raw strings to the ids `Vocabulary.encode` would give.

    Gives exactly `vocab.encode([tokenize(t, lowercase, style, keep,
    replacements) for t in texts], max_len)` when `max_len` is set, with the
    vocabulary's special tokens added to `keep`. Needs the TensorFlow backend
    (`TextVectorization` is a TensorFlow layer).

    Args:
        vocab: the Vocabulary whose ids to produce.
        max_len: pad or cut every text to this many tokens; None pads to the
            longest text of each batch.
        lowercase: lowercase ASCII letters before splitting.
        name: the model's name.
        style, keep, replacements: as for `twoembed.tokenize`.

    Returns:
        A `keras.Model` taking a string tensor of shape `(batch,)` and
        returning int32 ids of shape `(batch, max_len)`.

    Example:

    >>> vocab = Vocabulary(["great", "movie", "!"], [":)"])
    >>> encoder = build_text_encoder(vocab, max_len=5)
    >>> import numpy as np
    >>> texts = np.array(["Great movie:)! Boring?"], dtype=object)
    >>> keras.ops.convert_to_numpy(encoder(texts)).tolist()
    [[1, 2, 4, 3, 5]]
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(
            f"`vocab` must be a twoembed.Vocabulary. Received: {type(vocab).__name__}"
        )
    max_len = check_max_len(max_len)
    name = check_name(name)
    style = check_style(style)
    rules = check_replacements(replacements)
    keep = check_keep(keep)
    if lowercase:  # the vocabulary's special tokens only get a warning
        check_keep_case(keep, rules)
    keep += tuple(
        t
        for t in vocab.special_tokens
        if t and t not in keep and not any(c.isspace() for c in t)
    )
    tokens = [*vocab.words, *vocab.special_tokens]
    reserved = [t for t in _RESERVED if t in vocab]
    if reserved:
        raise ValueError(
            f"TextVectorization reserves {reserved!r} for padding and OOV; a "
            "vocabulary for raw text cannot hold them as tokens."
        )
    rewrites = _check_rules(rules)
    if style == "glove":
        targets = tuple(r.target for r in rules if r.target not in keep)
        patterns = graph_patterns(keep + targets)
        standardize = None
        split: Any = TextSplitter(
            lowercase, rewrites, patterns.tokens, patterns.clitics
        )
    else:
        standardize, split = TextStandardizer(lowercase, rewrites), "whitespace"

    rule_targets = {rule.target for rule in rules}

    def reachable(token: str) -> bool:  # a clitic such as 's only follows a word
        if token in rule_targets:  # a rule puts it in, whatever its case
            return True
        options = (lowercase, style, keep, rules)
        return split_text(token, *options) == [token] or (
            split_text("x" + token, *options)[1:] == [token]
        )

    unreachable = [t for t in tokens if not reachable(t)]
    if unreachable:
        warnings.warn(
            f"{len(unreachable)} tokens can never come out of the tokeniser "
            f"(style={style!r}, lowercase={lowercase}), e.g. "
            f"{unreachable[:5]!r}: their ids will not appear in raw-text input.",
            stacklevel=2,
        )
    inputs = keras.Input(shape=(), dtype="string", name=f"{name}_text")
    lookup = keras.layers.TextVectorization(
        standardize=standardize,
        split=split,
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
