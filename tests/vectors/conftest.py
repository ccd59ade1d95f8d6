"""The loader tests' fixture that puts block edges in the middle of small files."""

from __future__ import annotations

import dataclasses

import pytest

from twoembed.vectors import bulk
from twoembed.vectors.load import load
from twoembed.vectors.options import LoadOptions

_OPTIONS = {f.name for f in dataclasses.fields(LoadOptions)}


# Whole-file loads parse big blocks in bulk (pandas when importable, else
# NumPy) and fall back to a careful per-row path; small blocks put the block
# edges, and those fallbacks, in the middle of these files.
@pytest.fixture(params=["pandas", "numpy"])
def load_small(request):
    """`load_glove` reading 100-byte blocks with one parser, pandas or NumPy."""
    if request.param == "pandas" and bulk.pandas_read_csv() is None:
        pytest.skip("pandas is not installed")

    def load_small(path, words=None, *, counts=None, cache_dir=None, **options):
        assert set(options) <= _OPTIONS, options
        options.setdefault("block_size", 100)
        options.setdefault("whole_file_block_size", 100)
        chosen = LoadOptions(parser=request.param, **options)
        return load(path, words, counts=counts, cache_dir=cache_dir, options=chosen)

    return load_small
