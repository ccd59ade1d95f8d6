"""What the trainable rows learned: one record per special, OOV or promoted row.

For each row: how often it occurs in the training ids, how far it moved from
its start, its norm next to the pretrained rows' median norm, and its nearest
pretrained words by cosine, found by a chunked pass over the frozen table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from twoembed.export import find_block
from twoembed.vocab import Vocabulary

__all__ = ["RowRecord", "RowReport", "inspect_rows", "nearest_rows"]

# Frozen rows scored at a time: 16384 x 300 float32 is ~19 MB, the search's
# only sizeable temporary whatever the table's size.
_SEARCH_CHUNK_ROWS = 16384


@dataclass(frozen=True)
class RowRecord:
    """One trainable row.

    Attributes:
        token: the special token or promoted word; None for OOV (as
            `Vocabulary.token_of`).
        id: its id.
        hits: how often the id occurs in the `ids` given; None without them.
        moved: L2 distance from its start; None for a model saved by
            twoembed 0.1.0, which keeps no start.
        start_cosine: cosine between the row and its start (None likewise).
        norm: the row's L2 norm.
        neighbours: its nearest pretrained words by cosine, nearest first.
        cosines: their cosines, in the same order.
    """

    token: str | None
    id: int
    hits: int | None
    moved: float | None
    start_cosine: float | None
    norm: float
    neighbours: tuple[str, ...]
    cosines: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RowReport(tuple):
    """The records of `inspect_rows` (a tuple of `RowRecord`); `str()` is an
    aligned table. `median_norm` is the pretrained rows' median L2 norm."""

    median_norm: float

    def __new__(cls, records: list[RowRecord], median_norm: float) -> RowReport:
        report = super().__new__(cls, records)
        report.median_norm = median_norm
        return report

    def __str__(self) -> str:
        def fmt(value: float | None, spec: str = ".3f") -> str:
            return "-" if value is None else format(value, spec)

        rows = [("token", "id", "hits", "moved", "cos(start)", "norm", "neighbours")]
        for r in self:
            rows.append(
                (
                    "(OOV)" if r.token is None else r.token,
                    str(r.id),
                    "-" if r.hits is None else str(r.hits),
                    fmt(r.moved),
                    fmt(r.start_cosine),
                    fmt(r.norm),
                    ", ".join(r.neighbours),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = [
            "  ".join(
                [
                    cell.ljust(w) if i == 0 else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row[:6], widths, strict=True))
                ]
                + [row[6]]
            ).rstrip()
            for row in rows
        ]
        lines.append(f"pretrained rows' median norm: {self.median_norm:.3f}")
        return "\n".join(lines)


def inspect_rows(
    model: keras.Model,
    vocab: Vocabulary,
    ids: Any = None,
    top: int = 5,
    block: str | None = None,
) -> RowReport:
    """Reports what each trainable row (specials, promoted words, OOV) learned.

    Works on a model reloaded from `.keras`.

    Args:
        model: a model holding a twoembed block (nested models are searched).
        vocab: the Vocabulary the block was built with.
        ids: the training ids (any shape, ints in `[0, vocab.oov_id]`), to
            count each row's hits; None leaves `hits` out.
        top: how many nearest pretrained words to list per row.
        block: the block's `name`, when the model holds several.

    Returns:
        A `RowReport`: one `RowRecord` per row, in id order; print it for a
        table.

    Example:

    >>> from twoembed import OOV, build_embedding_block
    >>> vocab = Vocabulary(["good", "bad"], [":)"])
    >>> starts = {":)": "good", OOV: "bad"}
    >>> block = build_embedding_block(vocab, np.eye(2), special_init=starts)
    >>> model = keras.Model(*block)
    >>> [(r.token, r.moved, r.neighbours) for r in inspect_rows(model, vocab, top=1)]
    [(':)', 0.0, ('good',)), (None, 0.0, ('bad',))]
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"`top` must be an int >= 1. Received: top={top!r}")
    pretrained, special = find_block(model, vocab, block)
    hits = None if ids is None else _count_hits(ids, vocab)
    rows = np.asarray(keras.ops.convert_to_numpy(special.embeddings), np.float64)
    rows = rows[1:]  # row 0 is what every normal word looks up: pinned at 0
    start = getattr(special, "start", None)
    if start is not None:
        start = np.asarray(keras.ops.convert_to_numpy(start), np.float64)[1:]
    found, cosines, median = nearest_rows(
        pretrained.embeddings, rows, top=min(int(top), vocab.num_words),
        first=1, stop=vocab.num_words + 1,
    )
    real = np.isfinite(cosines)  # fewer nonzero rows than `top`: lists stop short
    records = []
    first_id = vocab.num_words + 1
    for j, row in enumerate(rows):
        token_id = first_id + j
        norm = float(np.linalg.norm(row))
        moved = start_cosine = None
        if start is not None:
            moved = float(np.linalg.norm(row - start[j]))
            start_cosine = _cosine(row, start[j])
        records.append(
            RowRecord(
                token=vocab.token_of(token_id),
                id=token_id,
                hits=None if hits is None else int(hits[token_id]),
                moved=moved,
                start_cosine=start_cosine,
                norm=norm,
                neighbours=tuple(vocab.words[i - 1] for i in found[j][real[j]]),
                cosines=tuple(float(c) for c in cosines[j][real[j]]),
            )
        )
    return RowReport(records, median)


def nearest_rows(
    table: Any,
    queries: np.ndarray,
    top: int,
    first: int = 0,
    stop: int | None = None,
    chunk_rows: int = _SEARCH_CHUNK_ROWS,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The `top` rows of `table[first:stop]` nearest each query by cosine.

    `table` is any 2-D array or Keras variable. It is scored `chunk_rows`
    rows at a time, read in place where the backend allows (a CPU tensor
    through DLPack), else copied one chunk at a time; besides the `(rows,)`
    norms nothing table-sized is made. Rows of norm zero are never returned:
    where fewer than `top` rows are nonzero, a list ends in cosine -inf.

    Returns:
        `(indices, cosines, median_norm)`: int arrays `(len(queries), top)`
        of row indices into `table`, nearest first, their cosines, and the
        median L2 norm of the searched rows.
    """
    stop = int(table.shape[0]) if stop is None else stop
    host = _host_view(table)
    queries = np.asarray(queries, dtype=np.float32)
    unit = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
    unit_t = np.ascontiguousarray(unit.T)
    best_score = np.full((len(queries), top), -np.inf, dtype=np.float32)
    best_index = np.zeros((len(queries), top), dtype=np.int64)
    norms = np.empty(max(0, stop - first), dtype=np.float32)
    for start in range(first, stop, chunk_rows):
        end = min(start + chunk_rows, stop)
        if host is not None:
            chunk = host[start:end]
        else:
            chunk = keras.ops.convert_to_numpy(table[start:end])
        chunk = np.asarray(chunk, np.float32)
        chunk_norms = np.sqrt(np.einsum("ij,ij->i", chunk, chunk))
        norms[start - first : end - first] = chunk_norms
        scores = chunk @ unit_t  # (chunk, queries): the faster BLAS layout
        with np.errstate(divide="ignore", invalid="ignore"):
            scores /= chunk_norms[:, None]
        scores[chunk_norms == 0] = -np.inf
        # Only scores above a query's current top-th best can enter its list:
        # after the first chunks that is a handful, so no per-chunk sort.
        if start == first:  # fill the lists from the first chunk
            k = min(top, end - start)
            part = np.argpartition(-scores, k - 1, axis=0)[:k].T  # (queries, k)
            best_score[:, :k] = np.take_along_axis(scores.T, part, axis=1)
            best_index[:, :k] = part + start
            order = np.argsort(-best_score, axis=1, kind="stable")
            best_score = np.take_along_axis(best_score, order, axis=1)
            best_index = np.take_along_axis(best_index, order, axis=1)
            continue
        cols, rows = np.nonzero(scores > best_score[:, -1])
        for q in np.unique(rows):
            cand = cols[rows == q]
            score = np.concatenate([best_score[q], scores[cand, q]])
            index = np.concatenate([best_index[q], cand + start])
            keep = np.argsort(-score, kind="stable")[:top]
            best_score[q], best_index[q] = score[keep], index[keep]
    median = float(np.median(norms, overwrite_input=True)) if len(norms) else 0.0
    return best_index, best_score, median


def _host_view(table: Any) -> np.ndarray | None:
    """`table` as a NumPy array sharing its memory, or None if it cannot be
    had without a copy (a GPU tensor, a torch parameter)."""
    if isinstance(table, np.ndarray):
        return table
    value = table.value if isinstance(table, keras.Variable) else table
    try:
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            # A read of a TF variable shares the variable's buffer; a later
            # assign writes a new one, so the view stays what was read.
            value = tf.convert_to_tensor(value)
        return np.from_dlpack(value)
    except Exception:
        return None


def _count_hits(ids: Any, vocab: Vocabulary) -> np.ndarray:
    try:
        array = np.asarray(ids)
    except Exception:
        array = np.asarray(None)
    if array.dtype == bool or array.dtype.kind not in "iu":
        raise TypeError(
            "`ids` must be an array of integer ids (what Vocabulary.encode "
            f"returns). Received: ids with dtype={array.dtype}"
        )
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > vocab.oov_id:
            bad = low if low < 0 else high
            raise ValueError(
                f"`ids` holds {bad}, outside the vocabulary's ids [0, "
                f"{vocab.oov_id}]. Received: ids with min={low}, max={high}"
            )
    return np.bincount(array.ravel(), minlength=vocab.size)


def _cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denominator if denominator else None
