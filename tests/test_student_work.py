"""A student's work is never destroyed: no build, clean or lab command deletes or overwrites a
notebook a student edited, in ``_build/student/`` or in ``work/`` (`course_utils.authoring.keep`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _course_fixture import ROOT, STEM, need_node_modules, write_pair

from course_utils.authoring.cli import main
from course_utils.authoring.keep import MANIFEST, load_manifest, write_student_copy

NAME = f"{STEM}.ipynb"
ANSWER = "# my answer, typed in JupyterLab\nanswer = 0.5\n"


def _edit(path: Path) -> bytes:
    """Type an answer into the first code cell of ``path``, as a student would; returns the bytes."""
    nb = nbformat.read(path, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source = ANSWER + code.source
    nbformat.write(nb, path)
    return path.read_bytes()


def _change_course(py: Path) -> None:
    """The instructor fixes the notebook (a new cell), so the next build has a new version."""
    py.write_text(py.read_text(encoding="utf-8") + "\n# %%\nprint('a correction')\n", encoding="utf-8")
    from course_utils.authoring.cli import jupytext_sync

    jupytext_sync(py)


# --------------------------------------------------------------------------------------------
# keep.write_student_copy
# --------------------------------------------------------------------------------------------
def test_write_student_copy_replaces_only_its_own_unedited_copy(tmp_path):
    manifest: dict[str, str] = {}
    assert write_student_copy(tmp_path, "a.ipynb", b"v1", manifest).action == "new"
    assert write_student_copy(tmp_path, "a.ipynb", b"v1", manifest).action == "unchanged"
    assert write_student_copy(tmp_path, "a.ipynb", b"v2", manifest).action == "updated"
    assert (tmp_path / "a.ipynb").read_bytes() == b"v2"
    (tmp_path / "a.ipynb").write_bytes(b"v2 + my answers")
    result = write_student_copy(tmp_path, "a.ipynb", b"v3", manifest)
    assert result.action == "kept" and result.path.name == "a.updated.ipynb"
    assert (tmp_path / "a.ipynb").read_bytes() == b"v2 + my answers"
    assert (tmp_path / "a.updated.ipynb").read_bytes() == b"v3"
    assert "a.updated.ipynb" in result.describe(tmp_path) and "kept your edited a.ipynb" in result.describe(tmp_path)
    # the student works in the updated copy too: a fourth version goes to a third name
    (tmp_path / "a.updated.ipynb").write_bytes(b"v3 + answers")
    result = write_student_copy(tmp_path, "a.ipynb", b"v4", manifest)
    assert result.path.name == "a.updated-2.ipynb"
    assert (tmp_path / "a.updated.ipynb").read_bytes() == b"v3 + answers"


def test_a_file_of_unknown_origin_is_the_students(tmp_path):
    """No manifest (a folder from before this rule, or a notebook saved there by hand): kept."""
    (tmp_path / "a.ipynb").write_bytes(b"someone's notebook")
    manifest: dict[str, str] = {}
    assert write_student_copy(tmp_path, "a.ipynb", b"course", manifest).action == "kept"
    assert (tmp_path / "a.ipynb").read_bytes() == b"someone's notebook"


# --------------------------------------------------------------------------------------------
# Every command, on a student notebook edited in _build/student/ and in work/
# --------------------------------------------------------------------------------------------
@pytest.fixture()
def course(tmp_path) -> Path:
    py = write_pair(tmp_path / "notebooks")
    return py


def _build(tmp: Path) -> int:
    return main(["build", "--out", str(tmp / "_build"), "--notebooks", str(tmp / "notebooks"),
                 "--node-modules", str(need_node_modules())])


@pytest.mark.slow  # five builds (nbconvert pages and decks): `make slow` and CI
def test_rebuild_keeps_an_edited_student_notebook_and_writes_the_new_version_beside_it(course, capsys):
    tmp = course.parent.parent
    assert _build(tmp) == 0
    student = tmp / "_build" / "student" / NAME
    assert student.exists() and (student.parent / MANIFEST).exists()
    assert _build(tmp) == 0  # an unedited copy is simply rebuilt
    assert not (student.parent / f"{STEM}.updated.ipynb").exists()
    mine = _edit(student)
    capsys.readouterr()
    assert _build(tmp) == 0
    assert student.read_bytes() == mine  # the same course version: nothing to add
    _change_course(course)
    assert _build(tmp) == 0
    assert student.read_bytes() == mine
    updated = student.parent / f"{STEM}.updated.ipynb"
    assert "a correction" in updated.read_text(encoding="utf-8")
    assert f"kept your edited {NAME}" in capsys.readouterr().out
    assert main(["clean", "--out", str(tmp / "_build")]) == 0
    assert student.read_bytes() == mine
    assert not (tmp / "_build" / "html").exists()
    assert not updated.exists()  # the course's unedited copy goes; the student's stays
    assert _build(tmp) == 0
    assert student.read_bytes() == mine


def test_clean_removes_everything_when_nothing_was_edited(course):
    tmp = course.parent.parent
    assert _build(tmp) == 0
    assert main(["clean", "--out", str(tmp / "_build")]) == 0
    assert not (tmp / "_build").exists()


def test_work_folder_is_filled_with_what_is_missing_and_never_overwrites(course, capsys):
    tmp = course.parent.parent
    work = tmp / "work"
    args = ["work", "--dir", str(work), "--notebooks", str(course.parent)]
    assert main(args) == 0
    nb = nbformat.read(work / NAME, as_version=4)
    assert "NotImplementedError" in "".join(c.source for c in nb.cells)  # the student edition
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    mine = _edit(work / NAME)
    assert main(args) == 0
    assert (work / NAME).read_bytes() == mine
    _change_course(course)
    capsys.readouterr()
    assert main(args) == 0
    assert (work / NAME).read_bytes() == mine
    assert (work / f"{STEM}.updated.ipynb").exists()
    assert f"{STEM}.updated.ipynb" in capsys.readouterr().out
    assert _build(tmp) == 0 and main(["clean", "--out", str(tmp / "_build")]) == 0
    assert (work / NAME).read_bytes() == mine
    (work / NAME).unlink()  # a student who wants a fresh copy deletes theirs: `make lab` refills it
    assert main(args) == 0 and (work / NAME).exists()
    assert set(load_manifest(work)) == {NAME, f"{STEM}.updated.ipynb"}


@pytest.mark.slow  # a build and three make runs
def test_make_clean_and_make_work_keep_the_students_notebooks(course):
    """The Makefile's own targets, run in a copy of the repository's Makefile."""
    tmp = course.parent.parent
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, tmp / name)
    shutil.copytree(ROOT / "jupyterlab", tmp / "jupyterlab")
    venv = Path(sys.executable).parent.parent
    stamp = venv / ".installed"
    if not stamp.exists() or not (venv / "bin" / "optim-course").exists():
        pytest.skip("needs the course's .venv (make env)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    make = ["make", "-s", "-C", str(tmp), f"VENV={venv}", "-o", str(stamp)]
    assert _build(tmp) == 0
    student = tmp / "_build" / "student" / NAME
    mine_build = _edit(student)
    subprocess.run([*make, "work"], check=True, env=env, capture_output=True)
    work = tmp / "work" / NAME
    mine_work = _edit(work)
    _change_course(course)
    for target in ("clean", "work", "clean"):
        subprocess.run([*make, target], check=True, env=env, capture_output=True)
        assert student.read_bytes() == mine_build, target
        assert work.read_bytes() == mine_work, target
    assert (tmp / "work" / f"{STEM}.updated.ipynb").exists()


def test_lab_settings_open_py_as_notebooks_and_save_widget_state():
    """jupyterlab/overrides.json (installed into .venv by `make env`) names settings that exist."""
    settings = json.loads((ROOT / "jupyterlab" / "overrides.json").read_text(encoding="utf-8"))
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"
    assert settings["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    share = Path(sys.prefix) / "share" / "jupyter"
    widgets_schema = (share / "labextensions" / "@jupyter-widgets" / "jupyterlab-manager" / "schemas"
                      / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.json")
    if not widgets_schema.exists():
        pytest.skip("the JupyterLab widget manager is not installed in this environment")
    assert "saveState" in json.loads(widgets_schema.read_text(encoding="utf-8"))["properties"]
    factories = "".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in (share / "labextensions" / "jupyterlab-jupytext" / "static").glob("*.js"))
    assert "Jupytext Notebook" in factories  # the viewer's name, as jupytext registers it
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "share/jupyter/lab/settings/overrides.json" in makefile
    assert "cp jupyterlab/overrides.json" in (ROOT / "postBuild").read_text(encoding="utf-8")
