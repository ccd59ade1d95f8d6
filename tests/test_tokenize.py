import pytest

from twoembed import Replacement, special_token_rules, tokenize
from twoembed.tokenize import split_gain


@pytest.mark.parametrize(
    "text, tokens",
    [
        ('"We left."', ['"', "we", "left", ".", '"']),
        ("Afghanistan, meanwhile;", ["afghanistan", ",", "meanwhile", ";"]),
        (
            "it's they're we've you'll he'd i'm",
            [
                "it",
                "'s",
                "they",
                "'re",
                "we",
                "'ve",
                "you",
                "'ll",
                "he",
                "'d",
                "i",
                "'m",
            ],
        ),
        ("don't can't WON'T", ["do", "n't", "ca", "n't", "wo", "n't"]),
        ("it\u2019s", ["it", "\u2019s"]),
        ("o'neill rock'n'roll", ["o'neill", "rock'n'roll"]),
        ("well-known co-op's", ["well-known", "co-op", "'s"]),
        ("3.5 1,000 1,000.50 3rd 42.", ["3.5", "1,000", "1,000.50", "3rd", "42", "."]),
        ("(see http://x.io/a?b=1).", ["(", "see", "http://x.io/a?b=1", ")", "."]),
        ("www.example.com, ok", ["www.example.com", ",", "ok"]),
        ("mail ann.b@mail.co.uk!", ["mail", "ann.b@mail.co.uk", "!"]),
        (
            "the U.S. e.g. wait... -- no",
            ["the", "u.s.", "e.g.", "wait", "...", "--", "no"],
        ),
        ("'90s 'sup", ["'", "90s", "'", "sup"]),
        ("Été\u00a0à Paris!!", ["Été", "à", "paris", "!", "!"]),
        ("e\u0301t\u00e9 日本語", ["e\u0301t\u00e9", "日本語"]),
        (":) <url>", [":", ")", "<", "url", ">"]),
        ("", []),
    ],
)
def test_glove_style_splits_punctuation_and_clitics_like_the_stanford_tokeniser(
    text, tokens
):
    assert tokenize(text, style="glove") == tokens


def test_glove_is_the_default_style():
    assert tokenize("Hi, you.") == tokenize("Hi, you.", style="glove")


def test_whitespace_style_lowercases_ascii_only_and_splits_on_ascii_whitespace():
    assert tokenize("Great\tMOVIE\u00a0Été  x\ny", style="whitespace") == [
        "great",
        "movie\u00a0Été",
        "x",
        "y",
    ]
    assert tokenize("Great", lowercase=False, style="whitespace") == ["Great"]
    assert tokenize("   ", style="whitespace") == []


def test_lowercase_false_keeps_case_and_still_splits_clitics():
    assert tokenize("IT'S Paris.", lowercase=False) == ["IT", "'S", "Paris", "."]


def test_keep_holds_tokens_whole_longest_first():
    keep = [":)", ":-)", ":-", "<url>"]
    assert tokenize("fun:-) yes:) <url>.", keep=keep) == [
        "fun",
        ":-)",
        "yes",
        ":)",
        "<url>",
        ".",
    ]


def test_keep_matches_where_a_token_starts_even_inside_letters():
    # Documented: ":p" is found in ":pizza" too; a word already begun is not cut.
    assert tokenize(":pizza top:p", keep=[":p"]) == [":p", "izza", "top", ":p"]


def test_special_token_rules_replace_urls_mentions_and_numbers():
    rules = special_token_rules()
    text = "@Ann: 3.5 of 1,000 at http://x.io/a, mail ann@x.com mp3 3rd"
    assert tokenize(text, replacements=rules) == [
        "<user>",
        ":",
        "<num>",
        "of",
        "<num>",
        "at",
        "<url>",
        ",",
        "mail",
        "ann@x.com",
        "mp3",
        "<num>",
        "rd",
    ]


def test_rule_names_are_configurable_and_rules_can_be_left_out():
    rules = special_token_rules(url=None, user="<USER>", number="<number>")
    assert tokenize("@bob 42 http://x.io", replacements=rules) == [
        "<USER>",
        "<number>",
        "http://x.io",
    ]


def test_rules_are_off_by_default():
    assert tokenize("@bob 42") == ["@", "bob", "42"]


def test_a_rule_with_a_before_group_keeps_what_it_matched():
    rule = Replacement(r"(?P<before>[a-z])#[a-z]+", "<tag>")
    assert tokenize("x#foo #bar", replacements=[rule], style="whitespace") == [
        "x<tag>",
        "#bar",
    ]


def test_rule_targets_are_kept_whole_and_may_hold_backslashes():
    assert tokenize("a42b", replacements=[("[0-9]+", "<n\\um>")]) == [
        "a",
        "<n\\um>",
        "b",
    ]


def test_rules_compile_ascii_only_as_re2_does():
    # \d is ASCII here, as in TensorFlow: an Arabic-Indic digit is not replaced.
    assert tokenize("7 \u0663", replacements=[(r"\d", "<d>")]) == ["<d>", "\u0663"]


def test_split_gain_counts_missing_tokens_that_splitting_would_find():
    missing = [('"we', 5), ("zzz", 3), ("it's", 2), ("zzz.", 4)]
    assert split_gain(missing, {"we", '"', "it", "'s", "."}) == (7, ['"we', "it's"])


def test_tokenize_refuses_non_strings():
    with pytest.raises(TypeError, match="text=b'x'"):
        tokenize(b"x")


def test_tokenize_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="style='ptb'"):
        tokenize("x", style="ptb")


@pytest.mark.parametrize("entry", ["", "a b", "\u00a0"])
def test_keep_refuses_empty_or_spaced_entries(entry):
    with pytest.raises(ValueError, match=r"keep\[1\]"):
        tokenize("x", keep=[":)", entry])


def test_a_kept_token_with_capitals_is_refused_when_the_text_is_lowercased():
    with pytest.raises(
        ValueError, match=r"keep\[1\]=':D' could never match; pass ':d'"
    ):
        tokenize("a :D b", keep=[":)", ":D"])
    assert tokenize("a :D b", keep=[":D"], lowercase=False) == ["a", ":D", "b"]
    assert tokenize("a :D b", keep=[":d"]) == ["a", ":d", "b"]
    # A rule's target is put in after lowercasing: kept with its capitals.
    rule = [("http://[^ ]*", "<URL>")]
    assert tokenize("see http://x.io", keep=["<URL>"], replacements=rule) == [
        "see",
        "<URL>",
    ]


def test_keep_refuses_non_strings():
    with pytest.raises(TypeError, match=r"keep\[0\]=3"):
        tokenize("x", keep=[3])
    with pytest.raises(TypeError, match=r"keep\[1\]=\[':\)'\] of type list"):
        tokenize("x", keep=(":(", [":)"]))  # unhashable, so not from the cache
    with pytest.raises(ValueError, match=r"keep\[0\]=' '"):
        tokenize("x", keep=(" ",))
    with pytest.raises(TypeError, match="single string"):
        tokenize("x", keep=":)")


def test_replacement_refuses_a_pattern_that_does_not_compile():
    with pytest.raises(ValueError, match=r"'\(unclosed' does not compile"):
        tokenize("x", replacements=[("(unclosed", "<x>")])


def test_replacement_refuses_a_non_string_target():
    with pytest.raises(TypeError, match="target=None"):
        tokenize("x", replacements=[("x", None)])


def test_replacement_refuses_a_pattern_matching_the_empty_string():
    with pytest.raises(ValueError, match="empty string"):
        Replacement("x*", "<x>")


def test_replacements_refuse_a_malformed_rule():
    with pytest.raises(TypeError, match="pair"):
        tokenize("x", replacements=[("x", "<x>", "extra")])
