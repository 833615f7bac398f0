"""`optim-course grade`: submitted student notebooks graded against the instructor's notebook.

Fast tests (no kernel): how the graded notebook is assembled (the instructor's cells, the
submission's solution cells by id or position, the stub for a missing one, a solution that rebinds
an imported name refused) and how a check cell's output becomes a verdict.

Slow tests (they execute notebooks): the fixture notebook's student edition submitted with the
solutions filled in (all PASS), bare (all TODO), with a wrong solution, an exception, a kernel
crash, a memory hog, a deleted and a forged check cell, a rebound checker, an unreadable file and
an infinite loop; every exercise of every submission gets its verdict, and no submission file is
changed. Then every course notebook's student edition with the instructor's solutions (all PASS)
and with the stubs (all TODO).
"""

from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path

import nbformat
import pytest
from _course_fixture import course_notebooks, write_pair

from course_utils.authoring.cli import main
from course_utils.authoring.grade import (
    Limits,
    _verdict_of_check,
    exercises,
    grade_folder,
    grade_notebook,
    graded_notebook,
    summary_table,
)
from course_utils.authoring.student import SOLUTION_TAG, stub_source, student_notebook


@pytest.fixture(scope="module")
def instructor(tmp_path_factory) -> Path:
    """The fixture notebook (not executed: the grader clears outputs anyway), in its own folder."""
    folder = tmp_path_factory.mktemp("instructor")
    return write_pair(folder).with_suffix(".ipynb")


def _solutions(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])]


def submission(instructor: Path, *, filled: bool = True, edit=None) -> nbformat.NotebookNode:
    """The student edition of ``instructor``, with the instructor's solutions pasted back in
    (``filled``), then changed by ``edit(nb)``."""
    nb = nbformat.read(instructor, as_version=4)
    student = student_notebook(nb, instructor.name)
    if filled:
        for mine, theirs in zip(_solutions(nb), _solutions(student), strict=True):
            theirs.source = mine.source
    if edit is not None:
        edit(student)
    return student


def _set_solution(k: int, source: str):
    def edit(nb):
        _solutions(nb)[k].source = source
    return edit


# ------------------------------------------------------------------------------------------------
# Fast: the graded notebook and the verdicts
# ------------------------------------------------------------------------------------------------
def test_exercises_are_named_from_the_prose(instructor):
    nb = nbformat.read(instructor, as_version=4)
    found = exercises(nb)
    assert [e.name for e in found] == ["Exercise 1", "Exercise 2"]
    for e in found:
        assert SOLUTION_TAG in nb.cells[e.solution].metadata.tags
        assert nb.cells[e.check].source.startswith("check_")


def test_graded_notebook_is_the_instructors_with_the_submitted_solutions(instructor):
    nb = nbformat.read(instructor, as_version=4)

    def vandalise(sub):
        _solutions(sub)[0].source = "critical_lr = 1.0"
        checks = [c for c in sub.cells if c.cell_type == "code" and c.source.startswith("check_")]
        checks[0].source = 'print("[PASS] critical learning rate")'  # a forged check
        sub.cells.remove(checks[1])  # a deleted check
        sub.cells.insert(0, nbformat.v4.new_code_cell("print('extra cell')"))

    graded, rejected = graded_notebook(nb, submission(instructor, edit=vandalise))
    assert rejected == {}
    assert len(graded.cells) == len(nb.cells)
    for mine, ours in zip(nb.cells, graded.cells, strict=True):
        if SOLUTION_TAG not in mine.metadata.get("tags", []):
            assert ours.source == mine.source  # every other cell is the instructor's
    assert [c.source for c in _solutions(graded)] == ["critical_lr = 1.0", _solutions(nb)[1].source]
    assert all(c.outputs == [] for c in graded.cells if c.cell_type == "code")


def test_solutions_matched_by_position_when_ids_differ_and_stubbed_when_missing(instructor):
    nb = nbformat.read(instructor, as_version=4)

    def shuffle_ids(sub):
        for i, cell in enumerate(sub.cells):
            cell["id"] = f"other-{i}"
        sub.cells.remove(_solutions(sub)[1])  # the second solution is gone

    graded, _ = graded_notebook(nb, submission(instructor, edit=shuffle_ids))
    sols = _solutions(graded)
    assert sols[0].source == _solutions(nb)[0].source
    assert sols[1].source == stub_source(_solutions(nb)[1].source)


def test_a_solution_that_rebinds_an_imported_name_is_not_run(instructor):
    nb = nbformat.read(instructor, as_version=4)
    cheat = ("critical_lr = 0.5\n"
             "def check_optimizer(*args, **kwargs):\n    return '[PASS] forged'\n")
    graded, rejected = graded_notebook(nb, submission(instructor, edit=_set_solution(0, cheat)))
    assert "check_optimizer" in rejected["Exercise 1"]
    assert _solutions(graded)[0].source == stub_source(_solutions(nb)[0].source)


@pytest.mark.parametrize(("text", "status", "words"), [
    ("[PASS] lr\n  0.5 is right.", "PASS", "0.5 is right"),
    ("[FAIL] lr\n  1 is not the answer.\n  hint: the stability limit", "FAIL", "hint: the stability limit"),
    ("[TODO] lr\n  not implemented yet: write it", "TODO", "not implemented"),
    ("[ERROR] lr\n  your code raised ValueError: no", "ERROR", "ValueError"),
    ("[PASS] a\n  fine\n[FAIL] b\n  wrong", "FAIL", "wrong"),
])
def test_a_check_cells_output_becomes_a_verdict(text, status, words):
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="[PASS] printed, not returned\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)]
    got = _verdict_of_check(cell)
    assert got is not None and got[0] == status and words in got[1]


def test_printed_text_is_not_a_verdict():
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="[PASS] forged\n")]
    assert _verdict_of_check(cell) is None


# ------------------------------------------------------------------------------------------------
# Slow: the fixture's submissions executed
# ------------------------------------------------------------------------------------------------
HOG = "critical_lr = len(bytearray(8 * 2**30))  # 8 GiB, past the 3 GB limit"
CASES = {
    # name: (edit, Exercise 1, Exercise 2, a word of Exercise 1's message)
    "solved": (None, "PASS", "PASS", "is right"),
    "wrong": (_set_solution(0, "critical_lr = 1.0"), "FAIL", "PASS", "not the answer"),
    "raises": (_set_solution(0, "critical_lr = 1 / 0"), "ERROR", "PASS", "ZeroDivisionError"),
    "method_raises": (_set_solution(1, "class MyGD(OptimizerBase):\n"
                                       "    hyperparameters = GD.hyperparameters\n"
                                       "    defaults_ = {'lr': 0.01}\n\n"
                                       "    def update_param(self, p, grad, state, group):\n"
                                       "        raise KeyError('oops')\n"),
                      "PASS", "ERROR", "is right"),
    "memory_hog": (_set_solution(0, HOG), "ERROR", "PASS", "MemoryError"),
    "crash": (_set_solution(1, "import os\nos._exit(3)"), "PASS", "ERROR", "is right"),
    "deleted_check": (lambda nb: [_set_solution(0, "critical_lr = 1.0")(nb),
                                  nb.cells.remove(next(c for c in nb.cells if c.source.startswith("check_value")))],
                      "FAIL", "PASS", "not the answer"),
    "forged_check": (lambda nb: [_set_solution(0, "critical_lr = 1.0")(nb), [
        setattr(c, "source", 'print("[PASS] critical learning rate")') for c in nb.cells
        if c.source.startswith("check_")]], "FAIL", "PASS", "not the answer"),
    "rebinds_checker": (_set_solution(0, "critical_lr = 1.0\ndef check_value(*a, **k):\n    return 'ok'\n"),
                        "ERROR", "PASS", "rebinds check_value"),
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_grading_the_fixtures_submissions(instructor, tmp_path, capsys):
    subs = tmp_path / "submissions"
    (subs / "class_a").mkdir(parents=True)
    for name, (edit, *_rest) in CASES.items():
        nbformat.write(submission(instructor, edit=edit), subs / "class_a" / f"{name}_00_fixture.ipynb")
    nbformat.write(submission(instructor, filled=False), subs / "stubs_00_fixture.ipynb")
    (subs / "garbled_00_fixture.ipynb").write_text("{ not json", encoding="utf-8")
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(other, subs / "homework.ipynb")
    before = {p: _sha(p) for p in subs.rglob("*") if p.is_file()}

    out = tmp_path / "grades.csv"
    code = main(["grade", str(subs), "--notebooks", str(instructor.parent), "--out", str(out),
                 "--timeout", "600", "--memory", "3072"])
    assert code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    got = {(Path(r["file"]).name.removesuffix("_00_fixture.ipynb"), r["exercise"]): r for r in rows}

    for name, (_edit, first, second, word) in CASES.items():
        assert got[(name, "Exercise 1")]["status"] == first, (name, got[(name, "Exercise 1")])
        assert got[(name, "Exercise 2")]["status"] == second, (name, got[(name, "Exercise 2")])
        assert word in got[(name, "Exercise 1")]["message"], (name, got[(name, "Exercise 1")])
    assert "kernel died" in got[("crash", "Exercise 2")]["message"]
    assert {got[("stubs", e)]["status"] for e in ("Exercise 1", "Exercise 2")} == {"TODO"}
    assert {got[("garbled", e)]["status"] for e in ("Exercise 1", "Exercise 2")} == {"ERROR"}
    assert got[("homework.ipynb", "-")]["status"] == "ERROR"
    assert len(rows) == 2 * (len(CASES) + 2) + 1  # a verdict for every exercise of every submission
    assert {p: _sha(p) for p in subs.rglob("*") if p.is_file()} == before, "a submission was changed"

    table = capsys.readouterr().out
    assert "00_fixture  Exercise 1" in table and "TIMEOUT" in table


@pytest.mark.slow
def test_an_infinite_loop_times_out_and_the_grader_goes_on(instructor, tmp_path):
    path = tmp_path / "loop_00_fixture.ipynb"
    nbformat.write(submission(instructor, edit=_set_solution(1, "while True:\n    pass")), path)
    nb = nbformat.read(instructor, as_version=4)
    start = time.monotonic()
    verdicts = grade_notebook(path, nb, Limits(timeout=45, memory_mb=3072))
    elapsed = time.monotonic() - start
    assert [v.status for v in verdicts][1] == "TIMEOUT"
    assert verdicts[0].status in {"PASS", "TIMEOUT"}  # PASS unless the machine is too slow to get there
    assert "45 s" in verdicts[1].message
    assert elapsed < 45 + 60, f"the grader took {elapsed:.0f} s for a 45 s limit"


# ------------------------------------------------------------------------------------------------
# Slow: the course's own notebooks
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("ipynb", [pytest.param(p, id=p.stem) for p in course_notebooks()])
def test_course_student_edition_solved_passes_and_bare_is_todo(ipynb, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(submission(ipynb), subs / f"solved_{ipynb.name}")
    nbformat.write(submission(ipynb, filled=False), subs / f"bare_{ipynb.name}")
    verdicts = grade_folder(subs, [ipynb], Limits(timeout=600), log=lambda _: None)
    n = len(exercises(nbformat.read(ipynb, as_version=4)))
    assert n >= 3
    by_file = {}
    for v in verdicts:
        by_file.setdefault(Path(v.file).name.split("_")[0], []).append(v)
    assert [v.status for v in by_file["solved"]] == ["PASS"] * n, summary_table(verdicts) + str(by_file["solved"])
    assert [v.status for v in by_file["bare"]] == ["TODO"] * n, summary_table(verdicts) + str(by_file["bare"])
