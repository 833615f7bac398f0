"""The output comparison stays sharp: a formula change that moves a printed number by 1% fails.

Robust printing (rounding, "< 1e-12", verdicts) must not turn nbval into a check that cannot
fail. Each case executes a small notebook, commits its outputs, changes one formula so that one
printed number moves by 1%, and runs nbval exactly as `make test` does (same options, same
sanitizer, perturbed numerics included): it must fail, naming the cell, and pass unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")]

pytestmark = pytest.mark.slow  # executes notebooks: `make slow` and CI

SETUP = "from course_utils import GD, quadratic, run_trajectory, setup_notebook\nDEVICE = setup_notebook(seed=0)"
# 00's contraction factor of GD on a quadratic, printed to 4 decimals as the notebooks print it.
FORMULA = (
    "tr = run_trajectory(quadratic((1.0, 10.0)), GD, (1.5, 1.0), 20, lr=0.05)\n"
    "ratio = tr.positions[1:, 1] / tr.positions[:-1, 1]\n"
    "print(f'contraction {ratio.mean():.4f}, theory {1 - {SCALE}0.05 * 10.0:.4f}')"
)


def _notebook(scale: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(FORMULA.replace("{SCALE}", scale))]
    return nb


def _nbval(path: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, COURSE_DEVICE="cpu", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "pytest", *NBVAL, "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", str(path)], capture_output=True, text=True, env=env, cwd=path.parent)


def test_a_one_percent_change_fails_and_the_original_passes(tmp_path):
    committed = _notebook("")
    NotebookClient(committed, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = committed.cells[1].outputs[0]["text"]
    assert "theory 0.5000" in printed, printed
    path = tmp_path / "sensitivity.ipynb"

    nbformat.write(committed, path)
    same = _nbval(path)
    assert same.returncode == 0, same.stdout[-2000:]
    perturbed = _nbval(path, {"COURSE_NUMERICS": "flip"})
    assert perturbed.returncode == 0, perturbed.stdout[-2000:]

    changed = _notebook("1.01 * ")  # theory 1 - 0.505 = 0.4950: the printed number moves by 1%
    for new, old in zip(changed.cells, committed.cells, strict=True):
        new.outputs, new.execution_count = old.outputs, old.execution_count
    nbformat.write(changed, path)
    result = _nbval(path)
    assert result.returncode != 0
    assert "Cell 1" in result.stdout and "0.4950" in result.stdout and "0.5000" in result.stdout
