"""The frozen table's layer, and how it is saved: as an `.npy` asset inside the
`.keras` file (the default), or by reference to the `.npy` file it was filled
from (its path and fingerprint, a few hundred bytes).

Keras writes a variable into the archive's `model.weights.h5` and reads it back
through a Python file object, a whole extra copy in memory first (about 75 MB/s
here, 33 s for glove.840B). An asset is a plain `.npy` file in the archive,
read back in chunks straight into the table.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import keras
import numpy as np

from twoembed import fill
from twoembed._files import PathLike

__all__ = ["FrozenEmbedding", "NpyRows", "npy_fingerprint", "table_location"]

_ASSET = "table.npy"
_relocated: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "twoembed_relocated", default=None
)


def _npy_header(path: str) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """(shape, dtype, fortran_order, data offset) of an `.npy` file, read
    without loading it (and without unpickling anything)."""
    try:
        with open(path, "rb") as f:
            try:
                version = np.lib.format.read_magic(f)
                read = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, fortran, dtype = read(f)
            except ValueError as error:
                raise ValueError(
                    f"{path} is not a .npy file ({error}). Write the vectors "
                    "with numpy.save or LoadedVectors.save."
                ) from None
            return tuple(shape), np.dtype(dtype), bool(fortran), f.tell()
    except (FileNotFoundError, IsADirectoryError):
        raise
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error}") from error


class NpyRows:
    """The rows of a 2-D float `.npy` file, read in order, chunk by chunk.

    Stands in for the matrix in `fill.fill_frozen_table`: slicing reads the
    next rows from the file into a fresh array, so memory holds one chunk,
    and the page cache (not counted in the process's resident memory) the
    rest. Values are checked finite (and, with `frozen_dtype`, within the range
    of a table of that dtype) as they are read, and, with
    `hash_rows=True`, hashed (SHA-256 of the rows' bytes in C order, in a
    second thread while the table is written).

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.npy")
    >>> np.save(path, np.ones((3, 2), "float32"))
    >>> rows = NpyRows(path)
    >>> rows.shape, rows[0:2].tolist()
    ((3, 2), [[1.0, 1.0], [1.0, 1.0]])
    """

    def __init__(
        self,
        path: PathLike,
        *,
        skip_rows: int = 0,
        hash_rows: bool = False,
        words: Any = None,
        frozen_dtype: str | None = None,
    ):
        self.path = os.fspath(path)
        shape, dtype, fortran, offset = _npy_header(self.path)
        if len(shape) != 2 or dtype.kind != "f":
            raise ValueError(
                f"{self.path} must hold a 2-D float array, one row per word. "
                f"Received: shape={shape}, dtype={dtype}"
            )
        self.file_shape, self.dtype = shape, dtype
        size = offset + int(np.prod(shape)) * dtype.itemsize
        if os.path.getsize(self.path) < size:
            raise ValueError(
                f"{self.path} is truncated: its header says shape {shape}, "
                f"{size} bytes, but the file has {os.path.getsize(self.path)}"
            )
        self.shape = (shape[0] - skip_rows, shape[1])
        self._skip = skip_rows
        self._words = words
        self._frozen_dtype = frozen_dtype
        self._limit = (
            None if frozen_dtype is None else fill.value_limit(dtype, frozen_dtype)
        )
        self._next = 0
        self._mapped = None
        if fortran:  # rows are strided: read them through a memory map
            self._mapped = np.load(self.path, mmap_mode="r")
        self._offset = offset + skip_rows * shape[1] * dtype.itemsize
        self._file = open(self.path, "rb")
        self._file.seek(self._offset)
        self._hash = hashlib.sha256() if hash_rows else None
        self._pool = ThreadPoolExecutor(1) if hash_rows else None
        self._pending: Future | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.shape[0])
        if start != self._next:
            raise ValueError("NpyRows is read in order, once")
        self._next = stop
        if self._mapped is not None:
            chunk = np.ascontiguousarray(
                self._mapped[self._skip + start : self._skip + stop]
            )
        else:
            chunk = np.empty((stop - start, self.shape[1]), self.dtype)
            if self._file.readinto(memoryview(chunk).cast("B")) != chunk.nbytes:
                raise ValueError(
                    f"{self.path} is truncated: its header says shape "
                    f"{self.file_shape}, but the data ends before row "
                    f"{self._skip + stop}"
                )
        self._check_finite(chunk, start)
        if self._hash is not None:
            # At most one chunk waits to be hashed: memory stays bounded.
            if self._pending is not None:
                self._pending.result()
            self._pending = self._pool.submit(self._hash.update, chunk)
        return chunk

    def mapped(self) -> np.ndarray:
        """The rows as a read-only memory map, for the few rows that the
        starts of special rows need (`special_init`), read out of order."""
        return np.load(self.path, mmap_mode="r")[self._skip :]

    def every(self, step: int) -> np.ndarray:
        """Rows `0, step, 2 * step, ...`, as `matrix[::step]` gives them.

        Read row by row: a strided view of a memory map would bring in (and
        count as resident) every page the rows touch, the whole file at small
        steps.
        """
        if self._mapped is not None:
            return np.array(self._mapped[self._skip :: step])
        row_bytes = self.shape[1] * self.dtype.itemsize
        fd = self._file.fileno()
        return np.stack([
            np.frombuffer(os.pread(fd, row_bytes, self._offset + i * row_bytes),
                          self.dtype)
            for i in range(0, self.shape[0], step)
        ])

    def _check_finite(self, chunk: np.ndarray, start: int) -> None:
        bad = fill.first_bad_value(chunk, self._limit)
        if bad is not None:
            row, col = bad
            row += start
            word = "" if self._words is None else " (the vector of "
            word += "" if self._words is None else f"{self._words[row]!r})"
            need = "finite values" if self._limit is None else (
                f"finite values up to {self._limit:g} ({self._frozen_dtype})"
            )
            raise ValueError(
                f"{self.path} must hold {need}. Received: "
                f"row {self._skip + row}, column {col} = {chunk[row - start, col]}"
                + word
            )

    def hexdigest(self) -> str:
        """The SHA-256 of every row read so far."""
        if self._pending is not None:
            self._pending.result()
        return self._hash.hexdigest()

    def close(self) -> None:
        self._file.close()
        if self._pool is not None:
            self._pool.shutdown()


def npy_fingerprint(path: PathLike) -> dict[str, Any]:
    """The fingerprint a by-reference model keeps of its `.npy` file: absolute
    path, shape, dtype and the SHA-256 of its rows.

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.npy")
    >>> np.save(path, np.zeros((2, 3), "float32"))
    >>> fingerprint = npy_fingerprint(path)
    >>> fingerprint["shape"], fingerprint["dtype"]
    ([2, 3], 'float32')
    """
    rows = NpyRows(path, hash_rows=True)
    try:
        for start in range(0, len(rows), fill._FILL_CHUNK_ROWS):
            rows[start : start + fill._FILL_CHUNK_ROWS]
        return fingerprint_of(rows)
    finally:
        rows.close()


def fingerprint_of(rows: NpyRows) -> dict[str, Any]:
    return {
        "path": os.path.abspath(rows.path),
        "shape": list(rows.file_shape),
        "dtype": rows.dtype.name,
        "sha256": rows.hexdigest(),
    }


@contextlib.contextmanager
def table_location(location: PathLike | Mapping[str, PathLike]) -> Iterator[None]:
    """Loads by-reference models whose `.npy` file has moved.

    Args:
        location: the file's new path (for every by-reference table loaded in
            the `with` block), or a mapping from the saved path to the new
            one. The fingerprint is still checked: the file must be the same.

    Example:

        with twoembed.table_location("/data/glove.840B.npy"):
            model = keras.models.load_model("model.keras")
    """
    token = _relocated.set(_checked_location(location))
    try:
        yield
    finally:
        _relocated.reset(token)


def _checked_location(location: Any) -> Any:
    """`location` as `table_location` takes it: one path, or a mapping of
    paths to paths (each str or PathLike), refused naming the bad entry."""

    def is_path(value: Any) -> bool:
        return isinstance(value, (str, os.PathLike)) and bool(os.fspath(value))

    if isinstance(location, Mapping):
        for saved, new in location.items():
            if not (is_path(saved) and is_path(new)):
                raise TypeError(
                    "`table_location` takes a path or a mapping from saved paths to "
                    "new paths (str or os.PathLike). Received: an entry "
                    f"{saved!r:.80}: {new!r:.80}"
                )
        # Saved paths are str: a Path key must match as one.
        return {os.fspath(saved): new for saved, new in location.items()}
    if not is_path(location):
        raise TypeError(
            "`table_location` takes a path or a mapping from saved paths to new "
            f"paths (str or os.PathLike). Received: {location!r:.80} of type "
            f"{type(location).__name__}"
        )
    if os.path.isdir(location):
        raise ValueError(
            f"`table_location` must be the table's .npy file, not a directory. "
            f"Received: {os.fspath(location)!r}"
        )
    return location


def _where(saved_path: str) -> str:
    location = _relocated.get()
    if location is None:
        return saved_path
    if isinstance(location, Mapping):
        return os.fspath(location.get(saved_path, saved_path))
    return os.fspath(location)


@keras.saving.register_keras_serializable(package="twoembed")
class FrozenEmbedding(keras.layers.Embedding):
    """The block's frozen table: a non-trainable `Embedding` whose table is
    saved as an `.npy` asset, or by reference to the file it came from.

    Args:
        input_dim: rows of the table (`vocab.size`).
        output_dim: the vector dimension.
        source: None (self-contained: the table goes into the `.keras` file),
            or the fingerprint of the `.npy` file holding rows 1..n (from
            `npy_fingerprint`): the saved model then holds only that, and
            loading reads the file again and checks it.
        **kwargs: `Embedding`'s (`mask_zero`, `dtype`, `name`, ...).

    Weights files (`model.save_weights`) never hold the table: it comes from
    the build, or from the `.keras` file.

    Example:

    >>> layer = FrozenEmbedding(3, 2)
    >>> layer.trainable, keras.ops.convert_to_numpy(layer(np.array([1]))).tolist()
    (False, [[0.0, 0.0]])
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        source: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        kwargs["trainable"] = False
        kwargs.setdefault("embeddings_initializer", "zeros")
        super().__init__(input_dim, output_dim, **kwargs)
        self.source = None if source is None else dict(source)
        self._read_from: str | None = None  # the file a load found it in

    def table_files(self) -> list[str]:
        """The `.npy` files this table is read from: none when self-contained;
        else its saved path, where `table_location` sends that now, and the
        file it was last loaded from."""
        if self.source is None:
            return []
        saved = self.source["path"]
        found = [saved, _where(saved), self._read_from]
        return list(dict.fromkeys(p for p in found if p is not None))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "source": self.source}

    def save_own_variables(self, store: Any) -> None:
        pass  # the table is an asset or a reference, never in weights.h5

    def load_own_variables(self, store: Any) -> None:
        if self.source is not None:
            self._load_reference()

    def _load_reference(self) -> None:
        expected = self.source
        path = _where(expected["path"])
        moved = "" if path == expected["path"] else f" (moved from {expected['path']})"
        hint = (
            " If the file has moved, load inside "
            "`with twoembed.table_location(new_path):`."
        )
        if not os.path.isfile(path):
            raise ValueError(
                f"The frozen table of {self.name} is saved by reference to "
                f"{path}{moved}, which does not exist. Expected: {expected}.{hint}"
            )
        self._read_from = os.path.abspath(path)
        rows = NpyRows(path, hash_rows=True)
        try:
            found = {"shape": list(rows.file_shape), "dtype": rows.dtype.name}
            if found != {"shape": expected["shape"], "dtype": expected["dtype"]}:
                raise ValueError(
                    f"{path}{moved} has changed since the model was saved: "
                    f"found {found}, expected {expected}.{hint}"
                )
            fill.fill_frozen_table(self.embeddings, rows)
            digest = rows.hexdigest()
        finally:
            rows.close()
        if digest != expected["sha256"]:
            raise ValueError(
                f"{path}{moved} has changed since the model was saved: its "
                f"rows' sha256 is {digest}, expected {expected}.{hint}"
            )

    def save_assets(self, dir_path: str) -> None:
        if self.source is not None:
            return
        table = self.embeddings
        shape = tuple(int(d) for d in table.shape)
        dtype = np.dtype(keras.backend.standardize_dtype(table.dtype))
        header = {"descr": np.lib.format.dtype_to_descr(dtype),
                  "fortran_order": False, "shape": shape}
        with open(os.path.join(dir_path, _ASSET), "wb") as f:
            np.lib.format.write_array_header_2_0(f, header)
            for start in range(0, shape[0], fill._FILL_CHUNK_ROWS):
                chunk = table[start : start + fill._FILL_CHUNK_ROWS]
                f.write(np.ascontiguousarray(keras.ops.convert_to_numpy(chunk)))

    def load_assets(self, dir_path: str | None) -> None:
        if self.source is not None:
            return
        path = None if dir_path is None else os.path.join(dir_path, _ASSET)
        if path is None or not os.path.isfile(path):
            raise ValueError(
                f"The .keras file has no table for {self.name} (expected the "
                f"asset {_ASSET}): it was not written by twoembed's save."
            )
        rows = NpyRows(path, skip_rows=1)  # row 0 is the pad row, all zeros
        try:
            if rows.file_shape != tuple(self.embeddings.shape):
                raise ValueError(
                    f"The saved table of {self.name} has shape {rows.file_shape}; "
                    f"expected {tuple(self.embeddings.shape)}"
                )
            fill.fill_frozen_table(self.embeddings, rows)
        finally:
            rows.close()

