"""Tokenisation that matches the vectors: GloVe style, or plain whitespace.

GloVe, word2vec and fastText were trained on tokenised text, so `"we`,
`afghanistan.` and `it's` have no vector while `"`, `we`, `afghanistan`, `it`
and `'s` do. `style="glove"` splits text the way the Stanford (PTB) tokeniser
did; `style="whitespace"` only splits on ASCII whitespace.

Every rule is a regular expression of `twoembed.patterns`, written so that
Python's `re` and TensorFlow's RE2 read it the same way, so that
`build_text_encoder` can run the very same patterns inside the model.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence

from twoembed.patterns import _URL, glove_patterns

__all__ = ["STYLES", "Replacement", "special_token_rules", "split_gain", "tokenize"]

STYLES = ("glove", "whitespace")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# What TensorFlow's whitespace split splits on: ASCII whitespace only.
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
# What a text must hold for a URL, a number with separators or an
# abbreviation to match in it (see `glove_patterns`).
_WWW = re.compile("[wW][wW][wW]\\.")
_NUMBER_HINT = re.compile("[0-9][.,][0-9]")
_ABBREVIATION_HINT = re.compile("[A-Za-z]\\.[A-Za-z]\\.")


@dataclasses.dataclass(frozen=True)
class Replacement:
    """A rule: every match of `pattern` becomes the token `target`.

    Rules run on the (lowercased) text before it is split, in order. Text
    matched by a group named `before` stays in front of the target, which lets
    a rule look at the character before its match (RE2 has no lookbehind).
    Write patterns both engines read alike: `[0-9]` rather than `\\d`
    (Python's `\\d`, `\\w`, `\\s` and `\\b` are compiled ASCII-only here, as in
    RE2), no lookaround or backreferences (RE2 refuses them).

    Example:

    >>> tokenize("Call 555-0100 now", replacements=[(r"[0-9]+(-[0-9]+)*", "<tel>")])
    ['call', '<tel>', 'now']
    """

    pattern: str
    target: str

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str):
            raise TypeError(
                "A replacement's pattern must be a str. Received: "
                f"pattern={self.pattern!r} of type {type(self.pattern).__name__}"
            )
        if not isinstance(self.target, str):
            raise TypeError(
                f"The target of replacement {self.pattern!r} must be a str. "
                f"Received: target={self.target!r} of type "
                f"{type(self.target).__name__}"
            )
        if not self.target or any(c.isspace() for c in self.target):
            raise ValueError(
                f"The target of replacement {self.pattern!r} must be a non-empty "
                f"token without whitespace. Received: target={self.target!r}"
            )
        try:
            compiled = re.compile(self.pattern, re.ASCII)
        except re.error as error:
            raise ValueError(
                f"Replacement pattern {self.pattern!r} does not compile: {error}"
            ) from None
        if compiled.match(""):
            raise ValueError(
                f"Replacement pattern {self.pattern!r} matches the empty string, "
                "so it would insert its target everywhere."
            )

    @property
    def rewrite(self) -> str:
        """The replacement in RE2/`re` template syntax (`\\1`, `\\\\`)."""
        target = self.target.replace("\\", "\\\\")
        group = re.compile(self.pattern, re.ASCII).groupindex.get("before")
        if group is None:
            return target
        if group > 9:
            raise ValueError(
                f"In {self.pattern!r}, the group `before` must be among the first "
                "9 groups (RE2 rewrites reach \\1 to \\9 only)."
            )
        return f"\\{group}{target}"


def special_token_rules(
    url: str | None = "<url>",
    user: str | None = "<user>",
    number: str | None = "<num>",
) -> list[Replacement]:
    """Ready rules for URLs, @user mentions and numbers; None leaves one out.

    Name the tokens as your vectors do: glove.twitter writes `<url>`,
    `<user>` and `<number>`. A mention is `@` plus ASCII letters, digits or
    `_` not preceded by one of those (so `ann@mail.com` is left alone); a
    number is digits with `.`/`,` separators (`3.5`, `1,000`), not preceded
    by a letter, digit or `_` (so `mp3` stays, but `3rd` becomes `<num>rd`).

    Example:

    >>> rules = special_token_rules(number="<number>")
    >>> tokenize("@Ann: 3.5 stars http://x.io/a", replacements=rules)
    ['<user>', ':', '<number>', 'stars', '<url>']
    """
    rules = []
    if url is not None:
        rules.append(Replacement(_URL, url))
    if user is not None:
        rules.append(Replacement(r"(?P<before>^|[^A-Za-z0-9_])@[A-Za-z0-9_]+", user))
    if number is not None:
        rules.append(
            Replacement(r"(?P<before>^|[^A-Za-z0-9_])[0-9]+(?:[.,][0-9]+)*", number)
        )
    return rules


@functools.cache
def _compiled(
    keep: tuple[str, ...], top: int, *variant: bool
) -> tuple[re.Pattern, re.Pattern, Callable[[re.Match], str]]:
    patterns = glove_patterns(keep, "re", top, *variant)
    return (
        re.compile(patterns.tokens),
        re.compile(patterns.clitics),
        _clitic_space if keep else _clitic_space_no_kept,
    )


# The clitic rewrite as functions (a template such as " \\1\\2 \\3 " would do
# the same): Python 3.11's `re` expands a template match by match in Python,
# which took a third of `tokenize`'s time.
def _clitic_space(match: re.Match) -> str:
    kept, word, clitic = match.groups("")
    return f" {kept}{word} {clitic} "


def _clitic_space_no_kept(match: re.Match) -> str:
    word, clitic = match.groups()
    return f" {word} {clitic} "


def check_style(style: object) -> str:
    if style not in STYLES:
        raise ValueError(f"`style` must be one of {STYLES}. Received: style={style!r}")
    return style  # type: ignore[return-value]


def check_keep(keep: Iterable[str] | None) -> tuple[str, ...]:
    """`keep` as a tuple of distinct tokens, refusing empty or spaced ones."""
    if keep is None:
        return ()
    if isinstance(keep, (list, tuple)):
        try:  # `tokenize` runs once per text: check a keep list once
            return _checked_keep(tuple(keep))
        except TypeError:  # an unhashable entry, or a refused one: say which
            pass
    return _check_keep(keep)


@functools.lru_cache(maxsize=64)
def _checked_keep(keep: tuple[str, ...]) -> tuple[str, ...]:
    return _check_keep(keep)


def _check_keep(keep: Iterable[str]) -> tuple[str, ...]:
    if isinstance(keep, (str, bytes)):
        raise TypeError(
            f"`keep` must be a sequence of strings, not a single string. "
            f"Received: keep={keep!r}"
        )
    checked = []
    for position, token in enumerate(keep):
        if not isinstance(token, str):
            raise TypeError(
                f"Every entry of `keep` must be a str. Received: keep[{position}]="
                f"{token!r} of type {type(token).__name__}"
            )
        if not token or any(c.isspace() for c in token):
            raise ValueError(
                "Every entry of `keep` must be a non-empty token without "
                f"whitespace. Received: keep[{position}]={token!r}"
            )
        if token not in checked:
            checked.append(token)
    return tuple(checked)


@functools.lru_cache(maxsize=64)
def check_keep_case(keep: tuple[str, ...], rules: tuple[Replacement, ...] = ()) -> None:
    """Refuses, when the text is lowercased, a kept token with an ASCII
    capital: the lowercased text could never hold it, unless it is the target
    of one of `rules` (put in after lowercasing)."""
    targets = {rule.target for rule in rules}
    for position, token in enumerate(keep):
        if token not in targets and any("A" <= c <= "Z" for c in token):
            raise ValueError(
                "With lowercase=True the text is lowercased before kept tokens are "
                f"matched, so keep[{position}]={token!r} could never match; pass "
                f"{token.translate(_ASCII_LOWER)!r}, or lowercase=False."
            )


def check_replacements(
    replacements: Iterable[Replacement | tuple[str, str]] | None,
) -> tuple[Replacement, ...]:
    """Rules as `Replacement`s; plain `(pattern, target)` pairs are accepted."""
    if replacements is None:
        return ()
    if isinstance(replacements, (str, bytes, Replacement)):
        raise TypeError(
            "`replacements` must be a sequence of rules. Received: "
            f"replacements={replacements!r}"
        )
    rules = []
    for rule in replacements:
        if isinstance(rule, Replacement):
            rules.append(rule)
        elif isinstance(rule, (tuple, list)) and len(rule) == 2:
            rules.append(Replacement(*rule))
        else:
            raise TypeError(
                "Every replacement must be a Replacement or a (pattern, target) "
                f"pair. Received: {rule!r}"
            )
    return tuple(rules)


@functools.cache
def _compiled_rule(pattern: str, rewrite: str) -> tuple[re.Pattern, str]:
    return re.compile(pattern, re.ASCII), rewrite


def tokenize(
    text: str,
    lowercase: bool = True,
    style: str = "glove",
    keep: Sequence[str] | None = None,
    replacements: Sequence[Replacement | tuple[str, str]] | None = None,
) -> list[str]:
    """Splits `text` into tokens, exactly as `build_text_encoder` does.

    Args:
        text: the text.
        lowercase: lowercase ASCII letters first (as `tf.strings.lower`).
        style: `"glove"` splits punctuation from words and clitics as the
            Stanford tokeniser does, keeping hyphenated words, numbers such
            as `3.5`, URLs and e-mail addresses whole; `"whitespace"` only
            splits on ASCII whitespace.
        keep: tokens never split, such as `":)"` (longest match first; with
            `style="whitespace"` nothing is split anyway).
        replacements: rules run before splitting (see `Replacement` and
            `special_token_rules`); their targets are kept whole.

    Example:

    >>> tokenize('"It\\'s 3.5 stars," she said :)', keep=[":)"])
    ['"', 'it', "'s", '3.5', 'stars', ',', '"', 'she', 'said', ':)']
    >>> tokenize("Great  movie :)", style="whitespace")
    ['great', 'movie', ':)']
    """
    if not isinstance(text, str):
        raise TypeError(
            f"`text` must be a str. Received: text={text!r} of type "
            f"{type(text).__name__}"
        )
    style = check_style(style)
    keep = check_keep(keep)
    rules = check_replacements(replacements)
    if lowercase and keep:  # checked once per keep list and rules (cached)
        check_keep_case(keep, rules)
    return split_text(text, lowercase, style, keep, rules)


def split_text(
    text: str,
    lowercase: bool,
    style: str,
    keep: tuple[str, ...],
    rules: tuple[Replacement, ...],
) -> list[str]:
    """`tokenize` on arguments already checked; a kept token may hold capitals
    (they never match lowercased text)."""
    if lowercase:
        text = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
    for rule in rules:
        pattern, rewrite = _compiled_rule(rule.pattern, rule.rewrite)
        text = pattern.sub(rewrite, text)
    if style == "whitespace":
        return [token for token in _ASCII_WHITESPACE.split(text) if token]
    targets = tuple(r.target for r in rules if r.target not in keep)
    if text.isascii():
        top = 0x7F
    elif text and max(text) <= "\uffff":
        top = 0xFFFF
    else:
        top = 0x10FFFF
    tokens_re, clitics_re, rewrite = _compiled(
        keep + targets,
        top,
        "://" in text or _WWW.search(text) is not None,
        "@" in text,
        _NUMBER_HINT.search(text) is not None,
        _ABBREVIATION_HINT.search(text) is not None,
    )
    tokens = tokens_re.findall(text)
    if "'" in text or "\u2019" in text:
        spaced = clitics_re.sub(rewrite, " " + "  ".join(tokens) + " ")
        return spaced.split()
    return tokens


def split_gain(
    missing_counts: Iterable[tuple[str, int]],
    has_vector: Mapping[str, object] | Iterable[str],
    lowercase: bool = True,
) -> tuple[int, list[str]]:
    """How many missing corpus tokens GloVe-style splitting would cover.

    A missing whitespace token counts when its GloVe-style pieces differ from
    it and all have vectors (`"we` -> `"`, `we`). Returns the number of
    corpus tokens so recovered and the most frequent such words.

    Example:

    >>> split_gain([('"we', 5), ("zzz", 3), ("it's", 2)], {"we", '"', "it", "'s"})
    (7, ['"we', "it's"])
    """
    found = (
        has_vector
        if isinstance(has_vector, (Mapping, set, frozenset))
        else set(has_vector)
    )
    total, words = 0, []
    for word, count in missing_counts:
        pieces = tokenize(word, lowercase=lowercase, style="glove")
        if pieces != [word] and pieces and all(p in found for p in pieces):
            total += count
            words.append(word)
    return total, words
