"""``optim-course``: the maintainer's and instructor's commands.

    optim-course sync [--all]      sync every .py/.ipynb pair, re-execute the stale notebooks
    optim-course execute NB...     re-execute notebooks in place (outputs committed as they come)
    optim-course build [--execute] render _build/: html/ (pages + index), slides/ (reveal.js),
                                   student/ (solutions stubbed), assets/ (offline scripts)
    optim-course check [--pairs|--anatomy|--sizes] [FILES]
                                   pairs in sync, notebook anatomy, no committed file over 1 MB
    optim-course work [--dir work] the student's folder: the student edition of every notebook
                                   missing there (or unedited); an edited one is kept and the
                                   new version written beside it as NN_stem.updated.ipynb
    optim-course clean             remove _build/ except the notebooks a student edited there

No command deletes or overwrites a notebook a student edited (`authoring/keep.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: course_utils/authoring/cli.py
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build"
WORK = ROOT / "work"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def notebook_sources(folder: Path = NOTEBOOKS) -> list[Path]:
    """The jupytext sources ``NN_stem.py``, in course order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.py"))


def _code_fingerprint(ipynb: Path) -> str:
    """A hash of a notebook's code cells: it changes when the .py's code changed."""
    import nbformat

    if not ipynb.exists():
        return ""
    nb = nbformat.read(ipynb, as_version=4)
    code = "\n#--\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return hashlib.sha256(code.encode()).hexdigest()


def _never_executed(ipynb: Path) -> bool:
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    return any(c.cell_type == "code" and c.source.strip() and c.execution_count is None for c in nb.cells)


def execute(ipynb: Path, timeout: int = 600) -> float:
    """Execute ``ipynb`` in place in a fresh kernel; returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ipynb, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)  # jupytext's pairs carry none: name the kernel
    env_before = dict(os.environ)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(ipynb.parent)}},
            record_timing=False,
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(nb, ipynb)
    return seconds


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) outputs into one, so that how the kernel happened to
    flush a cell's prints does not show up as a diff when a notebook is re-executed."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = prev["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def jupytext_sync(py: Path, rounds: int = 3) -> None:
    """``jupytext --sync`` until neither file changes (the first round after an execution may
    rewrite the .py, e.g. with the kernelspec, and the second brings the .ipynb in line)."""
    from jupytext.cli import jupytext as jupytext_cli  # in-process: a subprocess costs ~1 s

    ipynb = py.with_suffix(".ipynb")
    for _ in range(rounds):
        before = [p.read_bytes() if p.exists() else b"" for p in (py, ipynb)]
        jupytext_cli(["--sync", "--quiet", str(py.resolve())])
        if before == [p.read_bytes() for p in (py, ipynb)]:
            return


def cmd_sync(args: argparse.Namespace) -> int:
    for py in notebook_sources():
        ipynb = py.with_suffix(".ipynb")
        before = _code_fingerprint(ipynb)
        if not ipynb.exists():
            subprocess.run(
                [sys.executable, "-m", "jupytext", "--quiet", "--set-formats", "ipynb,py:percent",
                 str(py.resolve())],
                check=True,
            )
        jupytext_sync(py)
        stale = args.all or before != _code_fingerprint(ipynb) or _never_executed(ipynb)
        if stale:
            seconds = execute(ipynb)
            jupytext_sync(py)  # the executed .ipynb is newer: keep the pair's timestamps consistent
            print(f"executed {ipynb.relative_to(ROOT)} in {seconds:.1f} s")
        else:
            print(f"up to date {ipynb.relative_to(ROOT)}")
    return 0


def cmd_execute(args: argparse.Namespace) -> int:
    for name in args.notebooks:
        path = Path(name).with_suffix(".ipynb")
        if path.with_suffix(".py").exists():
            jupytext_sync(path.with_suffix(".py"))  # bring the .py's edits in before running
        seconds = execute(path)
        jupytext_sync(path.with_suffix(".py"))
        print(f"executed {path} in {seconds:.1f} s")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_course
    from .site import BuildError
    from .student import StubError

    folder = Path(args.notebooks)
    sources = notebook_sources(folder)
    if not sources:
        print(f"no notebooks (NN_stem.py) in {folder}", file=sys.stderr)
    out = Path(args.out)
    try:
        infos = build_course(
            [py.with_suffix(".ipynb") for py in sources],
            out,
            Path(args.node_modules),
            execute=_execute_and_sync if args.execute else None,
        )
    except (BuildError, StubError) as exc:
        print(f"optim-course build: {exc}", file=sys.stderr)
        return 1
    print(f"built {len(infos)} notebooks into {out}: open {out / 'html' / 'index.html'}")
    return 0


def _execute_and_sync(ipynb: Path) -> float:
    py = ipynb.with_suffix(".py")
    if py.exists():
        jupytext_sync(py)  # bring the .py's edits in before running
    seconds = execute(ipynb)
    jupytext_sync(py)
    return seconds


def cmd_check(args: argparse.Namespace) -> int:
    from .audit import check_course

    root = Path(args.root).resolve()
    chosen = args.pairs or args.anatomy or args.sizes
    report = check_course(
        root,
        pairs=args.pairs or not chosen,
        anatomy=args.anatomy or not chosen,
        sizes=args.sizes or not chosen,
        files=[Path(f).resolve() for f in args.files] or None,
    )
    total = 0
    for name, problems in report.items():
        if problems:
            total += len(problems)
            print(f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
            for problem in problems:
                print(f"  - {problem}")
    notebooks = sum(1 for name in report if name != "files")
    scope = ", ".join(filter(None, [f"{notebooks} notebooks" if notebooks else "",
                                    "file sizes" if "files" in report else ""]))
    if total:
        print(f"optim-course check: {total} problem{'s' if total > 1 else ''} ({scope} checked)")
        return 1
    print(f"optim-course check: all good ({scope} checked)")
    return 0


def cmd_work(args: argparse.Namespace) -> int:
    import nbformat

    from .keep import load_manifest, save_manifest, write_student_copy
    from .student import StubError, student_notebook

    folder = Path(args.dir)
    manifest = load_manifest(folder)
    problems = []
    for py in notebook_sources(Path(args.notebooks)):
        ipynb = py.with_suffix(".ipynb")
        if not ipynb.exists():
            problems.append(f"{ipynb.name}: missing; run `optim-course execute {py}`")
            continue
        try:
            student = student_notebook(nbformat.read(ipynb, as_version=4), ipynb.name)
        except StubError as exc:
            problems.append(str(exc))
            continue
        result = write_student_copy(folder, ipynb.name, nbformat.writes(student).encode("utf-8"), manifest)
        if result.action != "unchanged":
            print(result.describe(folder))
    save_manifest(folder, manifest)
    for problem in problems:
        print(f"optim-course work: {problem}", file=sys.stderr)
    print(f"your notebooks are in {folder}: work there; no build or clean ever overwrites them")
    return 1 if problems else 0


def cmd_clean(args: argparse.Namespace) -> int:
    import shutil

    from .keep import MANIFEST, forget_unedited, load_manifest, save_manifest

    out = Path(args.out)
    if not out.exists():
        return 0
    for child in out.iterdir():
        if child.name == "student":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    student = out / "student"
    if student.is_dir():
        manifest = load_manifest(student)
        forget_unedited(student, set(), manifest)
        save_manifest(student, manifest)
        left = sorted(p.name for p in student.iterdir() if p.name != MANIFEST)
        if left:
            print(f"kept in {student} (edited by you: never deleted): {', '.join(left)}")
        else:
            shutil.rmtree(student)
            if not any(out.iterdir()):
                out.rmdir()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optim-course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sync", help="sync the pairs and re-execute the stale notebooks")
    p.add_argument("--all", action="store_true", help="re-execute every notebook")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("execute", help="re-execute notebooks in place")
    p.add_argument("notebooks", nargs="+")
    p.set_defaults(func=cmd_execute)
    p = sub.add_parser("build", help="render pages, slides and the student edition into _build/")
    p.add_argument("--execute", action="store_true", help="re-execute the notebooks first")
    p.add_argument("--out", default=str(BUILD), help="output folder (default: _build)")
    p.add_argument("--notebooks", default=str(NOTEBOOKS), help="folder of NN_stem.py/.ipynb pairs")
    p.add_argument("--node-modules", default=str(ROOT / "node_modules"),
                   help="where `npm ci` installed reveal.js, MathJax, require.js and jQuery")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("check", help="pairs in sync, notebook anatomy, no file over 1 MB")
    p.add_argument("--pairs", action="store_true", help="only check that the pairs are in sync")
    p.add_argument("--anatomy", action="store_true", help="only check the notebooks' anatomy")
    p.add_argument("--sizes", action="store_true", help="only check file sizes")
    p.add_argument("--root", default=str(ROOT), help="the repository to check (default: this one)")
    p.add_argument("files", nargs="*", help="files to size-check instead of `git ls-files`")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("work", help="fill the student's work folder (never overwrites an edit)")
    p.add_argument("--dir", default=str(WORK), help="the student's folder (default: work)")
    p.add_argument("--notebooks", default=str(NOTEBOOKS), help="folder of NN_stem.py/.ipynb pairs")
    p.set_defaults(func=cmd_work)
    p = sub.add_parser("clean", help="remove _build/ except the student notebooks you edited")
    p.add_argument("--out", default=str(BUILD), help="the build folder (default: _build)")
    p.set_defaults(func=cmd_clean)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
