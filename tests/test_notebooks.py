"""Executes every notebook under notebooks/ top to bottom in a fresh kernel,
and checks that each committed .ipynb matches its text source (the jupytext
percent-format .py beside it), so the two cannot drift apart.

A cell that raises fails the test (nbclient raises CellExecutionError), and the
notebooks `assert` their own claims, so a regression in what they show fails
too. For the recipe notebook the test also reads the key printed figures.

Needs nbclient, nbformat, ipykernel and jupytext (the `test` extra). Without them the
test is skipped locally, but fails in CI (`CI` set), where they must be there.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
TIMEOUT_S = 600  # per cell; the recipe notebook takes about 15 s in all


def _require(module: str) -> object:
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise  # in CI the test extra is installed: a missing module is a bug
        pytest.skip(f"{module} is not installed; pip install '.[test]' to run this")


def _kernel_manager(tmp_path: Path) -> object:
    """A manager whose "python3" kernel is this interpreter, whatever is installed.

    A "python3" kernelspec found in the Jupyter paths may point at another
    Python, so the test writes its own spec running `sys.executable`.
    """
    _require("ipykernel")
    kernelspec = _require("jupyter_client.kernelspec")
    manager = _require("jupyter_client.manager")
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = kernelspec.KernelSpecManager(
        kernel_dirs=[str(spec_dir.parent)], ensure_native_kernel=False
    )
    return manager.KernelManager(kernel_name="python3", kernel_spec_manager=specs)


def _run(path: Path, tmp_path: Path) -> tuple[object, str]:
    """Executes the notebook; returns it and the interpreter its kernel ran."""
    nbclient = _require("nbclient")
    nbformat = _require("nbformat")
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:  # start from a clean slate, not committed outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    probe = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    notebook.cells.append(probe)
    client = nbclient.NotebookClient(
        notebook,
        km=_kernel_manager(tmp_path),
        timeout=TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},  # the kernel's cwd
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook, _text(notebook.cells.pop()).strip()


def _text(cell: object) -> str:
    return "".join(
        output.get("text", "")
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def _tagged(notebook: object, tag: str) -> str:
    cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return _text(cells[0])


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOKS_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_matches_its_text_source(path: Path) -> None:
    jupytext = _require("jupytext")
    nbformat = _require("nbformat")
    source = path.with_suffix(".py")
    assert source.is_file(), f"{path.name} has no text source {source.name}"
    expected = [_cell_key(c) for c in jupytext.read(source).cells]
    committed = [_cell_key(c) for c in nbformat.read(path, as_version=4).cells]
    assert committed == expected, (
        f"{path.name} differs from {source.name}; rebuild it with the command in "
        "README's Development section"
    )
    executed = [c for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "code"]  # fmt: skip
    assert all(c.execution_count for c in executed), f"{path.name} is not executed"


def _cell_key(cell: object) -> tuple[str, str, list[str]]:
    return cell.cell_type, cell.source, cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_errors(path: Path, tmp_path: Path) -> None:
    notebook, executable = _run(path, tmp_path)
    assert os.path.samefile(executable, sys.executable), (
        f"the kernel ran {executable}, not this interpreter {sys.executable}"
    )
    if path.name == "two_embedding_recipe.ipynb":
        _check_recipe_outputs(notebook)


def _check_recipe_outputs(notebook: object) -> None:
    drift = _tagged(notebook, "check-drift")
    verbatim = re.search(r"^verbatim recipe: max abs change .*? = (\S+) ", drift, re.M)
    pinned = re.search(r"^pinned: max abs change .*? = (\S+) ", drift, re.M)
    assert verbatim and float(verbatim[1]) > 0, drift
    assert pinned and pinned[1] == "0.0", drift

    mask = _tagged(notebook, "check-mask")
    assert "verbatim recipe: output mask = None;" in mask, mask
    assert "fixed: output mask = [[1 1 1 1 0 0 0 0 0 0]]; mask == (ids != 0): True" in (
        mask
    ), mask
    lstm_gap = re.search(r"^fixed: .*max abs difference (\S+)$", mask, re.M)
    assert lstm_gap and float(lstm_gap[1]) < 1e-6, mask

    safe_mode = _tagged(notebook, "check-safe-mode")
    assert "verbatim recipe: load_model raised ValueError" in safe_mode, safe_mode
    assert "safe_mode=False" in safe_mode, safe_mode
    assert "fixed: loaded in safe mode; same outputs as before saving: True" in (
        safe_mode
    ), safe_mode

    accuracy = _tagged(notebook, "check-twoembed")
    found = re.search(r"([\d.]+) with trainable special tokens, ([\d.]+)", accuracy)
    assert found, accuracy
    assert float(found[1]) > float(found[2]), accuracy  # the specials help

    rows = _tagged(notebook, "check-twoembed-rows")
    assert "largest change 0.0; all " in rows, rows
    assert "exactly the loaded vectors: True" in rows, rows

    inspected = _tagged(notebook, "check-inspect")
    assert "inspected rows: ['<url>', '<user>', '<num>', ':)', ':(', None]" in (
        inspected
    ), inspected
    assert "median norm" in inspected, inspected
