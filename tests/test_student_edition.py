"""The student edition of every notebook runs with its stubs.

Each notebook's student edition (solution cells replaced by stubs) is executed in a fresh
kernel. Every cell before the first exercise must run cleanly, every stub cell must run, and
every check cell must report "not implemented yet" instead of crashing. Cells after the
exercises may use an exercise's answer (a summary that calls the student's function): in the
student edition they may fail, so the notebook runs with ``allow_errors=True`` and only the
cells above are held to account. One test per notebook, so pytest-xdist spreads them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from _course_fixture import course_notebooks, write_pair
from nbclient import NotebookClient

from course_utils.authoring.audit import is_check_cell
from course_utils.authoring.student import SOLUTION_TAG, student_notebook

pytestmark = pytest.mark.slow  # executes notebooks / drives a browser: `make slow` and CI

CASES = [pytest.param(None, id="fixture")] + [pytest.param(p, id=p.stem) for p in course_notebooks()]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in {"execute_result", "display_data"}:
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback))
    return "\n".join(parts)


def _error(cell: nbformat.NotebookNode) -> str | None:
    """The error a cell raised, unless it is tagged ``raises-exception`` (it shows an error)."""
    if "raises-exception" in cell.get("metadata", {}).get("tags", []):
        return None
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return f"{out.ename}: {out.evalue}"
    return None


@pytest.mark.parametrize("ipynb", CASES)
def test_student_edition_runs_and_every_check_says_not_implemented(ipynb: Path | None, tmp_path):
    if ipynb is None:
        ipynb = write_pair(tmp_path / "source").with_suffix(".ipynb")
    teacher = nbformat.read(ipynb, as_version=4)
    student = student_notebook(teacher, ipynb.name)
    checks = [j for j, c in enumerate(student.cells) if c.cell_type == "code" and is_check_cell(c.source)]
    student.cells = student.cells[:max(checks, default=len(student.cells)) + 1]  # nothing later is checked
    client = NotebookClient(
        student, timeout=600, kernel_name="python3", allow_errors=True, record_timing=False,
        resources={"metadata": {"path": str(ipynb.parent)}},  # data files resolve as in class
    )
    client.execute()
    nbformat.write(student, tmp_path / ipynb.name)  # kept for a look when the test fails

    cells = student.cells
    solutions = [i for i, c in enumerate(cells) if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])]
    assert solutions, f"{ipynb.name} has no solution cell"
    for i, cell in enumerate(cells[:solutions[0]]):
        assert _error(cell) is None, f"{ipynb.name}, cell {i} (before the first exercise) failed: {_error(cell)}"
    for s in solutions:
        assert _error(cells[s]) is None, f"{ipynb.name}, stub cell {s} failed: {_error(cells[s])}\n{cells[s].source}"
        check = next(j for j in range(s + 1, len(cells)) if cells[j].cell_type == "code")
        assert is_check_cell(cells[check].source), f"{ipynb.name}, cell {check} is not a check cell"
        assert _error(cells[check]) is None, (
            f"{ipynb.name}, check cell {check} crashed on the stub: {_error(cells[check])}\n{cells[check].source}"
        )
        shown = _text(cells[check])
        assert "[TODO]" in shown and "not implemented yet" in shown, (
            f"{ipynb.name}, check cell {check} does not say 'not implemented yet' for the stub; it shows:\n{shown}"
        )
