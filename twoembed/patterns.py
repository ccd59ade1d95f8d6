"""The GloVe-style split as regular expressions that both engines read alike.

`twoembed.tokenize` runs them with Python's `re`, `build_text_encoder` with
TensorFlow's RE2 (`tf.strings.regex_replace`). They use no lookaround and no
`\\w`/`\\d`/`\\s`, and spell character classes out code point by code point
from Python's Unicode tables, so both engines match the same text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata

__all__ = ["GlovePatterns", "GraphPatterns", "glove_patterns", "graph_patterns"]

# Python's whitespace (str.isspace), written literally into every class: both
# engines read a literal character the same way.
_SPACES = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())
_NOT_SPACE = f"[^{_SPACES}]"


@functools.cache
def _word_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges of letters, marks and numbers in Python's Unicode
    tables, so that both engines get the same set."""
    inside = [unicodedata.category(chr(i))[0] in "LMN" for i in range(0x110000)]
    ranges, start = [], None
    for i, flag in enumerate([*inside, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            ranges.append((start, i - 1))
            start = None
    return tuple(ranges)


def _char(i: int, engine: str) -> str:
    return f"\\x{{{i:x}}}" if engine == "re2" else f"\\U{i:08x}"


def _word_class(engine: str, top: int = 0x10FFFF) -> str:
    """The word characters up to code point `top`."""
    ranges = [(a, min(b, top)) for a, b in _word_ranges() if a <= top]
    return "[" + "".join(
        _char(a, engine) if a == b else f"{_char(a, engine)}-{_char(b, engine)}"
        for a, b in ranges
    ) + "]"


def _escape(token: str, engine: str) -> str:
    return "".join(_char(ord(c), engine) for c in token)


# A URL ends before closing punctuation: "(see http://x.io)." keeps
# "http://x.io".
_URL_START = "(?:[hH][tT][tT][pP][sS]?://|[wW][wW][wW]\\.)"
_URL = (
    f"{_URL_START}"
    f"(?:{_NOT_SPACE}*[^{_SPACES}.,;:!?'\"\u2019\u201d)\\]}}>])?"
)
_EMAIL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_NUMBER = r"[0-9]+(?:[.,][0-9]+)+"
_ABBREVIATION = r"(?:[A-Za-z]\.){2,}"
_JOINER = "[\\-'\u2019]"
_APOSTROPHE = "['\u2019]"
_ASCII_SPACE = "[ \\t\\n\\v\\f\\r]"
_CLITIC_AFTER_APOSTROPHE = "(?:[sS]|[rR][eE]|[vV][eE]|[lL][lL]|[dD]|[mM])"
_CLITIC = f"[nN]['\u2019][tT]|['\u2019]{_CLITIC_AFTER_APOSTROPHE}"


@dataclasses.dataclass(frozen=True)
class GlovePatterns:
    """The GloVe-style split as two rewrites, for one engine and keep list.

    `tokens` matches one token at a time (leftmost first, as both engines
    do): a kept token (longest first), a URL, an e-mail address, a number
    with separators, an abbreviation such as `u.s.`, a word (letters, marks,
    digits, joined by `-` or an apostrophe), `...`, `--`, or any other single
    non-space character. `clitics` then splits a word token that ends in a
    clitic (`it's` -> `it 's`, `don't` -> `do n't`); it sees the tokens
    space-separated, so it can tell where a token ends without lookahead. Its
    groups are the kept token, the word and the clitic (no kept-token group
    when `keep` is empty); the rewrite puts a space between word and clitic.
    """

    tokens: str
    clitics: str


@functools.cache
def glove_patterns(
    keep: tuple[str, ...],
    engine: str,
    top: int = 0x10FFFF,
    urls: bool = True,
    emails: bool = True,
    numbers: bool = True,
    abbreviations: bool = True,
    runs: bool = False,
) -> GlovePatterns:
    """The patterns for `keep` (already validated), `engine` "re" or "re2".

    Python's `re` tests a class of code points past U+FFFF range by range,
    and tries every alternative in turn, so `tokenize` picks a variant for
    each text: word characters only up to `top` (the text's largest code
    point), no URL, e-mail, number or abbreviation alternative when the text
    has no `://` or `www.`, no `@`, no digit-separator-digit, no `x.y.`. On
    such text each variant matches exactly as the full pattern. `runs` adds
    the run alternative of `GraphPatterns`.
    """
    word_char = _word_class(engine, top)
    word = f"{word_char}+(?:{_JOINER}{word_char}+)*"
    if runs:  # chunks that are one token each, up to ASCII whitespace or the end
        end = "\\z" if engine == "re2" else "\\Z"
        run = f"(?:(?:{word}|{_NOT_SPACE})(?:{_ASCII_SPACE}+|{end}))+"
    kept_tokens = [_escape(k, engine) for k in sorted(keep, key=len, reverse=True)]
    kept = "|".join(kept_tokens)
    alternatives = [
        *kept_tokens,  # one branch each: `re` tests a branch's first character fast
        *([_URL] if urls else []),
        *([_EMAIL] if emails else []),
        *([_NUMBER] if numbers else []),
        *([_ABBREVIATION] if abbreviations else []),
        *([run] if runs else []),
        word,
        r"\.\.+",
        r"--+",
        _NOT_SPACE,
    ]
    tokens = "|".join(f"(?:{a})" for a in alternatives)
    if kept:
        clitics = f" (?:({kept})|({word})({_CLITIC})) "
    else:
        clitics = f" ({word})({_CLITIC}) "
    return GlovePatterns(tokens, clitics)


@dataclasses.dataclass(frozen=True)
class GraphPatterns:
    """The GloVe-style split for RE2 as two rewrites that copy whole matches
    (`\\0`), so that RE2 finds every match with its DFA alone; between them,
    `build_text_encoder` turns non-ASCII whitespace into spaces.

    `tokens` (rewrite `" \\0 "`) is `GlovePatterns.tokens` with one more
    alternative before the word: a run of whitespace-separated chunks that are
    each a single token (a word, or one character), taken as one match. Each
    chunk ends at ASCII whitespace or at the end of the text, and no earlier
    alternative can match at the
    start of such a chunk (a URL needs `://` or `www.`, an e-mail `@`, a
    number or an abbreviation `.` or `,`), so the lexer would give the same
    tokens one match at a time. That holds unless a kept token starts with a
    word character (it could be the start of such a word): then there is no
    run alternative (`runs` is False).

    `clitics` (rewrite `" \\0"`) puts a space before a clitic that ends a
    token (`it's ` -> `it 's `), and consumes the whitespace after it. A kept
    token or a URL that ends in a clitic matches first, from the space in front
    of it (it was matched on its own, so it has one), and is left whole, as is
    a word whose `n't` follows a joiner (matched from its first character,
    since a run may have given it no space of its own).
    """

    tokens: str
    clitics: str
    runs: bool


def _starts_like_a_word(token: str) -> bool:
    return unicodedata.category(token[0])[0] in "LMN"


@functools.cache
def graph_patterns(keep: tuple[str, ...]) -> GraphPatterns:
    """The RE2 rewrites for `keep` (already validated, targets included).

    Example:

    >>> graph_patterns((":)",)).runs, graph_patterns(("ok",)).runs
    (True, False)
    """
    runs = not any(_starts_like_a_word(k) for k in keep)
    tokens = glove_patterns(keep, "re2", runs=runs).tokens
    # Only tokens that end in a clitic need protecting: the others never
    # match, which keeps matches (each costs RE2 a fixed amount) few.
    ends_in_clitic = re.compile(f"(?:{_CLITIC})$")
    kept = [
        _escape(k, "re2")
        for k in sorted(keep, key=len, reverse=True)
        if ends_in_clitic.search(k)
    ]
    end = _ASCII_SPACE  # all whitespace is ASCII by then
    whole = [
        *([f" (?:{'|'.join(kept)}) "] if kept else []),
        f" {_URL_START}[^ ]*(?:{_CLITIC}) ",
        # From the token's first character, the leftmost place it can match.
        f"[^ \\t\\n\\v\\f\\r]*{_JOINER}[nN]{_APOSTROPHE}[tT]{end}",
    ]
    clitics = "|".join(
        [
            *whole,
            f"[nN]{_APOSTROPHE}[tT]{end}",
            f"{_APOSTROPHE}{_CLITIC_AFTER_APOSTROPHE}{end}",
        ]
    )
    return GraphPatterns(tokens, clitics, runs)


# Whitespace the whitespace split does not know (it knows ASCII's).
_OTHER_SPACE = "[" + "".join(c for c in _SPACES if c not in " \t\n\v\f\r") + "]"
