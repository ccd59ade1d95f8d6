"""Layouts for training the block under `keras.distribution` (JAX backend).

The frozen table is the one large thing in the block (glove.840B: 2.6 GB), so
under `ModelParallel` it is the thing worth splitting; the special table is a
few rows and stays replicated, so its update needs no collective.
"""

from __future__ import annotations

import re
from typing import Any

import keras

__all__ = ["sharded_layout"]

_SPLITS = ("columns", "rows")


def sharded_layout(
    mesh: Any,
    block: str = "twoembed",
    axis: str = "model",
    *,
    split: str = "columns",
) -> Any:
    """A `LayoutMap` splitting the block's frozen table over a mesh axis.

    Pass it to `keras.distribution.ModelParallel` and set that distribution
    before building the block: the frozen table is then created, and filled,
    shard by shard.

    Args:
        mesh: a `keras.distribution.DeviceMesh`.
        block: the `name` given to `build_embedding_block`.
        axis: the mesh axis to split the frozen table over.
        split: `"columns"` (the default) splits the vector dimension: each
            device holds every row, `dim / devices` columns of it. `"rows"`
            splits the rows; JAX then needs the row count (`vocab.size`) to
            be divisible by the size of `axis`, the dimension the same for
            `"columns"`.

    Returns:
        A `keras.distribution.LayoutMap` with the frozen table split and the
        special table replicated; add your own layers' layouts to it.

    Example (JAX backend, 2 devices):

        mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"])
        layout = twoembed.sharded_layout(mesh)
        keras.distribution.set_distribution(
            keras.distribution.ModelParallel(layout_map=layout, batch_dim_name="batch")
        )
        inputs, vectors = twoembed.build_embedding_block(vocab, matrix)
    """
    if not isinstance(mesh, keras.distribution.DeviceMesh):
        raise TypeError(
            "`mesh` must be a keras.distribution.DeviceMesh. Received: "
            f"mesh of type {type(mesh).__name__}"
        )
    axes = list(mesh.axis_names)
    if axis not in axes:
        raise ValueError(
            f"The mesh has no axis {axis!r}: its axes are {axes}. Pass one of "
            f"them as `axis`. Received: axis={axis!r}"
        )
    if not isinstance(block, str) or not block:
        raise ValueError(
            "`block` must be the non-empty name given to build_embedding_block. "
            f"Received: block={block!r}"
        )
    if split not in _SPLITS:
        raise ValueError(
            f'`split` must be "columns" or "rows". Received: split={split!r}'
        )
    layout_map = keras.distribution.LayoutMap(mesh)
    # A variable's path is "<layer>/embeddings", prefixed by its parents' names
    # when the block sits in a nested model.
    prefix = rf"(.*/)?{re.escape(block)}"
    layout_map[prefix + r"_pretrained/embeddings"] = (
        (None, axis) if split == "columns" else (axis, None)
    )
    layout_map[prefix + r"_special/embeddings"] = (None, None)
    return layout_map
