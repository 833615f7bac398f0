"""Every notebook is a jupytext pair, and syncing the pairs leaves the tree unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from jupytext.cli import jupytext as jupytext_cli

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_stem.py found"


def test_every_py_has_an_ipynb_and_back():
    py = {p.stem for p in SOURCES}
    nb = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert py == nb, f"unpaired: {sorted(py ^ nb)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_sync_leaves_the_pair_unchanged(source, tmp_path):
    ipynb = source.with_suffix(".ipynb")
    for f in (source, ipynb):
        shutil.copy2(f, tmp_path / f.name)
    # in-process: a subprocess per notebook costs an interpreter start and jupytext's imports each time
    assert jupytext_cli(["--sync", "--quiet", str(tmp_path / source.name)]) in (None, 0)
    for f in (source, ipynb):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), (
            f"{f.name} changes when the pair is synced: edit the .py, then run "
            f"`optim-course execute {ipynb.relative_to(NOTEBOOKS.parent)}` and commit both"
        )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_is_executed_with_python3_kernel(source):
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    missing = [i for i, c in enumerate(code) if c.execution_count is None]
    assert not missing, f"code cells never executed: {missing}"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "executed out of order or partly: re-execute it"
