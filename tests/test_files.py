"""Atomic writes: a target is complete or as it was, whatever stops the writer."""

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

import twoembed._files as files
from twoembed._files import (
    atomic_save,
    atomic_write,
    check_writable_directory,
    remove_stale_temporaries,
)

# The writer loads _files.py alone: importing the twoembed package would
# import TensorFlow, seconds of start-up for nothing.
WRITER = textwrap.dedent(
    """
    import importlib.util, signal, sys, time
    # Ctrl-C raises KeyboardInterrupt even when this test runs in the background,
    # where the shell started it with SIGINT ignored (and Python kept that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    spec = importlib.util.spec_from_file_location("files", sys.argv[1])
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)

    def block(path):
        with open(path, "wb") as f:
            f.write(b"half of the new")
        print("writing", flush=True)
        time.sleep(60)

    if sys.argv[3] == "write":
        with files.atomic_write(sys.argv[2]) as f:
            f.write(b"half of the new")
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
    else:
        files.atomic_save(sys.argv[2], block)
    """
)


def interrupt_writer(target, how, sig):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, files.__file__, str(target), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline() == "writing\n"
        writer.send_signal(sig)
        return writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        writer.stdout.close()


@pytest.mark.parametrize("how", ["write", "save"])
def test_a_writer_killed_mid_write_leaves_the_previous_file_intact(tmp_path, how):
    target = tmp_path / "vectors.txt"
    target.write_bytes(b"the old, complete content")
    assert interrupt_writer(target, how, signal.SIGKILL) == -signal.SIGKILL
    assert target.read_bytes() == b"the old, complete content"
    # kill -9 gives no chance to clean up: the temporary is left, named so
    # that the next write can tell it is ours and whose it was.
    (left,) = [n for n in os.listdir(tmp_path) if n != "vectors.txt"]
    assert left.startswith(".vectors.txt.") and ".tmp" in left


@pytest.mark.parametrize("how", ["write", "save"])
def test_ctrl_c_mid_write_keeps_the_previous_file_and_removes_the_temporary(
    tmp_path, how
):
    target = tmp_path / "model.keras"
    target.write_bytes(b"the old, complete model")
    assert interrupt_writer(target, how, signal.SIGINT) != 0
    assert target.read_bytes() == b"the old, complete model"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_the_next_write_removes_the_temporary_of_a_killed_writer(tmp_path):
    target = tmp_path / "vectors.txt"
    target.write_bytes(b"old")
    interrupt_writer(target, "write", signal.SIGKILL)
    (left,) = [p for p in tmp_path.iterdir() if p != target]
    # The killed writer's pid is gone; after the grace period its file is stale.
    old = time.time() - files.STALE_AFTER_WRITER_GONE - 1
    os.utime(left, (old, old))
    with atomic_write(target) as f:
        f.write(b"new")
    assert os.listdir(tmp_path) == ["vectors.txt"]
    assert target.read_bytes() == b"new"


def test_a_live_writers_temporary_is_kept_until_it_is_an_hour_old(tmp_path):
    mine = tmp_path / f".x.npy.{os.getpid()}-abc_12.tmp"
    recent = tmp_path / f".y.npy.{2**22 + 7}-abc_12.tmp"  # no such pid
    for path in (mine, recent):
        path.write_bytes(b"in progress")
    not_ours = tmp_path / ".notes.tmp"
    not_ours.write_bytes(b"someone else's")
    old = time.time() - files.STALE_AFTER_WRITER_GONE - 1
    os.utime(mine, (old, old))
    os.utime(not_ours, (0, 0))
    assert remove_stale_temporaries(str(tmp_path)) == []
    ancient = time.time() - files.STALE_AFTER - 1
    os.utime(mine, (ancient, ancient))
    assert remove_stale_temporaries(str(tmp_path)) == [str(mine)]
    assert sorted(os.listdir(tmp_path)) == sorted([recent.name, not_ours.name])


def test_a_failing_save_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "curves.png"
    target.write_bytes(b"old plot")
    seen = []

    def save(path):
        seen.append(path)
        with open(path, "wb") as f:
            f.write(b"trunc")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_save(target, save)
    assert target.read_bytes() == b"old plot"
    assert os.listdir(tmp_path) == ["curves.png"]
    # The temporary keeps the target's suffix: savefig and Keras read it.
    assert seen[0].endswith(".png") and os.path.dirname(seen[0]) == str(tmp_path)


def test_atomic_save_writes_a_keras_model_that_loads_back(tmp_path):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    target = tmp_path / "model.keras"
    target.write_bytes(b"an old model")
    atomic_save(target, model.save)
    loaded = keras.models.load_model(target)
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model(x))
    assert os.listdir(tmp_path) == ["model.keras"]


def test_a_target_with_a_long_name_gets_a_temporary_name_that_fits(tmp_path):
    target = tmp_path / ("v" * 240 + ".txt")
    with atomic_write(target, "w") as f:
        f.write("complete")
    assert target.read_text() == "complete"


def test_an_unwritable_output_directory_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot write into out_dir '/proc'"):
        check_writable_directory("/proc", "out_dir")
    a_file = tmp_path / "f"
    a_file.write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        check_writable_directory(a_file, "out_dir")
    made = check_writable_directory(tmp_path / "new" / "dir", "out_dir")
    assert os.path.isdir(made) and os.listdir(made) == []


def write_text(how, path, text="new"):
    """Writes `text` to `path` the way `how` says: atomic_write or atomic_save."""
    if how == "write":
        with atomic_write(path, "w") as f:
            f.write(text)
    else:
        atomic_save(path, lambda p: open(p, "w").write(text))


@pytest.mark.parametrize("how", ["write", "save"])
def test_a_missing_directory_is_named_not_the_temporary_file(tmp_path, how):
    target = tmp_path / "no-dir" / "vocab.json"
    with pytest.raises(FileNotFoundError) as caught:
        write_text(how, target)
    message = str(caught.value)
    assert f"No directory {str(tmp_path / 'no-dir')!r}" in message
    assert repr(str(target)) in message and ".tmp" not in message


@pytest.mark.parametrize("how", ["write", "save"])
def test_a_directory_as_the_target_is_refused_naming_it(tmp_path, how):
    target = tmp_path / "models"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match=f"{str(target)!r} is a directory"):
        write_text(how, target)
    assert os.listdir(tmp_path) == ["models"] and os.listdir(target) == []


def test_only_a_target_that_is_itself_a_link_is_called_one(tmp_path):
    (tmp_path / "real" / "models").mkdir(parents=True)
    (tmp_path / "via").symlink_to(tmp_path / "real")  # a linked parent only
    with pytest.raises(IsADirectoryError) as error:
        write_text("write", tmp_path / "via" / "models")
    assert "a link to" not in str(error.value)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "models")
    with pytest.raises(IsADirectoryError, match="a link to"):
        write_text("write", tmp_path / "link")


def test_a_file_as_the_directory_is_refused_naming_it(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(NotADirectoryError, match=r"'.*a-file' is not a directory"):
        write_text("write", tmp_path / "a-file" / "v.txt")


@pytest.mark.parametrize("how", ["write", "save"])
def test_an_empty_path_is_refused_and_writes_nothing_in_the_parent(
    tmp_path, monkeypatch, how
):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    with pytest.raises(ValueError, match=r"`path` is empty.*Received: path=''"):
        write_text(how, "")
    assert os.listdir(tmp_path) == ["cwd"] and os.listdir(tmp_path / "cwd") == []


@pytest.mark.parametrize("path", [b"v.txt", None, 3, ["v.txt"]])
@pytest.mark.parametrize("how", ["write", "save"])
def test_a_path_that_is_not_a_str_or_path_is_refused_naming_it(
    tmp_path, monkeypatch, how, path
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=rf"Received: path={re.escape(repr(path))}"):
        write_text(how, path)
    assert os.listdir(tmp_path) == []


def test_a_path_with_a_null_byte_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match=r"null byte.*Received: path='v\\x00.txt'"):
        write_text("write", "v\0.txt")


def test_a_path_ending_in_a_slash_is_refused_not_written_without_it(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"names a directory \(it ends"):
        write_text("write", f"{tmp_path / 'v.txt'}/")
    assert os.listdir(tmp_path) == []


@pytest.fixture
def umask():
    """Sets the process umask for one test (`umask(0o027)`); restores it after."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("how", ["write", "save"])
@pytest.mark.parametrize(("mask", "mode"), [(0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_allows_like_open(
    tmp_path, umask, how, mask, mode
):
    umask(mask)
    write_text(how, tmp_path / "vocab.json")
    assert stat.S_IMODE(os.stat(tmp_path / "vocab.json").st_mode) == mode
    with open(tmp_path / "by-open.json", "w"):
        pass
    assert stat.S_IMODE(os.stat(tmp_path / "by-open.json").st_mode) == mode


@pytest.mark.parametrize("how", ["write", "save"])
def test_replacing_a_file_keeps_its_mode(tmp_path, umask, how):
    umask(0o077)
    target = tmp_path / "shared.txt"
    target.write_text("old")
    os.chmod(target, 0o654)
    write_text(how, target)
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o654


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root")
def test_replacing_a_file_keeps_its_owner_and_group_where_permitted(tmp_path):
    target = tmp_path / "shared.txt"
    target.write_text("old")
    os.chown(target, 65534, 65534)
    write_text("write", target)
    found = os.stat(target)
    assert (found.st_uid, found.st_gid) == (65534, 65534)


@pytest.mark.parametrize("how", ["write", "save"])
def test_a_symlink_target_writes_the_file_it_points_at_and_stays_a_link(tmp_path, how):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "vectors.txt"
    real.write_text("old")
    os.chmod(real, 0o644)
    link = tmp_path / "link.txt"
    os.symlink(os.path.join("real", "vectors.txt"), link)
    write_text(how, link)
    assert os.path.islink(link) and real.read_text() == "new"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o644
    assert os.listdir(tmp_path / "real") == ["vectors.txt"]
    # A link to nothing yet: the file it names is made, as open() would.
    dangling = tmp_path / "later.txt"
    os.symlink(tmp_path / "real" / "later.txt", dangling)
    write_text(how, dangling)
    assert os.path.islink(dangling)
    assert (tmp_path / "real" / "later.txt").read_text() == "new"


REFUSED = textwrap.dedent(
    """
    import importlib.util, os, sys
    spec = importlib.util.spec_from_file_location("files", sys.argv[1])
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    if os.geteuid() == 0:  # root may write anything: be nobody, as a user is
        os.setgid(65534)
        os.setuid(65534)
    for how in ("write", "save"):
        try:
            if how == "write":
                with files.atomic_write(sys.argv[2], "w") as f:
                    f.write("new")
            else:
                files.atomic_save(sys.argv[2], lambda p: open(p, "w").write("new"))
        except PermissionError as error:
            print(how, "PermissionError", error)
        else:
            print(how, "written")
    """
)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_file_the_user_may_not_write_is_refused_as_open_would_refuse_it():
    directory = tempfile.mkdtemp()  # not under tmp_path: nobody must reach it
    try:
        os.chmod(directory, 0o777)
        target = os.path.join(directory, "protected.txt")
        with open(target, "w") as f:
            f.write("old")
        os.chmod(target, 0o444)
        if os.geteuid() == 0:
            os.chown(target, 65534, 65534)
        result = subprocess.run(
            [sys.executable, "-c", REFUSED, files.__file__, target],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        for how, line in zip(["write", "save"], lines, strict=True):
            assert line == (
                f"{how} PermissionError Cannot write {target!r}: it is read-only "
                "to you (open(path, 'w') would fail too)"
            )
        with open(target) as f:
            assert f.read() == "old"
        assert os.listdir(directory) == ["protected.txt"]
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
    finally:
        shutil.rmtree(directory)


def test_a_target_that_is_not_a_regular_file_is_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"'.*pipe' is not a regular file"):
        write_text("write", fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
