"""The command line, run as a user runs it: `python -m twoembed ...`."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from twoembed import Vocabulary, load_glove
from twoembed.cli import main
from twoembed.demo import sample_path


def twoembed(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "twoembed", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


# TensorFlow's native log records ("I0000 00:00:1.5 7 port.cc:153] ...") and
# absl's banner before them: what `import tensorflow` writes to stderr.
NATIVE_RECORD = re.compile(r"^[IWEF]\d{4} |^WARNING: All log messages before absl")


def assert_one_line_of_ours(stderr, message):
    """Our message is the last line, and all before it is TensorFlow's start-up.

    TensorFlow 2.21 logs from C++ when it is imported, whatever
    TF_CPP_MIN_LOG_LEVEL says; twoembed lets those lines through (README,
    "Command line"). They are records, each with its continuation lines.
    """
    *before, last = stderr.splitlines()
    assert last == message, stderr
    assert "Traceback" not in stderr, stderr
    assert not any(line.startswith("twoembed") for line in before), stderr
    assert not before or NATIVE_RECORD.match(before[0]), stderr


def test_a_bad_path_from_the_shell_prints_one_line_and_no_traceback(tmp_path):
    result = twoembed("export", "no.keras", "no.json", "out.txt", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_line_of_ours(
        result.stderr, "twoembed export: error: No model file at 'no.keras'"
    )


def test_a_bad_command_line_prints_one_line_and_exits_2(tmp_path):
    result = twoembed("coverage", "vectors.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_line_of_ours(
        result.stderr,
        "twoembed coverage: error: the following arguments are required: "
        "corpus (see --help)",
    )


def test_the_installed_script_prints_one_line_too(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "twoembed")
    if not os.path.exists(script):
        pytest.skip("the twoembed script is not installed next to this Python")
    result = subprocess.run(
        [script, "export", "no.keras", "no.json", "out.txt"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert_one_line_of_ours(
        result.stderr, "twoembed export: error: No model file at 'no.keras'"
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "new-dir"  # the demo creates it
    result = twoembed("demo", "--out", out, "--epochs", "4")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout


def test_demo_reports_coverage_parameters_exact_rows_and_neighbours(demo_dir):
    _, stdout = demo_dir
    assert "found 79 of" in stdout and "token coverage" in stdout
    assert "257 trainable parameters, 2752 frozen" in stdout
    assert "79 of 79 exactly unchanged (largest change 0.0e+00)" in stdout
    for token in ("<url>", "<user>", "<num>", ":)", ":("):
        assert any(line.strip().startswith(token) for line in stdout.splitlines())


def test_demo_writes_model_vocab_and_plots(demo_dir):
    out, _ = demo_dir
    for name in ("training_curves.png", "vectors_pca.png", "row_change.png"):
        with open(out / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    vocab = Vocabulary.load(out / "vocab.json")
    assert vocab.special_tokens == ("<url>", "<user>", "<num>", ":)", ":(")
    assert (out / "model.keras").stat().st_size > 0


def test_export_writes_vectors_that_load_glove_reads(demo_dir, tmp_path):
    out, _ = demo_dir
    result = twoembed(
        "export", out / "model.keras", out / "vocab.json", tmp_path / "v.txt"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    vocab = Vocabulary.load(out / "vocab.json")
    words, matrix = load_glove(tmp_path / "v.txt", verbose=0)
    assert words == [*vocab.words, *vocab.special_tokens, "<oov>"]
    _, pretrained = load_glove(sample_path("vectors.txt"), vocab.words)
    np.testing.assert_array_equal(matrix[: vocab.num_words], pretrained)
    assert f"wrote {len(words)} vectors" in result.stdout


def test_coverage_reports_found_missing_and_token_coverage(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The movie was GREAT zorp\nzorp zorp great\n", encoding="utf-8")
    result = twoembed("coverage", sample_path("vectors.txt"), corpus)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "found 4 of 5 requested words, 1 missing" in result.stdout
    assert "token coverage 62.50% of 8 corpus tokens" in result.stdout
    assert "1 most frequent missing: 'zorp' (3)" in result.stdout


def test_coverage_top_sets_how_many_missing_words_are_listed(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        " ".join(f"w{i} " * (20 - i) for i in range(15)), encoding="utf-8"
    )
    assert (
        main(["coverage", sample_path("vectors.txt"), str(corpus), "--top", "3"]) == 0
    )
    out = capsys.readouterr().out
    assert "3 most frequent missing: 'w0' (20), 'w1' (19), 'w2' (18)" in out
    assert out.count("most frequent missing") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "no.keras", "no.json", "out.txt"], "No model file at 'no.keras'"),
        (["coverage", "no-vectors.txt", "{corpus}"], "no-vectors.txt"),
        (
            ["coverage", "{vectors}", "no-corpus.txt"],
            "No corpus file at 'no-corpus.txt'",
        ),
        (["coverage", "{corpus}", "{corpus}"], "{corpus}"),  # not a vector file
        (["export", "{vectors}", "{vectors}", "out.txt"], "vocabulary"),
        (["demo", "--out", "{corpus}"], "is not a directory"),
        (["demo", "--epochs", "0"], "--epochs must be at least 1"),
        (["bogus"], "invalid choice: 'bogus'"),
        (["demo", "--seed", "-1"], "--seed must be in [0, 2**32). Received: -1"),
        (
            ["coverage", "{vectors}", "{corpus}", "--top", "-2"],
            "--top must be at least 0",
        ),
        (["demo", "--epochs", "x"], "invalid int value: 'x'"),
    ],
)
def test_bad_input_prints_one_line_and_exits_non_zero(
    tmp_path, monkeypatch, capsys, args, message
):
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("just some words\n", encoding="utf-8")
    fill = {"corpus": corpus, "vectors": sample_path("vectors.txt")}
    assert main([a.format(**fill) for a in args]) in (1, 2)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("twoembed")
    assert message.format(**fill) in lines[0]


@pytest.mark.parametrize("command", ["demo", "coverage", "export"])
def test_help_describes_every_command(capsys, command):
    assert main(["--help"]) == 0
    assert command in capsys.readouterr().out
    assert main([command, "--help"]) == 0
    assert "usage: twoembed " + command in capsys.readouterr().out


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "twoembed")
    result = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "demo" in result.stdout


def test_coverage_splits_punctuation_by_default_and_whitespace_on_request(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text('"The movie was great." It was zorp.\n', encoding="utf-8")
    vectors = tmp_path / "v.txt"
    words = ["the", "movie", "was", "great", "it", '"', "."]
    vectors.write_text("".join(f"{w} 1 2\n" for w in words), encoding="utf-8")
    glove = twoembed("coverage", vectors, corpus)
    assert glove.returncode == 0, glove.stderr[-3000:]
    assert "token coverage 90.91% of 11 corpus tokens" in glove.stdout
    assert "would be found" not in glove.stdout
    spaces = twoembed("coverage", vectors, corpus, "--style", "whitespace")
    assert spaces.returncode == 0, spaces.stderr[-3000:]
    assert "token coverage 57.14% of 7 corpus tokens" in spaces.stdout
    assert (
        "2 missing tokens (28.57% of the corpus) would be found with --style glove, "
        """e.g. '"the', 'great."'""" in spaces.stdout
    )
