"""``optim-course check``: a good course passes; each defect is reported, per notebook."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from _course_fixture import STEM, fake_execute, write_pair

from course_utils.authoring.audit import check_anatomy, check_pair
from course_utils.authoring.cli import jupytext_sync, main

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


@pytest.fixture(scope="module")
def good_repo(tmp_path_factory) -> Path:
    """A git repository with one good, executed, in-sync notebook pair, committed."""
    root = tmp_path_factory.mktemp("good")
    fake_execute(write_pair(root / "notebooks"))
    subprocess.run([*GIT, "init", "-q", str(root)], check=True)
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-q", "-m", "fixture"], check=True)
    return root


@pytest.fixture
def repo(good_repo, tmp_path) -> Path:
    """A fresh copy of the good repository (timestamps kept) for one test to break."""
    target = tmp_path / "repo"
    shutil.copytree(good_repo, target, symlinks=True)
    return target


def run_check(root: Path, capsys, *args: str) -> tuple[int, str]:
    code = main(["check", "--root", str(root), *args])
    return code, capsys.readouterr().out


def test_the_course_itself_passes_the_check(capsys):
    """`make test` runs `optim-course check` on this repository here, beside the other tests."""
    code, out = run_check(Path(__file__).resolve().parent.parent, capsys)
    assert code == 0, out
    assert "all good" in out, out


def edit_py(root: Path, old: str, new: str, sync: bool = True) -> None:
    """Change the fixture's .py and (by default) bring its .ipynb in line, as an author would."""
    py = root / "notebooks" / f"{STEM}.py"
    text = py.read_text()
    assert old in text, old
    py.write_text(text.replace(old, new, 1))
    stamp = py.with_suffix(".ipynb").stat().st_mtime + 5
    os.utime(py, (stamp, stamp))  # the edit is newer than the .ipynb, as in real life
    if sync:
        jupytext_sync(py)


def test_a_good_notebook_passes(repo, capsys):
    code, out = run_check(repo, capsys)
    assert code == 0, out
    assert "all good (1 notebooks, file sizes checked)" in out


def test_missing_summary_is_reported(repo, capsys):
    edit_py(repo, '# %% [markdown] slideshow={"slide_type": "slide"}\n# ## Summary', "# %% [markdown]\n# Summary")
    code, out = run_check(repo, capsys)
    assert code == 1
    assert f"notebooks/{STEM}: 1 problem" in out
    assert "no '## Summary' section" in out


def test_a_stale_pair_is_reported(repo, capsys):
    edit_py(repo, "lam, eta = 4.0, 0.1", "lam, eta = 4.0, 0.2", sync=False)
    code, out = run_check(repo, capsys)
    assert code == 1
    assert "the pair is out of sync (jupytext --sync rewrites 00_fixture.ipynb)" in out
    # the check works on a copy: the repository's files are untouched
    assert "0.1" in (repo / "notebooks" / f"{STEM}.ipynb").read_text().split("lam, eta = 4.0, ")[1][:4]


def test_a_big_committed_file_is_reported_and_an_untracked_one_is_not(repo, capsys):
    (repo / "big.bin").write_bytes(b"\0" * 1_200_000)
    (repo / "untracked.bin").write_bytes(b"\0" * 1_200_000)
    subprocess.run([*GIT, "-C", str(repo), "add", "big.bin"], check=True)
    code, out = run_check(repo, capsys)
    assert code == 1
    assert "files: 1 problem" in out and "big.bin is 1.20 MB (the limit is 1 MB)" in out
    assert "untracked.bin" not in out
    code, out = run_check(repo, capsys, "--sizes")  # sizes only: the notebooks are not checked
    assert code == 1 and "notebooks/" not in out


def test_sizes_of_named_files_as_pre_commit_passes_them(tmp_path, capsys):
    small, big = tmp_path / "small.py", tmp_path / "big.ipynb"
    small.write_text("x = 1\n")
    big.write_bytes(b"{" + b" " * 1_000_001 + b"}")
    assert main(["check", "--sizes", str(small)]) == 0
    assert main(["check", "--sizes", str(small), str(big)]) == 1
    assert "big.ipynb is 1.00 MB" in capsys.readouterr().out


def test_a_heading_without_slide_metadata_is_reported(repo, capsys):
    edit_py(repo, '# %% [markdown] slideshow={"slide_type": "slide"}\n# ## References', "# %% [markdown]\n# ## References")
    code, out = run_check(repo, capsys)
    assert code == 1
    assert "('## References'): a section heading without slideshow slide_type 'slide' (has None)" in out


def test_a_solution_without_a_check_cell_is_reported(repo, capsys):
    edit_py(repo, 'check_value("critical learning rate", critical_lr, 0.5)', "print(critical_lr)")
    code, out = run_check(repo, capsys)
    assert code == 1
    assert "('critical_lr = 2 / lam'): the solution is not followed by a check cell" in out


def test_an_unstubbable_solution_is_reported(repo, capsys):
    edit_py(repo, "critical_lr = 2 / lam\n", "critical_lr = 2 / lam\nprint(critical_lr)\n")
    code, out = run_check(repo, capsys)
    assert code == 1
    assert "the student edition cannot stub it: line 2: 'print(critical_lr)'" in out


def test_a_missing_ipynb_is_reported(repo, capsys):
    (repo / "notebooks" / f"{STEM}.ipynb").unlink()
    code, out = run_check(repo, capsys, "--pairs")
    assert code == 1
    assert f"no {STEM}.ipynb: pair it" in out


def test_an_unexecuted_notebook_is_reported(tmp_path):
    py = write_pair(tmp_path)
    problems = check_pair(py)
    assert len(problems) == 1 and "is not executed" in problems[0]


def test_an_unpaired_py_is_reported(repo):
    py = repo / "notebooks" / f"{STEM}.py"
    py.write_text(py.read_text().replace("formats: ipynb,py:percent", "formats: py:percent"))
    assert any("is not paired" in p for p in check_pair(py))


# ------------------------------------------------------------------------------------------------
# Anatomy, on the notebook in memory
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_nb(good_repo) -> nbformat.NotebookNode:
    return nbformat.read(good_repo / "notebooks" / f"{STEM}.ipynb", as_version=4)


def test_the_good_notebook_has_the_whole_anatomy(good_nb):
    assert check_anatomy(good_nb, STEM) == []


def _title(nb: nbformat.NotebookNode, old: str, new: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    assert old in nb.cells[0].source
    nb.cells[0].source = nb.cells[0].source.replace(old, new)
    return nb


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("# 00 · A tiny fixture", "# A tiny fixture", "the first line must be '# 00 · Title'"),
        ("- read a loss curve\n", "", "2 learning objectives"),
        ("- read a loss curve\n", "- a\n- b\n- c\n- d\n", "6 learning objectives"),
        ("**Time to complete:** about 5 minutes", "", "no '**Time to complete:** about N minutes'"),
        ("**Prerequisites** none.", "", "no '**Prerequisites**'"),
    ],
)
def test_title_cell_defects(good_nb, old, new, expected):
    problems = check_anatomy(_title(good_nb, old, new), STEM)
    assert len(problems) == 1 and expected in problems[0], problems


def test_title_number_must_match_the_file(good_nb):
    problems = check_anatomy(good_nb, "03_fixture")
    assert problems == ["title cell: the first line must be '# 03 · Title', not '# 00 · A tiny fixture'"]


def test_wrong_kernel_missing_setup_and_too_few_exercises(good_nb):
    nb = copy.deepcopy(good_nb)
    nb.metadata["kernelspec"]["name"] = "conda-env-old"
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source = setup.source.replace("DEVICE = setup_notebook(seed=0)", "DEVICE = 'cpu'")
    solution = next(c for c in nb.cells if "solution" in c.metadata.get("tags", []))
    solution.metadata["tags"] = []
    problems = check_anatomy(nb, STEM)
    assert len(problems) == 3, problems
    assert "kernelspec name is 'conda-env-old', not 'python3'" in problems
    assert any(p.startswith("setup: the first code cell does not call setup_notebook") for p in problems)
    assert "1 exercise(s) with a 'solution'-tagged cell (want at least 2)" in problems


def test_title_cell_must_be_a_slide(good_nb):
    nb = copy.deepcopy(good_nb)
    nb.cells[0].metadata["slideshow"] = {"slide_type": "skip"}
    assert check_anatomy(nb, STEM) == ["title cell: slideshow slide_type is not 'slide'"]


def test_execute_coalesces_stream_chunks():
    from nbformat.v4 import new_output

    from course_utils.authoring.cli import coalesce_streams

    outs = [new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n"),
            new_output("stream", name="stderr", text="w\n"), new_output("stream", name="stdout", text="c\n"),
            new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
            new_output("stream", name="stdout", text="d\n")]
    merged = coalesce_streams(outs)
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "w\n"), ("stream", "stdout", "c\n"),
        ("execute_result", None, None), ("stream", "stdout", "d\n")]
