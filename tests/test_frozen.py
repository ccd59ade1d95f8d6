"""The frozen table's layer: saved as an asset (self-contained) or by reference
to its `.npy` file, checked on load."""

import os
import shutil
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import twoembed
from twoembed import fill
from twoembed.cli import main
from twoembed.frozen import FrozenEmbedding, NpyRows, npy_fingerprint

DATA = Path(__file__).parent / "data"
WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog"]


@pytest.fixture
def matrix():
    return np.random.default_rng(0).normal(size=(7, 4)).astype("float32")


@pytest.fixture
def vocab():
    return twoembed.Vocabulary(WORDS, ["<url>", "<user>"])


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(fill, "_FILL_CHUNK_ROWS", 3)  # 7 rows: 3 + 3 + 1


def build_model(vocab, source, **kwargs):
    keras.utils.set_random_seed(0)
    inputs, vectors = twoembed.build_embedding_block(vocab, source, **kwargs)
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    return keras.Model(inputs, keras.layers.Dense(1)(pooled))


def all_ids(vocab):
    return np.arange(-1, vocab.size + 1)[None].astype("int32")


def frozen_table(model):
    return model.get_layer("twoembed_pretrained").get_weights()[0]


def test_block_from_a_npy_path_equals_the_block_from_the_array(tmp_path, vocab, matrix):
    np.save(tmp_path / "v.npy", matrix)
    by_reference = build_model(vocab, str(tmp_path / "v.npy"))
    from_array = build_model(vocab, matrix)
    np.testing.assert_array_equal(frozen_table(by_reference), frozen_table(from_array))
    np.testing.assert_array_equal(
        by_reference.predict(all_ids(vocab), verbose=0),
        from_array.predict(all_ids(vocab), verbose=0),
    )
    source = by_reference.get_layer("twoembed_pretrained").source
    assert source == npy_fingerprint(tmp_path / "v.npy")
    assert source["path"] == str(tmp_path / "v.npy")
    assert source["shape"] == [7, 4] and source["dtype"] == "float32"


def test_special_init_starts_the_same_from_a_npy_path_as_from_the_array(
    tmp_path, vocab, matrix
):
    np.save(tmp_path / "v.npy", matrix)
    starts = {"<url>": "cat", "<user>": "mean", twoembed.OOV: ["the", "dog"]}
    by_reference = build_model(vocab, str(tmp_path / "v.npy"), special_init=starts)
    from_array = build_model(vocab, matrix, special_init=starts)
    special = [m.get_layer("twoembed_special") for m in (by_reference, from_array)]
    np.testing.assert_array_equal(*(s.get_weights()[0] for s in special))
    np.testing.assert_array_equal(special[0].get_weights()[0][1], matrix[1])
    with pytest.raises(ValueError, match="'cow'"):
        build_model(vocab, str(tmp_path / "v.npy"), special_init={"<url>": "cow"})


def test_by_reference_model_saves_no_table_and_reloads_exactly(tmp_path, vocab, matrix):
    np.save(tmp_path / "v.npy", matrix)
    model = build_model(vocab, tmp_path / "v.npy")  # a Path works too
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        names = archive.namelist()
    assert not any(name.startswith("assets/") for name in names), names
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(frozen_table(reloaded)[1:8], matrix)
    np.testing.assert_array_equal(
        reloaded.predict(all_ids(vocab), verbose=0),
        model.predict(all_ids(vocab), verbose=0),
    )


def test_changed_referenced_file_is_refused_naming_path_and_fingerprint(
    tmp_path, vocab, matrix
):
    path = tmp_path / "v.npy"
    np.save(path, matrix)
    build_model(vocab, str(path)).save(tmp_path / "m.keras")
    expected = npy_fingerprint(path)["sha256"]
    changed = matrix.copy()
    changed[6, 3] += 1e-6  # the last row, last value: read last
    np.save(path, changed)
    with pytest.raises(ValueError, match=f"{path}.*changed.*{expected}"):
        keras.models.load_model(tmp_path / "m.keras")
    np.save(path, matrix[:, :3])
    with pytest.raises(ValueError, match=r"found \{'shape': \[7, 3\]"):
        keras.models.load_model(tmp_path / "m.keras")
    np.save(path, matrix.astype("float64"))
    with pytest.raises(ValueError, match="'dtype': 'float64'"):
        keras.models.load_model(tmp_path / "m.keras")
    os.remove(path)
    with pytest.raises(ValueError, match=f"{path}, which does not exist.*{expected}"):
        keras.models.load_model(tmp_path / "m.keras")


def test_moved_referenced_file_loads_with_table_location(tmp_path, vocab, matrix):
    old = tmp_path / "old" / "v.npy"
    old.parent.mkdir()
    np.save(old, matrix)
    build_model(vocab, str(old)).save(tmp_path / "m.keras")
    new = tmp_path / "new.npy"
    shutil.move(old, new)
    with pytest.raises(ValueError, match="table_location"):
        keras.models.load_model(tmp_path / "m.keras")
    for location in (new, {str(old): str(new)}, {old: new}):  # Path keys too
        with twoembed.table_location(location):
            model = keras.models.load_model(tmp_path / "m.keras")
        np.testing.assert_array_equal(frozen_table(model)[1:8], matrix)
    np.save(new, matrix + 1)  # moved and changed: still refused
    with twoembed.table_location(new), pytest.raises(ValueError, match="moved from"):
        keras.models.load_model(tmp_path / "m.keras")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (np.zeros(7, "float32"), r"2-D float array.*shape=\(7,\)"),
        (np.zeros((7, 4), "int32"), "2-D float array.*dtype=int32"),
        (np.zeros((6, 4), "float32"), r"shape \(6, 4\) but there are 7 words"),
        (np.zeros((7, 0), "float32"), r"shape \(7, 0\)"),
    ],
)
def test_referenced_file_of_the_wrong_kind_is_refused(
    tmp_path, vocab, content, message
):
    np.save(tmp_path / "v.npy", content)
    with pytest.raises(ValueError, match=f"{tmp_path / 'v.npy'}.*" + message):
        twoembed.build_embedding_block(vocab, str(tmp_path / "v.npy"))


def test_referenced_file_that_is_not_npy_or_not_finite_is_refused(
    tmp_path, vocab, matrix
):
    text = tmp_path / "vectors.txt"
    text.write_text("the 0.1 0.2\n")
    with pytest.raises(ValueError, match=f"{text} is not a .npy file"):
        twoembed.build_embedding_block(vocab, str(text))
    with pytest.raises(FileNotFoundError):
        twoembed.build_embedding_block(vocab, str(tmp_path / "missing.npy"))
    bad = matrix.copy()
    bad[5, 2] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(ValueError, match=r"row 5, column 2 = nan.*'a'"):
        twoembed.build_embedding_block(vocab, str(tmp_path / "nan.npy"))
    np.save(tmp_path / "big.npy", matrix * 1e5)
    with pytest.raises(ValueError, match="float16"):
        twoembed.build_embedding_block(
            vocab, str(tmp_path / "big.npy"), frozen_dtype="float16"
        )
    np.save(tmp_path / "cut.npy", matrix)
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="truncated"):
        twoembed.build_embedding_block(vocab, str(tmp_path / "cut.npy"))


def test_referenced_float64_values_beyond_float32_range_are_refused(tmp_path, vocab):
    big = np.ones((7, 4))
    big[2, 1] = 1e39  # finite in float64, inf in the float32 table
    np.save(tmp_path / "big64.npy", big)
    with pytest.raises(ValueError, match=r"3\.40282e\+38 \(float32\).*1e\+39"):
        twoembed.build_embedding_block(vocab, str(tmp_path / "big64.npy"))


def test_fortran_order_and_float16_files_fill_the_same_table(tmp_path, vocab, matrix):
    np.save(tmp_path / "f.npy", np.asfortranarray(matrix))
    model = build_model(vocab, str(tmp_path / "f.npy"))
    np.testing.assert_array_equal(frozen_table(model)[1:8], matrix)
    assert npy_fingerprint(tmp_path / "f.npy")["sha256"] == (
        model.get_layer("twoembed_pretrained").source["sha256"]
    )
    half = build_model(vocab, str(tmp_path / "f.npy"), frozen_dtype="float16")
    np.testing.assert_array_equal(frozen_table(half)[1:8], matrix.astype("float16"))


def test_npy_rows_are_read_once_in_order(tmp_path, matrix):
    np.save(tmp_path / "v.npy", matrix)
    rows = NpyRows(tmp_path / "v.npy")
    np.testing.assert_array_equal(rows[0:3], matrix[:3])
    with pytest.raises(ValueError, match="in order"):
        rows[0:3]
    rows.close()


def test_self_contained_model_keeps_the_table_as_an_asset(tmp_path, vocab, matrix):
    model = build_model(vocab, matrix)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        names = archive.namelist()
        weights = archive.getinfo("model.weights.h5").file_size
    assert [n for n in names if n.endswith("table.npy")], names
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(frozen_table(reloaded), frozen_table(model))
    np.testing.assert_array_equal(
        reloaded.predict(all_ids(vocab), verbose=0),
        model.predict(all_ids(vocab), verbose=0),
    )
    # The weights file no longer holds the table: compare with 0.1.0's.
    with zipfile.ZipFile(DATA / "model_0_1_0.keras") as archive:
        assert "assets/" not in " ".join(archive.namelist())
    assert weights < 30_000


def test_self_contained_float16_model_reloads_exactly(tmp_path, vocab, matrix):
    model = build_model(vocab, matrix, frozen_dtype="float16")
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    table = frozen_table(reloaded)
    assert table.dtype == np.float16
    np.testing.assert_array_equal(table[1:8], matrix.astype("float16"))


def test_model_saved_by_0_1_0_still_loads():
    # Saved by twoembed 0.1.0 (a stock Embedding holding the table in
    # model.weights.h5); its outputs were recorded then.
    model = keras.models.load_model(DATA / "model_0_1_0.keras")
    matrix = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_array_equal(frozen_table(model)[1:6], matrix)
    x = np.arange(-1, 10).reshape(1, -1).astype("int32")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), np.load(DATA / "model_0_1_0_outputs.npy")
    )


def test_weights_files_leave_the_table_to_the_build(tmp_path, vocab, matrix):
    model = build_model(vocab, matrix)
    model.layers[-1].kernel.assign(np.full((4, 1), 0.5))
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = build_model(vocab, matrix)
    fresh.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(frozen_table(fresh), frozen_table(model))
    np.testing.assert_array_equal(
        fresh.predict(all_ids(vocab), verbose=0),
        model.predict(all_ids(vocab), verbose=0),
    )


def test_merged_matrix_export_cli_and_text_encoder_work_by_reference(
    tmp_path, vocab, matrix
):
    np.save(tmp_path / "v.npy", matrix)
    model = build_model(vocab, str(tmp_path / "v.npy"))
    model.save(tmp_path / "m.keras")
    vocab.save(tmp_path / "vocab.json")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    merged = twoembed.merged_matrix(reloaded, vocab)
    np.testing.assert_array_equal(merged, twoembed.merged_matrix(model, vocab))
    np.testing.assert_array_equal(merged[1:8], matrix)
    paths = [str(tmp_path / name) for name in ("m.keras", "vocab.json", "out.txt")]
    assert main(["export", *paths]) == 0
    _, vectors = twoembed.load_glove(tmp_path / "out.txt")
    np.testing.assert_array_equal(vectors, merged[1:])

    encoder = twoembed.build_text_encoder(vocab, max_len=4)
    text = keras.Input(shape=(), dtype="string")
    serving = keras.Model(text, reloaded(encoder(text)))
    serving.save(tmp_path / "serving.keras")
    served = keras.models.load_model(tmp_path / "serving.keras")
    ids = vocab.encode([["the", "cat"], ["<url>", "zebra"]], max_len=4)
    np.testing.assert_allclose(
        served.predict(np.array(["the cat", "<url> zebra"], dtype=object), verbose=0),
        model.predict(ids, verbose=0),
        rtol=1e-6,
    )


def test_frozen_embedding_is_never_trainable():
    layer = FrozenEmbedding(3, 2, trainable=True)
    assert not layer.trainable
    assert FrozenEmbedding.from_config(layer.get_config()).source is None


def test_both_save_modes_reload_in_a_fresh_process_under_jax(tmp_path, matrix):
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("jax") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install the test extra, jax included")
        pytest.skip("jax is not installed")
    np.save(tmp_path / "v.npy", matrix)
    common = f"""
import keras, numpy as np, twoembed
assert keras.backend.backend() == "jax"
vocab = twoembed.Vocabulary({WORDS!r}, ["<url>"])
ids = np.arange(-1, vocab.size + 1)[None].astype("int32")
"""
    save = common + f"""
for mode, source in (("ref", {str(tmp_path / "v.npy")!r}), ("self", np.load(
        {str(tmp_path / "v.npy")!r}))):
    inputs, vectors = twoembed.build_embedding_block(vocab, source)
    model = keras.Model(inputs, vectors)
    model.save({str(tmp_path)!r} + f"/{{mode}}.keras")
    np.save({str(tmp_path)!r} + f"/{{mode}}.npy", model.predict(ids, verbose=0))
"""
    load = common + f"""
for mode in ("ref", "self"):
    model = keras.models.load_model({str(tmp_path)!r} + f"/{{mode}}.keras")
    np.testing.assert_array_equal(
        model.predict(ids, verbose=0), np.load({str(tmp_path)!r} + f"/{{mode}}.npy")
    )
print("both reloaded")
"""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    for script in (save, load):
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True,
            env=env, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
    assert "both reloaded" in result.stdout


@pytest.mark.parametrize(
    ("location", "error", "message"),
    [
        (5, TypeError, "Received: 5 of type int"),
        ("", TypeError, "Received: '' of type str"),
        ({"old.npy": None}, TypeError, "an entry 'old.npy': None"),
        ("{tmp}", ValueError, "not a directory"),
    ],
)
def test_table_location_refuses_what_is_not_a_path_naming_it(
    tmp_path, location, error, message
):
    if location == "{tmp}":
        location = str(tmp_path)
    with pytest.raises(error, match=message):
        with twoembed.table_location(location):
            pass
