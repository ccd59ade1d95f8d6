"""The block distributed: under `keras.distribution` (JAX), a sharded frozen
table on two devices and data parallelism across two processes on localhost;
under TensorFlow's MultiWorkerMirroredStrategy, two workers on localhost
training with a custom loop.

Each case runs in fresh subprocesses: the Keras backend, the device count and
`jax.distributed` are fixed when a process first uses them.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from twoembed.distribution import sharded_layout

# One tiny task (a label only the <u> vector can learn), shared by the scripts.
SETUP = """
import numpy as np
import keras
import twoembed
from keras.initializers import GlorotUniform

words = ["a", "b", "c", "d", "e", "f"]
matrix = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
vocab = twoembed.Vocabulary(words, ["<u>", "<n>"])  # 10 rows: 0, 6 words, 2, OOV
twoembed.fill._FILL_CHUNK_ROWS = 4  # the frozen table is filled in 4 + 2 rows
rng = np.random.default_rng(0)
x = rng.integers(-2, vocab.size + 2, size=(64, 6)).astype("int32")
y = (x == vocab.id_of("<u>")).any(axis=1).astype("float32")

def build():
    inputs, vectors = twoembed.build_embedding_block(vocab, matrix)
    pooled = keras.layers.GlobalAveragePooling1D()(vectors)
    # The head is seeded (every process must start it alike); the block is not.
    head = keras.layers.Dense(1, "sigmoid", kernel_initializer=GlorotUniform(0))
    model = keras.Model(inputs, head(pooled))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    return model

def block_outputs(model):
    block = keras.Model(
        model.get_layer("twoembed_ids").output,
        model.get_layer("twoembed_vectors").output,
    )
    ids = np.arange(-1, vocab.size + 1)[None].astype("int32")
    return np.asarray(block.predict(ids, verbose=0)[0])

def frozen_rows(model):
    return model.get_layer("twoembed_pretrained").get_weights()[0][1:7]
"""


def skip_without_jax() -> None:
    if importlib.util.find_spec("jax") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install the test extra, jax included")
        pytest.skip("jax is not installed")


def run(script: str, env: dict[str, str], timeout: float = 240) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_sharded_layout_refuses_a_mesh_without_the_axis_naming_its_axes():
    mesh = keras.distribution.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match=r"axes are \['batch'\].*axis='model'"):
        sharded_layout(mesh)
    with pytest.raises(TypeError, match=r"DeviceMesh\. Received: mesh of type list"):
        sharded_layout(["batch"])
    with pytest.raises(ValueError, match="split='diagonal'"):
        sharded_layout(mesh, axis="batch", split="diagonal")
    with pytest.raises(ValueError, match="block=''"):
        sharded_layout(mesh, block="", axis="batch")


def test_sharded_layout_splits_only_the_named_blocks_frozen_table():
    mesh = keras.distribution.DeviceMesh(
        (1, 2), ["batch", "model"], devices=["cpu:0", "cpu:1"]
    )
    layout = sharded_layout(mesh, block="title")
    assert layout["title_pretrained/embeddings"].axes == (None, "model")
    assert layout["encoder/title_pretrained/embeddings"].axes == (None, "model")
    assert layout["title_special/embeddings"].axes == (None, None)
    assert layout["twoembed_pretrained/embeddings"] is None
    assert layout["subtitle_pretrained/embeddings"] is None
    rows = sharded_layout(mesh, block="title", split="rows")
    assert rows["title_pretrained/embeddings"].axes == ("model", None)


def test_model_parallel_splits_the_frozen_table_over_two_devices():
    skip_without_jax()
    out = run(
        SETUP
        + """
import jax
assert len(jax.devices()) == 2
keras.utils.set_random_seed(1)
single = build()
expected = block_outputs(single)
mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"])
for split, shard_shape in [("columns", (10, 2)), ("rows", (5, 4))]:
    keras.distribution.set_distribution(
        keras.distribution.ModelParallel(
            layout_map=twoembed.sharded_layout(mesh, split=split),
            batch_dim_name="batch",
        )
    )
    keras.utils.set_random_seed(1)
    model = build()
    table = model.get_layer("twoembed_pretrained").embeddings.value
    shards = table.addressable_shards
    assert [s.data.shape for s in shards] == [shard_shape] * 2, split
    assert len({s.device for s in shards}) == 2
    special = model.get_layer("twoembed_special").embeddings.value
    assert special.sharding.is_fully_replicated
    np.testing.assert_array_equal(block_outputs(model), expected)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    np.testing.assert_array_equal(frozen_rows(model), matrix)
    learned = block_outputs(model)
    assert np.abs(learned - expected).max() > 1e-3, "<u> did not learn"
    keras.distribution.set_distribution(None)
print("sharded ok")
""",
        {
            "KERAS_BACKEND": "jax",
            "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        },
    )
    assert "sharded ok" in out


# README's multi-process recipes: the scripts and the commands they show.
SCRIPTS = Path(__file__).parent.parent / "scripts"


def gloo_available() -> bool:
    try:
        from jax._src.lib import _jax
    except ImportError:
        return False
    return hasattr(_jax, "make_gloo_tcp_collectives")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def run_workers(commands: list[list[str]], env: dict[str, str]) -> None:
    """Runs the worker processes together; each must finish, within 180 s."""
    workers = [
        subprocess.Popen(
            [sys.executable, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for command in commands
    ]
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=180))
    finally:
        for worker in workers:  # a hung peer must not outlive the test
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-3000:]
        assert "worker done" in stdout


def check_every_copy_identical(out: Path, backend: str) -> None:
    """The two workers' results in `out`: the same start, frozen rows exact,
    special rows learned and equal, and saved models that reload alike."""

    def load(name, i):
        return np.load(out / f"{name}{i}.npy")

    matrix = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_array_equal(load("start", 0), load("start", 1))
    for i in range(2):
        np.testing.assert_array_equal(load("pretrained", i)[1:7], matrix)
    np.testing.assert_array_equal(load("pretrained", 0), load("pretrained", 1))
    np.testing.assert_array_equal(load("special", 0), load("special", 1))
    assert np.abs(load("special", 0) - load("start", 0)).max() > 1e-3

    reloaded = run(
        SETUP
        + f"""
models = [keras.models.load_model(f"{out}/model{{i}}.keras") for i in (0, 1)]
special = np.load({str(out / "special0.npy")!r})
for model in models:
    np.testing.assert_array_equal(frozen_rows(model), matrix)
    np.testing.assert_array_equal(
        model.get_layer("twoembed_special").get_weights()[0], special
    )
np.testing.assert_array_equal(*(m.predict(x, verbose=0) for m in models))
print("reloaded")
""",
        {"KERAS_BACKEND": backend},
    )
    assert "reloaded" in reloaded


def test_data_parallel_over_two_processes_keeps_every_copy_identical(tmp_path):
    skip_without_jax()
    if not gloo_available():
        pytest.skip("this jaxlib has no gloo CPU collectives")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    env.pop("XLA_FLAGS", None)
    port = free_port()
    run_workers(
        [
            [str(SCRIPTS / "data_parallel_jax.py"), "--coordinator",
             f"localhost:{port}", "--num-processes", "2", "--process-id", str(i),
             "--out", str(tmp_path)]
            for i in range(2)
        ],
        env,
    )
    check_every_copy_identical(tmp_path, "jax")


def test_tensorflow_multi_worker_custom_loop_keeps_every_copy_identical(tmp_path):
    # model.fit fails under MultiWorkerMirroredStrategy (keras-team/keras#20585);
    # the script's custom loop is the tested TensorFlow path.
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    env.pop("TF_CONFIG", None)
    workers = ",".join(f"localhost:{free_port()}" for _ in range(2))
    run_workers(
        [
            [str(SCRIPTS / "data_parallel_tf.py"), "--workers", workers,
             "--index", str(i), "--out", str(tmp_path)]
            for i in range(2)
        ],
        env,
    )
    check_every_copy_identical(tmp_path, "tensorflow")


def test_default_special_start_is_the_same_in_every_fresh_process():
    script = """
import json
import numpy as np
import twoembed
import keras
vocab = twoembed.Vocabulary(["a", "b"], ["<u>"])
starts = {}
for name in ("twoembed", "other"):
    inputs, outputs = twoembed.build_embedding_block(
        vocab, np.ones((2, 3)) * 0.5, name=name
    )
    table = keras.Model(inputs, outputs).get_layer(f"{name}_special").get_weights()
    starts[name] = table[0].tolist()
print(json.dumps(starts))
"""
    first, second = (json.loads(run(script, {})) for _ in range(2))
    assert first == second
    seeded = "import keras; keras.utils.set_random_seed(7)\n" + script
    seeded = json.loads(run(seeded, {}))
    assert seeded != first
    rows, other = np.array(first["twoembed"]), np.array(first["other"])
    np.testing.assert_array_equal(rows[0], 0.0)
    assert np.abs(rows[1:]).min() > 0
    assert not np.array_equal(rows, other), "two blocks of one model start equal"
