"""Build the course: ``build_course(notebooks, out)`` writes

    out/assets/    local copies of reveal.js, MathJax 2, require.js, jQuery and the widget renderer
    out/html/      one page per notebook (previous/next links, a table of contents of its
                   sections), index.html (objectives and time from each title cell), and an
                   offline full-text search (search.html, search-index.js)
    out/slides/    one reveal.js deck per notebook, from the cells' ``slideshow`` metadata
    out/student/   the notebooks with every ``solution`` cell replaced by stubs, outputs cleared;
                   a notebook a student edited there is kept and the new version written beside
                   it as ``NN_stem.updated.ipynb`` (`keep`)
    out/pdf/       the handouts: NN_stem.slides.pdf (the deck, one slide per page) and
                   NN_stem.pdf (the page), printed by headless Chromium when there is one

from the title cells (`titles`), the student edition (`student`), the site (`site`) and the
browser (`browser`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from .keep import forget_unedited, load_manifest, save_manifest, write_student_copy
from .site import (
    BuildError,
    PageNav,
    copy_assets,
    render_index,
    render_notation,
    render_page,
    render_search,
    render_slides,
    search_entries,
    section_headings,
)
from .student import StubError, student_notebook
from .titles import NotebookInfo, parse_title_cell

__all__ = ["build_course", "write_pdfs"]

# The course's notation table, written into the site as html/notation.html (linked from the index).
NOTATION = Path(__file__).resolve().parents[2] / "docs" / "notation.md"


def build_course(
    notebooks: list[Path],
    out: Path,
    node_modules: Path,
    *,
    execute: Callable[[Path], float] | None = None,
    pdf: bool | None = None,
    log: Callable[[str], None] = print,
) -> list[NotebookInfo]:
    """Build pages, slides, student editions and handouts of ``notebooks`` (executed .ipynb)
    into ``out``.

    ``pdf``: True prints the PDFs (an error without Chromium), False skips them, None (the
    default) prints them when Chromium is installed and says so when it is not. Writes
    everything it can, then raises ``BuildError`` listing every notebook that failed (a solution
    cell that cannot be stubbed, a notebook that does not exist).
    """
    import time

    copy_assets(node_modules, out / "assets")
    dirs = {name: out / name for name in ("html", "slides", "student", "pdf")}
    for name in ("html", "slides", "pdf"):  # never student/: students work there
        if dirs[name].exists():
            shutil.rmtree(dirs[name])  # a notebook removed from the course leaves no stale page
        dirs[name].mkdir(parents=True)
    dirs["student"].mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(dirs["student"])
    written: set[str] = set()
    problems: list[str] = []
    loaded: list[tuple[Path, nbformat.NotebookNode, NotebookInfo]] = []
    for ipynb in notebooks:
        if not ipynb.exists():
            problems.append(f"{ipynb.name}: missing; run `optim-course execute {ipynb.with_suffix('.py')}`")
            continue
        if execute is not None:
            seconds = execute(ipynb)
            log(f"executed {ipynb.name} in {seconds:.1f} s")
        nb = nbformat.read(ipynb, as_version=4)
        loaded.append((ipynb, nb, parse_title_cell(nb, ipynb.stem)))
    infos = [info for _, _, info in loaded]
    students: set[str] = set()
    search: list[dict[str, str]] = []
    for k, (ipynb, nb, info) in enumerate(loaded):
        title = f"{info.number} · {info.title}"
        neighbour = {d: (f"{loaded[k + d][2].stem}.html", f"{loaded[k + d][2].number} · {loaded[k + d][2].title}")
                     for d in (-1, 1) if 0 <= k + d < len(loaded)}
        page = render_page(nb, title, nav=PageNav(prev=neighbour.get(-1), next=neighbour.get(1)))
        (dirs["html"] / f"{ipynb.stem}.html").write_text(page, encoding="utf-8")
        search += search_entries(nb, f"{ipynb.stem}.html", title, section_headings(page))
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
    if NOTATION.is_file():
        (dirs["html"] / "notation.html").write_text(render_notation(NOTATION.read_text(encoding="utf-8")),
                                                    encoding="utf-8")
    search_page, search_index = render_search(search)
    (dirs["html"] / "search.html").write_text(search_page, encoding="utf-8")
    (dirs["html"] / "search-index.js").write_text(search_index, encoding="utf-8")
    log(f"wrote {dirs['html'] / 'index.html'} and search.html")
    if pdf is not False and loaded:
        from .browser import chromium_path

        if chromium_path() is None:
            if pdf:
                problems.append("no PDFs: Chromium is not installed (apt-get install -y chromium, "
                                "or set COURSE_CHROMIUM)")
            else:
                log("no PDFs: Chromium is not installed (apt-get install -y chromium, or set COURSE_CHROMIUM)")
        else:
            start = time.perf_counter()
            write_pdfs(out, [ipynb.stem for ipynb, _, _ in loaded])
            log(f"wrote {2 * len(loaded)} PDFs into {dirs['pdf']} in {time.perf_counter() - start:.0f} s")
    if problems:
        raise BuildError("the build failed:\n" + "\n".join(problems))
    return infos


def write_pdfs(out: Path, stems: list[str]) -> None:
    """``out/pdf/<stem>.slides.pdf`` and ``out/pdf/<stem>.pdf`` from the built deck and page."""
    from .browser import offline_browser, print_deck_pdf, print_page_pdf

    with offline_browser() as context:
        for stem in stems:
            print_deck_pdf(context, out / "slides" / f"{stem}.slides.html", out / "pdf" / f"{stem}.slides.pdf")
            print_page_pdf(context, out / "html" / f"{stem}.html", out / "pdf" / f"{stem}.pdf")
