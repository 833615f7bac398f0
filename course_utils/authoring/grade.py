"""Grading submitted student notebooks: ``optim-course grade SUBMISSIONS_DIR``.

A submission is someone else's code. For each ``.ipynb`` under the folder the grader
1. copies it into a temporary folder and reads the copy (the submission is never written to);
2. finds the instructor's notebook it belongs to (``NN_stem`` in its file name, else the one
   whose cell ids it shares: the student edition keeps the instructor's ids);
3. builds the graded notebook from the **instructor's** notebook, with each ``solution`` cell
   replaced by the submission's corresponding solution cell (same cell id, else the same
   position among the solution cells; a missing one becomes the student edition's stub). So the
   instructor's check cells always run: editing or deleting them in a submission changes nothing.
   A solution cell that rebinds a name the instructor's notebook imports (``check_value``,
   ``torch``, ...) is not run: its exercise is an ERROR;
4. executes it in a fresh kernel in the temporary folder, under a wall-clock limit for the whole
   notebook and a memory (address-space) limit on the kernel process (``_limits``);
5. reads each check cell's verdict: PASS, FAIL, TODO (the stub), ERROR (the solution cell raised,
   the check crashed, the kernel died) or TIMEOUT (the time ran out before the check ran).

Every exercise of every submission gets a verdict, whatever the notebook does. What the limits
do not stop (reading files, the network, other processes, monkeypatching the checkers from
inside a solution) is in docs/editions.md: grade in a container or VM for real isolation.
"""

from __future__ import annotations

import ast
import copy
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .student import SOLUTION_TAG, StubError, stub_source

__all__ = [
    "STATUSES",
    "Exercise",
    "Limits",
    "Verdict",
    "exercises",
    "grade_folder",
    "grade_notebook",
    "graded_notebook",
    "summary_table",
    "write_csv",
]

STATUSES = ("PASS", "FAIL", "TODO", "ERROR", "TIMEOUT")
_MARKS = {"[PASS]": "PASS", "[FAIL]": "FAIL", "[TODO]": "TODO", "[ERROR]": "ERROR"}
_EXERCISE = re.compile(r"Exercise\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall-clock seconds for the whole notebook, and megabytes of
    address space for its kernel (``RLIMIT_AS``)."""

    timeout: float = 300.0
    memory_mb: int = 4096


@dataclass(frozen=True)
class Exercise:
    """An exercise of the instructor's notebook: its name, its ``solution`` cell and its check cell."""

    name: str
    solution: int  # cell index
    check: int  # cell index


@dataclass(frozen=True)
class Verdict:
    """One row of the grades: a submission, an exercise, its status and the checker's message."""

    file: str
    exercise: str
    status: str
    message: str
    notebook: str = ""  # the instructor's notebook it was graded against (NN_stem)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The instructor's exercises: each ``solution`` cell and the next code cell, its check."""
    found: list[Exercise] = []
    last = -1
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SOLUTION_TAG not in _tags(cell):
            continue
        check = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"), None)
        if check is None:
            continue
        name = f"Exercise {len(found) + 1}"
        for j in range(i - 1, last, -1):  # the nearest "Exercise N" in the prose above it
            if nb.cells[j].cell_type == "markdown":
                m = _EXERCISE.search(nb.cells[j].source)
                if m:
                    name = f"Exercise {m.group(1)}"
                    break
        found.append(Exercise(name, i, check))
        last = check
    return found


def _imported_names(nb: nbformat.NotebookNode, skip: set[int]) -> set[str]:
    """Names the notebook binds by ``import`` outside the cells in ``skip`` (the solutions)."""
    names: set[str] = set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or i in skip:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
    names.discard("*")
    return names


def _top_level_bound(source: str) -> set[str]:
    """Names bound at the module level of ``source`` (not inside functions or classes), plus any
    declared ``global`` anywhere."""
    tree = ast.parse(source)
    names: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                if top and not isinstance(child, ast.Lambda):
                    names.add(child.name)
                for sub in ast.walk(child):
                    if isinstance(sub, ast.Global):
                        names.update(sub.names)
                continue
            if top:
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    names.add(child.id)
                elif isinstance(child, (ast.Import, ast.ImportFrom)):
                    names.update((a.asname or a.name).split(".")[0] for a in child.names)
            visit(child, top)

    visit(tree, True)
    return names


def graded_notebook(instructor: nbformat.NotebookNode, submission: nbformat.NotebookNode | None
                    ) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    """The notebook to execute: the instructor's, outputs cleared, each solution cell replaced by
    the submission's (by cell id, else by position among the solution cells; a missing one by
    the stub). Returns it and, per exercise name, why its solution was not used (if it was not)."""
    nb = copy.deepcopy(instructor)
    theirs: list = []
    by_id: dict[str, object] = {}
    if submission is not None:
        for cell in submission.cells:
            if cell.cell_type == "code" and SOLUTION_TAG in _tags(cell):
                theirs.append(cell)
                if cell.get("id"):
                    by_id[cell["id"]] = cell
    found = exercises(nb)
    protected = _imported_names(nb, {e.solution for e in found})
    rejected: dict[str, str] = {}
    for k, ex in enumerate(found):
        mine = nb.cells[ex.solution]
        cell = by_id.get(mine.get("id")) or (theirs[k] if k < len(theirs) else None)
        try:
            source = stub_source(mine.source)
        except StubError:
            source = "raise NotImplementedError('no solution submitted')"
        if cell is not None:
            try:
                shadowed = sorted(_top_level_bound(cell.source) & protected)
            except SyntaxError:
                shadowed = []  # runs, and fails in the kernel: the exercise is an ERROR
            if shadowed:
                rejected[ex.name] = (f"the solution cell rebinds {', '.join(shadowed)}, which the notebook "
                                     "imports; it was not run")
            else:
                source = cell.source
        mine.source = source
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb, rejected


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return output.get("data", {}).get("text/plain", "")


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # ANSI colours of tracebacks
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _error_of(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return _one_line(_text(out))
    return None


def _verdict_of_check(cell) -> tuple[str, str] | None:
    """(status, message) from a check cell's result, or None if it printed no verdict."""
    for out in cell.get("outputs", []):
        if out.get("output_type") not in ("execute_result", "display_data"):
            continue
        lines = _text(out).splitlines()
        marks = [(i, _MARKS[line.split()[0]]) for i, line in enumerate(lines)
                 if line.split() and line.split()[0] in _MARKS]
        if not marks:
            continue
        worst = next(((i, s) for i, s in marks if s != "PASS"), marks[0])
        i, status = worst
        rest = [lines[i][len(lines[i].split()[0]):].strip()] + [
            line.strip() for line in lines[i + 1:] if not (line.split() and line.split()[0] in _MARKS)]
        return status, _one_line(" ".join(rest))
    return None


def _kernel_manager_class(limits: Limits, pids: list[int]):
    from jupyter_client import AsyncKernelManager

    class LimitedKernelManager(AsyncKernelManager):
        """The kernel, started through ``_limits`` (memory and CPU limits, a clean environment)."""

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            wrapper = [sys.executable, "-m", "course_utils.authoring._limits",
                       "--memory-mb", str(limits.memory_mb),
                       "--cpu-seconds", str(int(limits.timeout) + 30),
                       "--env", "COURSE_DEVICE=cpu", "--env", "PYTHONHASHSEED=0",
                       "--env", "MPLBACKEND=Agg", "--"]
            return wrapper + cmd

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                pids.append(pid)

    return LimitedKernelManager


def _kill_group(pid: int) -> None:
    """Kill what is left of a kernel and whatever it started (its own session and group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def execute_graded(nb: nbformat.NotebookNode, folder: Path, limits: Limits) -> str | None:
    """Execute ``nb`` in place in a fresh, limited kernel in ``folder``; returns None, or
    "timeout" / "dead: ..." / "failed: ..." when the run stopped early."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    deadline = time.monotonic() + limits.timeout
    pids: list[int] = []
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, record_timing=False,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic() + 0.999)),
        startup_timeout=120, shutdown_kernel="immediate",
        kernel_manager_class=_kernel_manager_class(limits, pids),
        resources={"metadata": {"path": str(folder)}},
    )
    stopped: str | None = None
    try:
        # the kernel's own log (start-up warnings, a crash's last words) is not the grades' business
        client.execute(cwd=str(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        stopped = "timeout"
    except DeadKernelError as exc:
        stopped = f"dead: {exc}"
    except Exception as exc:  # a kernel that would not start, a broken message: still a verdict
        stopped = "timeout" if time.monotonic() >= deadline else f"failed: {type(exc).__name__}: {exc}"
    finally:
        for pid in pids:
            _kill_group(pid)
    return stopped


def _find_instructor(path: Path, nb: nbformat.NotebookNode | None,
                     instructors: dict[str, nbformat.NotebookNode]) -> str | None:
    stems = [s for s in instructors if s in path.name]
    if stems:
        return max(stems, key=len)
    if nb is None:
        return None
    ids = {c.get("id") for c in nb.cells if c.get("id")}
    overlap = {s: len(ids & {c.get("id") for c in inst.cells}) for s, inst in instructors.items()}
    best = max(overlap, key=overlap.get, default=None)
    return best if best is not None and overlap[best] > 0 else None


def grade_notebook(submission: Path, instructor: nbformat.NotebookNode, limits: Limits,
                   name: str | None = None) -> list[Verdict]:
    """The verdicts of one submission, one per exercise of ``instructor``."""
    label = name or submission.name
    stem = instructor.metadata.get("course_stem", "")
    found = exercises(instructor)
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        folder = Path(tmp)
        copy_path = folder / "submission.ipynb"
        shutil.copyfile(submission, copy_path)  # read from a copy: the submission stays as it is
        try:
            theirs = nbformat.read(copy_path, as_version=4)
        except Exception as exc:
            return [Verdict(label, ex.name, "ERROR", f"the notebook cannot be read: {_one_line(str(exc))}",
                            stem) for ex in found]
        nb, rejected = graded_notebook(instructor, theirs)
        stopped = execute_graded(nb, folder, limits)
    verdicts = []
    for ex in found:
        solution, check = nb.cells[ex.solution], nb.cells[ex.check]
        ran = check.get("execution_count") is not None or check.get("outputs")
        from_check = _verdict_of_check(check)
        if ex.name in rejected:
            status, message = "ERROR", rejected[ex.name]
        elif _error_of(solution) and not (from_check and from_check[0] == "TODO"):
            status, message = "ERROR", f"the solution cell raised {_error_of(solution)}"
        elif from_check is not None:
            status, message = from_check
        elif _error_of(check):
            status, message = "ERROR", f"the check raised {_error_of(check)}"
        elif stopped == "timeout" and not ran:
            status, message = "TIMEOUT", f"the notebook ran out of its {limits.timeout:g} s before this check"
        elif stopped and stopped.startswith("dead") and not ran:
            status, message = "ERROR", (f"the kernel died before this check (over the {limits.memory_mb} MB "
                                        "memory limit, or a crash)")
        elif stopped and not ran:
            status, message = "ERROR", f"the notebook stopped before this check ({stopped})"
        else:
            status, message = "ERROR", "the check printed no verdict"
        verdicts.append(Verdict(label, ex.name, status, message, stem))
    return verdicts


def submissions_in(folder: Path) -> list[Path]:
    """The ``.ipynb`` files under ``folder`` (checkpoints excluded), sorted."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def grade_folder(folder: Path, instructor_notebooks: list[Path], limits: Limits = Limits(),
                 log: Callable[[str], None] = print) -> list[Verdict]:
    """Grade every submission under ``folder`` against the instructor's notebooks."""
    instructors = {p.stem: nbformat.read(p, as_version=4) for p in instructor_notebooks}
    for stem, nb in instructors.items():
        nb.metadata["course_stem"] = stem
    verdicts: list[Verdict] = []
    for path in submissions_in(folder):
        label = str(path.relative_to(folder))
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            nb = None
        stem = _find_instructor(path, nb, instructors)
        if stem is None:
            verdicts.append(Verdict(label, "-", "ERROR", "not a notebook of this course (no NN_stem in "
                                    "its name and no cell in common with any course notebook)"))
            log(f"{label}: not a course notebook")
            continue
        start = time.perf_counter()
        rows = grade_notebook(path, instructors[stem], limits, name=label)
        verdicts.extend(rows)
        counts = Counter(v.status for v in rows)
        log(f"{label} ({stem}, {time.perf_counter() - start:.1f} s): "
            + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]))
    return verdicts


def write_csv(verdicts: list[Verdict], path: Path) -> None:
    """file, exercise, status, message: one row per submission and exercise."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "exercise", "status", "message"])
        for v in verdicts:
            writer.writerow([v.file, v.exercise, v.status, v.message])


def summary_table(verdicts: list[Verdict]) -> str:
    """Per notebook and exercise, how many submissions got each status (a plain-text table)."""
    counts: dict[tuple[str, str], Counter] = {}
    for v in verdicts:
        key = (v.notebook or "-", v.exercise)
        counts.setdefault(key, Counter())[v.status] += 1
    header = ["notebook", "exercise", *STATUSES]
    rows = [[nb, ex, *(str(c[s]) for s in STATUSES)] for (nb, ex), c in sorted(counts.items())]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*r) for r in [header, *rows])
