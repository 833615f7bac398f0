"""The course's house rules, checked: ``optim-course check`` (run by ``make test``).

* pairs: every ``notebooks/NN_stem.py`` has its ``.ipynb``, paired, executed, and in sync
  (``jupytext --sync`` on a temporary copy changes nothing);
* anatomy (CONTRIBUTING.md): title cell ``# NN · Title`` with 3 to 5 learning objectives,
  prerequisites and time to complete; a setup cell calling ``setup_notebook``; at least two
  exercises, each a ``solution`` cell that the student edition can stub followed by a check
  cell ending with a ``check_...`` call; Summary, References and What's next sections; every
  ``## `` heading starts a slide; kernelspec ``python3``;
* sizes: no file tracked by git is larger than 1 MB.

Each function returns a list of problems in plain words; an empty list means all is well.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat

from .student import SOLUTION_TAG, StubError, stub_source
from .titles import parse_title_cell

__all__ = [
    "MAX_BYTES",
    "REQUIRED_SECTIONS",
    "check_anatomy",
    "check_course",
    "check_pair",
    "check_sizes",
    "is_check_cell",
    "tracked_files",
]

MAX_BYTES = 1_000_000
MIN_OBJECTIVES, MAX_OBJECTIVES, MIN_EXERCISES = 3, 5, 2
REQUIRED_SECTIONS = ("Exercises", "Summary", "References", "What's next")


def _slide_type(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def _headings(cell: nbformat.NotebookNode) -> list[str]:
    return [line[3:].strip() for line in cell.source.splitlines() if line.startswith("## ")]


def _calls_check(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name.startswith("check_"):
                return True
    return False


def is_check_cell(source: str) -> bool:
    """A code cell whose last statement is an expression calling a ``check_...`` function."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and isinstance(tree.body[-1], ast.Expr) and _calls_check(tree.body[-1])


def check_anatomy(nb: nbformat.NotebookNode, stem: str) -> list[str]:
    """What ``nb`` lacks of the anatomy in CONTRIBUTING.md."""
    problems: list[str] = []
    cells = nb.cells
    # 1. title cell
    first = cells[0] if cells else None
    if first is None or first.cell_type != "markdown":
        problems.append("the first cell is not a markdown title cell")
    else:
        head = first.source.splitlines()[0] if first.source else ""
        if not re.match(rf"^# {re.escape(stem[:2])} · \S", head):
            problems.append(f"title cell: the first line must be '# {stem[:2]} · Title', not {head[:60]!r}")
        info = parse_title_cell(nb, stem)
        n = len(info.objectives)
        if not MIN_OBJECTIVES <= n <= MAX_OBJECTIVES:
            problems.append(f"title cell: {n} learning objectives under '**Learning objectives**' "
                            f"(want {MIN_OBJECTIVES} to {MAX_OBJECTIVES} bullets)")
        if "**Prerequisites" not in first.source:
            problems.append("title cell: no '**Prerequisites**'")
        if info.minutes is None:
            problems.append("title cell: no '**Time to complete:** about N minutes'")
        if _slide_type(first) != "slide":
            problems.append("title cell: slideshow slide_type is not 'slide'")
    # 2. setup cell
    code = [c for c in cells if c.cell_type == "code" and c.source.strip()]
    if not code or "setup_notebook(" not in code[0].source:
        problems.append("setup: the first code cell does not call setup_notebook(seed=...)")
    # 3. sections and their slides
    headings = {h for c in cells if c.cell_type == "markdown" for h in _headings(c)}
    for section in REQUIRED_SECTIONS:
        if not any(h.replace("’", "'").lower().startswith(section.lower()) for h in headings):
            problems.append(f"no '## {section}' section")
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("## ") and _slide_type(cell) != "slide":
            line = cell.source.splitlines()[0]
            problems.append(f"cell {index} ({line[:50]!r}): a section heading without "
                            f"slideshow slide_type 'slide' (has {_slide_type(cell)!r})")
    # 4. exercises: solution cells, stubbable, each followed by a check cell
    solutions = [i for i, c in enumerate(cells) if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])]
    if len(solutions) < MIN_EXERCISES:
        problems.append(f"{len(solutions)} exercise(s) with a 'solution'-tagged cell (want at least {MIN_EXERCISES})")
    for i in solutions:
        first_line = (cells[i].source.strip().splitlines() or [""])[0][:50]
        try:
            stub_source(cells[i].source)
        except StubError as exc:
            problems.append(f"cell {i} ({first_line!r}): the student edition cannot stub it: {exc}")
        following = next((j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code"), None)
        if following is None or not is_check_cell(cells[following].source):
            problems.append(f"cell {i} ({first_line!r}): the solution is not followed by a check cell "
                            "(a code cell ending with a call to a check_... function)")
    # 5. kernel
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec name is {kernel!r}, not 'python3'")
    return problems


def check_pair(py: Path) -> list[str]:
    """Is ``py`` paired with its ``.ipynb``, executed, and in sync?"""
    from jupytext.cli import jupytext as jupytext_cli

    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"no {ipynb.name}: pair it (jupytext --set-formats ipynb,py:percent) and execute it"]
    problems = []
    text = py.read_text(encoding="utf-8")
    if not re.search(r"formats:\s*ipynb,py", text):
        problems.append(f"{py.name} is not paired: run jupytext --set-formats ipynb,py:percent {py.name}")
    with tempfile.TemporaryDirectory() as tmp:
        tpy, tnb = Path(tmp) / py.name, Path(tmp) / ipynb.name
        shutil.copy2(py, tpy)
        shutil.copy2(ipynb, tnb)
        quiet = io.StringIO()
        try:
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                jupytext_cli(["--sync", "--quiet", str(tpy)])
        except (Exception, SystemExit) as exc:  # jupytext reports a broken pair by raising
            problems.append(f"jupytext --sync failed: {exc}")
        else:
            changed = [p.name for p, t in ((py, tpy), (ipynb, tnb)) if p.read_bytes() != t.read_bytes()]
            if changed:
                problems.append(f"the pair is out of sync (jupytext --sync rewrites {' and '.join(changed)}): "
                                f"run optim-course execute notebooks/{ipynb.name}")
    nb = nbformat.read(ipynb, as_version=4)
    unexecuted = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip() and c.execution_count is None)
    if unexecuted:
        problems.append(f"{ipynb.name} is not executed ({unexecuted} code cells without outputs): "
                        f"run optim-course execute notebooks/{ipynb.name}")
    return problems


def tracked_files(root: Path) -> list[Path]:
    """The files git tracks (committed or staged) under ``root``."""
    result = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"git ls-files failed in {root}: {result.stderr.strip()}")
    return [root / name for name in result.stdout.split("\0") if name]


def check_sizes(files: list[Path], limit: int = MAX_BYTES, root: Path | None = None) -> list[str]:
    """Every file larger than ``limit`` bytes."""
    problems = []
    for path in files:
        if path.is_file() and (size := path.stat().st_size) > limit:
            shown = path.relative_to(root) if root and path.is_relative_to(root) else path
            problems.append(f"{shown} is {size / 1e6:.2f} MB (the limit is {limit / 1e6:g} MB): "
                            "shrink its figures (fewer points, smaller dpi) or leave it out of git")
    return problems


def check_course(root: Path, *, pairs: bool = True, anatomy: bool = True, sizes: bool = True,
                 files: list[Path] | None = None) -> dict[str, list[str]]:
    """All checks on the repository at ``root``; maps a notebook (or 'files') to its problems."""
    report: dict[str, list[str]] = {}
    for py in sorted((root / "notebooks").glob("[0-9][0-9]_*.py")) if pairs or anatomy else []:
        name = f"notebooks/{py.stem}"
        problems: list[str] = []
        if pairs:
            problems += check_pair(py)
        if anatomy:
            ipynb = py.with_suffix(".ipynb")
            if ipynb.exists():
                nb = nbformat.read(ipynb, as_version=4)
            else:  # already reported by the pair check; the .py alone names no kernel yet
                import jupytext

                nb = jupytext.read(py)
                nb.metadata.setdefault("kernelspec", {"name": "python3"})
            problems += check_anatomy(nb, py.stem)
        report[name] = problems
    if sizes:
        try:
            listed = files if files else tracked_files(root)
        except RuntimeError as exc:
            report["files"] = [str(exc)]
        else:
            report["files"] = check_sizes(listed, root=root)
    return report
