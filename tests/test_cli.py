"""The command line, run as a user runs it: `python -m twoembed ...`."""

import os
import re
import subprocess
import sys
import time
import zipfile

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
    assert "257 trainable parameters, 2976 frozen" in stdout  # 2752 + 7 x 32 starts
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


def test_coverage_reads_binary_vector_files(tmp_path, capsys):
    from vectors.files import fasttext_bin, word2vec_binary

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat cat zorp\n", encoding="utf-8")
    words, matrix = ["the", "cat"], np.ones((2, 3), np.float32)
    w2v = tmp_path / "v.bin"
    w2v.write_bytes(word2vec_binary(words, matrix))
    assert main(["coverage", str(w2v), str(corpus)]) == 0
    assert "found 2 of 3 requested words, 1 missing" in capsys.readouterr().out
    ft = tmp_path / "m.bin"
    ft.write_bytes(fasttext_bin(words, np.ones((2 + 10, 3)), bucket=10))
    assert main(["coverage", str(ft), str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "2 found, 1 built from subwords, 0 missing" in out


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


def test_version_is_the_installed_package_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"twoembed {version('twoembed')}\n"


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "twoembed")
    result = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "demo" in result.stdout


@pytest.mark.parametrize("out", ["{model}", "./{model}", "{vocab}", "link.keras"])
def test_export_refuses_to_write_over_its_model_or_vocabulary(
    tmp_path, monkeypatch, capsys, out
):
    monkeypatch.chdir(tmp_path)
    model, vocab = tmp_path / "m.keras", tmp_path / "v.json"
    model.write_bytes(b"a trained model")
    vocab.write_bytes(b"its vocabulary")
    os.symlink(model, tmp_path / "link.keras")
    out = out.format(model="m.keras", vocab="v.json")
    assert main(["export", "m.keras", "v.json", out]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"twoembed export: error: The output {out!r} is the ")
    assert model.read_bytes() == b"a trained model"
    assert vocab.read_bytes() == b"its vocabulary"


def test_export_help_says_an_existing_output_is_replaced_only_when_complete(capsys):
    assert main(["export", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "an existing OUT is replaced only by a complete file" in text
    assert "OUT may not be MODEL, VOCAB or the .npy table MODEL is saved" in text


def test_demo_into_an_unwritable_directory_fails_before_training(capsys):
    started = time.monotonic()
    assert main(["demo", "--out", "/proc"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no coverage report, no training
    assert captured.err.startswith("twoembed demo: error: Cannot write into --out")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("writer", "victim"),
    [("keras.Model.save", "model.keras"), ("Figure.savefig", "training_curves.png")],
)
def test_ctrl_c_while_the_demo_saves_keeps_the_previous_file(
    tmp_path, monkeypatch, capsys, writer, victim
):
    import keras
    from matplotlib.figure import Figure

    owner = {"keras.Model.save": keras.Model, "Figure.savefig": Figure}[writer]

    def interrupted(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"trunc")
        raise KeyboardInterrupt

    monkeypatch.setattr(owner, writer.rsplit(".", 1)[1], interrupted)
    (tmp_path / victim).write_bytes(b"the previous good file")
    assert main(["demo", "--out", str(tmp_path), "--epochs", "1"]) == 130
    assert capsys.readouterr().err == "twoembed: interrupted\n"
    assert (tmp_path / victim).read_bytes() == b"the previous good file"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]


def test_coverage_member_picks_a_file_of_a_zip_with_several(tmp_path, capsys):
    archive = tmp_path / "vectors.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("vectors.50d.txt", "movie 0.1 0.2\ngreat 0.3 0.4\n")
        z.writestr("vectors.300d.txt", "movie 0.1 0.2 0.3\n")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("movie great zorp\n", encoding="utf-8")
    assert main(["coverage", str(archive), str(corpus)]) == 1
    assert "--member" in capsys.readouterr().err
    for member, found in [("vectors.50d.txt", 2), ("50", 2), ("300", 1)]:
        assert main(["coverage", str(archive), str(corpus), "--member", member]) == 0
        assert f"found {found} of 3 requested words" in capsys.readouterr().out


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


@pytest.mark.parametrize(
    ("model", "ids", "message"),
    [
        (b"not a zip", None, "is not a .keras file"),
        (b"", None, "is not a .keras file"),
        ("cut", None, "is not a .keras file"),
        (None, "npz", "ids.npy' as a .npy array of ids: not a .npy file"),
        (None, "text", "ids.npy' as a .npy array of ids: not a .npy file"),
        (None, "dir", "ids.npy' is a directory, not a ids file"),
    ],
    ids=["not-a-zip", "empty", "cut-short", "ids-npz", "ids-text", "ids-dir"],
)
def test_unreadable_model_or_ids_files_are_named_with_what_is_wrong(
    demo_dir, tmp_path, capsys, model, ids, message
):
    demo_dir, _ = demo_dir
    model_path = str(demo_dir / "model.keras")
    if model is not None:
        model_path = str(tmp_path / "m.keras")
        whole = (demo_dir / "model.keras").read_bytes()
        with open(model_path, "wb") as f:
            f.write(whole[: len(whole) // 2] if model == "cut" else model)
    args = ["inspect", model_path, str(demo_dir / "vocab.json")]
    if ids is not None:
        path = tmp_path / "ids.npy"
        if ids == "npz":
            with open(path, "wb") as f:
                np.savez(f, ids=np.zeros(3, "int32"))
        elif ids == "text":
            path.write_text("1 2 3\n")
        else:
            path.mkdir()
        args += ["--ids", str(path)]
    assert main(args) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_export_to_an_empty_path_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    (tmp_path / "cwd" / "m.keras").write_bytes(b"a trained model")
    (tmp_path / "cwd" / "v.json").write_bytes(b"its vocabulary")
    assert main(["export", "m.keras", "v.json", ""]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "twoembed export: error: OUT is empty: name the text file to write. "
        "Received: ''"
    )
    assert os.listdir(tmp_path) == ["cwd"]
    assert sorted(os.listdir(tmp_path / "cwd")) == ["m.keras", "v.json"]


def test_export_refuses_to_write_over_the_table_its_model_is_saved_by_reference_to(
    tmp_path, monkeypatch, capsys
):
    import keras

    from twoembed import build_embedding_block

    monkeypatch.chdir(tmp_path)
    vocab = Vocabulary(["the", "cat"], ["<url>"])
    np.save("table.npy", np.arange(6, dtype="float32").reshape(2, 3))
    keras.Model(*build_embedding_block(vocab, "table.npy")).save("m.keras")
    vocab.save("v.json")
    before = (tmp_path / "table.npy").read_bytes()
    assert main(["export", "m.keras", "v.json", "table.npy"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "twoembed export: error: The output 'table.npy' is the frozen table file "
        f"{str(tmp_path / 'table.npy')!r}"
    )
    assert (tmp_path / "table.npy").read_bytes() == before
    assert main(["export", "m.keras", "v.json", "v.txt"]) == 0


def test_output_into_a_pipe_closed_early_exits_quietly_with_141(tmp_path):
    corpus = tmp_path / "corpus.txt"
    words = " ".join(f"zq{i}" for i in range(20000))  # missing: a long report
    corpus.write_text(f"the movie {words}\n", encoding="utf-8")
    command = ["coverage", sample_path("vectors.txt"), corpus, "--top", "50000"]
    reader = subprocess.Popen(
        [sys.executable, "-m", "twoembed", *map(str, command)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert len(reader.stdout.read(50)) == 50  # what `| head -c 50` reads
        reader.stdout.close()
        stderr = reader.stderr.read().decode()
        assert reader.wait(timeout=600) == 141, stderr
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
        reader.stderr.close()
    assert "Broken pipe" not in stderr and "Traceback" not in stderr, stderr
    assert not any(line.startswith("twoembed") for line in stderr.splitlines())


def test_coverage_reads_its_corpus_from_a_pipe(tmp_path, capsys):
    # `twoembed coverage v.txt <(zcat corpus.gz)`: the corpus is read once.
    vectors = tmp_path / "v.txt"
    vectors.write_text("the 1 2\ncat 3 4\n", encoding="utf-8")
    read_end, write_end = os.pipe()
    os.write(write_end, b"the cat zorp\n")
    os.close(write_end)
    try:
        assert main(["coverage", str(vectors), f"/dev/fd/{read_end}"]) == 0
    finally:
        os.close(read_end)
    assert "token coverage 66.67% of 3 corpus tokens" in capsys.readouterr().out


def test_coverage_refuses_a_directory_as_its_corpus(tmp_path, capsys):
    assert main(["coverage", sample_path("vectors.txt"), str(tmp_path)]) == 1
    assert "is a directory; give a UTF-8 text file" in capsys.readouterr().err


@pytest.mark.parametrize("style", ["glove", "whitespace"])
def test_coverage_does_not_count_a_leading_byte_order_mark(tmp_path, capsys, style):
    vectors = tmp_path / "v.txt"
    vectors.write_text("the 1 2\ncat 3 4\n", encoding="utf-8")
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"\xef\xbb\xbfthe cat\n")
    assert main(["coverage", str(vectors), str(corpus), "--style", style]) == 0
    assert "token coverage 100.00% of 2 corpus tokens" in capsys.readouterr().out


def test_coverage_says_on_which_line_a_corpus_is_not_utf8(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"good words\n" * 5000 + b"caf\xe9 au lait\n")
    assert main(["coverage", sample_path("vectors.txt"), str(corpus)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "is not UTF-8 text: line 5001 (byte offset 55003)" in line, line


def test_coverage_tokenises_a_long_line_in_bounded_pieces(
    tmp_path, capsys, monkeypatch
):
    # text8 is one line of 100 MB; tokenised whole, a line costs about 19
    # times its size.
    import twoembed._corpus

    longest = []

    def recording(text, **options):
        longest.append(len(text))
        return tokenize(text, **options)

    tokenize = twoembed._corpus.tokenize
    monkeypatch.setattr(twoembed._corpus, "tokenize", recording)
    corpus = tmp_path / "text8"
    corpus.write_text("the cat " * 300_000, encoding="utf-8")  # 2.4 MB, one line
    assert main(["coverage", sample_path("vectors.txt"), str(corpus)]) == 0
    assert "of 600000 corpus tokens" in capsys.readouterr().out
    assert len(longest) >= 3 and max(longest) <= twoembed._corpus.PIECE_BYTES
