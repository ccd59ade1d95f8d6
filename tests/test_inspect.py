import keras
import numpy as np
import pytest

from twoembed import OOV, Vocabulary, build_embedding_block, inspect_rows
from twoembed.cli import main
from twoembed.inspect import nearest_rows

WORDS = ["good", "great", "bad", "awful", "film"]
SPECIALS = [":)", ":("]
DIM = 3


@pytest.fixture
def vocab():
    return Vocabulary(WORDS, SPECIALS)


@pytest.fixture
def matrix():
    return np.array(
        [[1, 0.1, 0], [0.9, 0.2, 0], [-1, 0, 0.1], [-0.9, 0, 0.2], [0, 1, 0]],
        dtype="float32",
    )


def model_with_moved_rows(vocab, matrix):
    """Starts :) at "film", then sets :) near "good" and :( near "bad"."""
    model = keras.Model(
        *build_embedding_block(vocab, matrix, special_init={":)": "film", OOV: "mean"})
    )
    special = model.get_layer("twoembed_special")
    table = keras.ops.convert_to_numpy(special.embeddings).copy()
    table[1] = [2.0, 0.1, 0.0]
    table[2] = [-1.0, 0.0, 0.05]
    special.embeddings.assign(table)
    return model, table


def test_records_give_hits_movement_norm_and_nearest_words(vocab, matrix):
    model, table = model_with_moved_rows(vocab, matrix)
    ids = vocab.encode([[":)", ":)", "good"], [":(", "film", "zyx"]])
    report = inspect_rows(model, vocab, ids=ids, top=2)
    assert [r.token for r in report] == [":)", ":(", None]
    assert [r.id for r in report] == [6, 7, 8]
    assert [r.hits for r in report] == [2, 1, 1]
    smile = report[0]
    assert smile.moved == pytest.approx(np.linalg.norm(table[1] - matrix[4]))
    assert smile.start_cosine == pytest.approx(
        table[1] @ matrix[4] / np.linalg.norm(table[1]) / np.linalg.norm(matrix[4])
    )
    assert smile.norm == pytest.approx(np.linalg.norm(table[1]))
    assert smile.neighbours == ("good", "great")
    assert report[1].neighbours == ("bad", "awful")
    assert report[2].moved == pytest.approx(0.0)  # OOV untouched since its start
    norms = np.linalg.norm(matrix, axis=1)
    assert report.median_norm == pytest.approx(np.median(norms))
    assert smile.as_dict()["neighbours"] == ("good", "great")


def test_report_prints_as_an_aligned_table(vocab, matrix):
    model, _ = model_with_moved_rows(vocab, matrix)
    lines = str(inspect_rows(model, vocab, top=1)).splitlines()
    assert lines[0].split() == [
        "token", "id", "hits", "moved", "cos(start)", "norm", "neighbours"
    ]  # fmt: skip
    assert lines[1].split()[:3] == [":)", "6", "-"] and lines[1].endswith("good")
    assert lines[3].startswith("(OOV)")
    # every number column ends at the same place as its header
    for column in ("id", "moved", "norm"):
        end = lines[0].index(column) + len(column)
        assert all(line[end - 1] != " " and line[end : end + 1] in " " for line in
                   lines[1:4])  # fmt: skip
    assert lines[-1].startswith("pretrained rows' median norm:")


def test_inspect_works_on_a_reloaded_model(vocab, matrix, tmp_path):
    model, _ = model_with_moved_rows(vocab, matrix)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert inspect_rows(reloaded, vocab) == inspect_rows(model, vocab)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"ids": np.array([[1, 9]])}, ValueError, "`ids` holds 9, outside.*\\[0, 8\\]"),
        ({"ids": np.array([-1])}, ValueError, "`ids` holds -1"),
        ({"ids": np.array([0.5])}, TypeError, "integer ids.*dtype=float64"),
        ({"top": 0}, ValueError, "top=0"),
        ({"top": 2.5}, ValueError, "top=2.5"),
    ],
)
def test_bad_inspect_arguments_are_refused(vocab, matrix, kwargs, error, message):
    model, _ = model_with_moved_rows(vocab, matrix)
    with pytest.raises(error, match=message):
        inspect_rows(model, vocab, **kwargs)


def test_chunked_nearest_search_matches_a_full_search():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(103, 8)).astype("float32")
    table[[0, 50]] = 0.0  # zero rows are never neighbours
    queries = rng.normal(size=(4, 8)).astype("float32")
    found, cosines, median = nearest_rows(table, queries, top=5, first=1, chunk_rows=7)
    norms = np.linalg.norm(table, axis=1)
    full = (table @ queries.T).T / np.where(norms > 0, norms, np.inf)
    full /= np.linalg.norm(queries, axis=1, keepdims=True)
    full[:, [0, 50]] = -np.inf
    expected = np.argsort(-full, axis=1)[:, :5]
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(
        cosines, np.take_along_axis(full, expected, axis=1), rtol=1e-5
    )
    assert median == pytest.approx(np.median(norms[1:]))


def test_search_reads_a_keras_variable_chunk_by_chunk():
    table = keras.Variable(np.eye(5, dtype="float32"), trainable=False)
    found, _, _ = nearest_rows(table, np.eye(5)[[3]], top=1, chunk_rows=2)
    assert found.tolist() == [[3]]


def test_command_line_inspect_prints_the_table(vocab, matrix, tmp_path, capsys):
    model, _ = model_with_moved_rows(vocab, matrix)
    model.save(tmp_path / "m.keras")
    vocab.save(tmp_path / "vocab.json")
    np.save(tmp_path / "ids.npy", vocab.encode([[":)", ":(", ":("]]))
    args = [str(tmp_path / "m.keras"), str(tmp_path / "vocab.json")]
    ids = str(tmp_path / "ids.npy")
    assert main(["inspect", *args, "--ids", ids, "--top", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:3] == [":)", "6", "1"] and out[1].endswith("good")
    assert out[2].split()[:3] == [":(", "7", "2"]

    np.save(tmp_path / "bad.npy", np.array([99]))
    assert main(["inspect", *args, "--ids", str(tmp_path / "bad.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("twoembed inspect: error: `ids` holds 99") and "\n" not in err
    assert main(["inspect", *args, "--ids", str(tmp_path / "none.npy")]) == 1
    assert "No ids file at" in capsys.readouterr().err
    assert main(["inspect", *args, "--top", "0"]) == 1
    assert "--top must be at least 1" in capsys.readouterr().err


def test_rows_of_norm_zero_are_never_listed_as_neighbours():
    vocab = Vocabulary(["a", "b", "c"], ["<u>"])
    matrix = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])  # only "b" is nonzero
    model = keras.Model(*build_embedding_block(vocab, matrix))
    for record in inspect_rows(model, vocab, top=3):
        assert record.neighbours == ("b",)
        assert len(record.cosines) == 1 and np.isfinite(record.cosines[0])
