import re

import pytest
import tensorflow as tf
from helpers import PIECES

from twoembed.patterns import glove_patterns, graph_patterns


def test_runs_of_single_tokens_are_one_match_and_clitics_get_a_space():
    patterns = graph_patterns((":)",))
    text = "it's a well-known movie :) yes"
    spaced = tf.strings.regex_replace(text, patterns.tokens, "<\\0>")
    assert spaced.numpy().decode() == "<it's a well-known movie ><:)> <yes>"
    text = " it's don't\ta-n't  http://x.io/a's "
    split = tf.strings.regex_replace(text, patterns.clitics, " \\0")
    expected = ["it", "'s", "do", "n't", "a-n't", "http://x.io/a's"]
    assert split.numpy().decode().split() == expected


def test_runs_give_python_the_same_tokens_as_one_match_each():
    keep = (":)", "<3")
    one_each = re.compile(glove_patterns(keep, "re").tokens)
    runs = re.compile(glove_patterns(keep, "re", runs=True).tokens)
    texts = [a + sep + b for a in PIECES for b in PIECES for sep in ("", " ", "\t")]
    assert [" ".join(runs.findall(t)).split() for t in texts] == [
        one_each.findall(t) for t in texts
    ]


@pytest.mark.parametrize("token", ["ok", "2x", "\u00e9t\u00e9", "\u0663"])
def test_a_kept_token_starting_like_a_word_turns_runs_off(token):
    assert graph_patterns((token,)).runs is False
    assert graph_patterns((":)", "<url>", "..", "-)")).runs is True
