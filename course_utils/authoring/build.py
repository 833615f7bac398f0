"""Build the course: ``build_course(notebooks, out)`` writes

    out/assets/    local copies of reveal.js, MathJax 2, require.js, jQuery and the widget renderer
    out/html/      one page per notebook and index.html (objectives and time from each title cell)
    out/slides/    one reveal.js deck per notebook, from the cells' ``slideshow`` metadata
    out/student/   the notebooks with every ``solution`` cell replaced by stubs, outputs cleared;
                   a notebook a student edited there is kept and the new version written beside
                   it as ``NN_stem.updated.ipynb`` (`keep`)

from the title cells (`titles`), the student edition (`student`) and the site (`site`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from .keep import forget_unedited, load_manifest, save_manifest, write_student_copy
from .site import BuildError, copy_assets, render_index, render_page, render_slides
from .student import StubError, student_notebook
from .titles import NotebookInfo, parse_title_cell

__all__ = ["build_course"]


def build_course(
    notebooks: list[Path],
    out: Path,
    node_modules: Path,
    *,
    execute: Callable[[Path], float] | None = None,
    log: Callable[[str], None] = print,
) -> list[NotebookInfo]:
    """Build pages, slides and student editions of ``notebooks`` (executed .ipynb) into ``out``.

    Writes everything it can, then raises ``BuildError`` listing every notebook that failed
    (a solution cell that cannot be stubbed, a notebook that does not exist).
    """
    copy_assets(node_modules, out / "assets")
    dirs = {name: out / name for name in ("html", "slides", "student")}
    for name in ("html", "slides"):  # never student/: students work there
        if dirs[name].exists():
            shutil.rmtree(dirs[name])  # a notebook removed from the course leaves no stale page
        dirs[name].mkdir(parents=True)
    dirs["student"].mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(dirs["student"])
    written: set[str] = set()
    problems: list[str] = []
    infos: list[NotebookInfo] = []
    students: set[str] = set()
    for ipynb in notebooks:
        if not ipynb.exists():
            problems.append(f"{ipynb.name}: missing; run `optim-course execute {ipynb.with_suffix('.py')}`")
            continue
        if execute is not None:
            seconds = execute(ipynb)
            log(f"executed {ipynb.name} in {seconds:.1f} s")
        nb = nbformat.read(ipynb, as_version=4)
        info = parse_title_cell(nb, ipynb.stem)
        infos.append(info)
        title = f"{info.number} · {info.title}"
        (dirs["html"] / f"{ipynb.stem}.html").write_text(render_page(nb, title), encoding="utf-8")
        (dirs["slides"] / f"{ipynb.stem}.slides.html").write_text(render_slides(nb, title), encoding="utf-8")
        try:
            student = student_notebook(nb, ipynb.name)
        except StubError as exc:
            problems.append(str(exc))
        else:
            result = write_student_copy(dirs["student"], ipynb.name,
                                        nbformat.writes(student).encode("utf-8"), manifest)
            written.update({ipynb.name, result.path.name})
            students.add(ipynb.stem)
            if result.action == "kept":
                log(result.describe(dirs["student"]))
        log(f"built {ipynb.stem}: html/{ipynb.stem}.html, slides/{ipynb.stem}.slides.html"
            + (f", student/{ipynb.name}" if ipynb.stem in students else ""))
    forget_unedited(dirs["student"], written, manifest)
    save_manifest(dirs["student"], manifest)
    (dirs["html"] / "index.html").write_text(render_index(infos, student=students), encoding="utf-8")
    log(f"wrote {dirs['html'] / 'index.html'}")
    if problems:
        raise BuildError("the build failed:\n" + "\n".join(problems))
    return infos
