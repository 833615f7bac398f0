"""``optim-course``: the maintainer's and instructor's commands.

    optim-course sync [--all]      sync every .py/.ipynb pair, re-execute the stale notebooks
    optim-course execute NB...     re-execute notebooks in place (outputs committed as they come)
    optim-course build             render _build/html (one page per notebook and an index)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build"


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
    nbformat.write(nb, ipynb)
    return seconds


def jupytext_sync(py: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--sync", "--quiet", str(py.resolve())], check=True
    )


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
        seconds = execute(path)
        jupytext_sync(path.with_suffix(".py"))
        print(f"executed {path} in {seconds:.1f} s")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from nbconvert import HTMLExporter
    import nbformat

    out = BUILD / "html"
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for py in notebook_sources():
        ipynb = py.with_suffix(".ipynb")
        if args.execute:
            execute(ipynb)
        nb = nbformat.read(ipynb, as_version=4)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
        target = out / f"{py.stem}.html"
        target.write_text(body, encoding="utf-8")
        title = next((c.source.splitlines()[0].lstrip("# ") for c in nb.cells if c.cell_type == "markdown"), py.stem)
        pages.append((target.name, title))
        print(f"wrote {target.relative_to(ROOT)}")
    items = "\n".join(f'<li><a href="{href}">{title}</a></li>' for href, title in pages)
    (out / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Optimization for Deep Learning</title>"
        f"<h1>Optimization for Deep Learning</h1><ol>{items}</ol>\n",
        encoding="utf-8",
    )
    print(f"wrote {(out / 'index.html').relative_to(ROOT)}")
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
    p = sub.add_parser("build", help="render the course into _build/")
    p.add_argument("--execute", action="store_true", help="re-execute the notebooks first")
    p.set_defaults(func=cmd_build)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
