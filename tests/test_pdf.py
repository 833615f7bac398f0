"""The PDF handouts `make course` writes (``_build/pdf/NN_stem.slides.pdf``, ``NN_stem.pdf``):
the fixture notebook built with ``pdf=True``, then read back with poppler's ``pdftotext`` and
``pdfinfo``:

* the deck has one page per slide and sub-slide (reveal's print-pdf layout, fragments shown);
* the text is selectable: the title, the prose and the code come out as text;
* the math is typeset: MathJax's output extracts as Unicode symbols (theta, lambda, eta), and no
  raw TeX (``$``, ``\\(``, ``\\eta``) nor a MathJax error is left in the text;
* the page PDF carries the whole page (its last section too) without the site's navigation.

Without Chromium or poppler-utils the tests are skipped, except in CI (env CI=true), where they
fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from _course_fixture import (
    STEM,
    course_notebooks,
    fake_execute,
    need,
    need_node_modules,
    write_pair,
)

from course_utils.authoring.browser import (
    chromium_path,
    offline_browser,
    print_deck_pdf,
    print_page_pdf,
)
from course_utils.authoring.build import build_course
from course_utils.authoring.site import copy_assets, render_page, render_slides

pytestmark = pytest.mark.slow  # drives a browser: `make slow` and CI

RAW_TEX = re.compile(r"\$|\\\(|\\\)|\\\[|\\(?:eta|theta|lambda|frac|tfrac)\b")


def raw_tex(text: str, nb) -> list[str]:
    """The lines of ``text`` with raw TeX in them, except lines of the notebook's code (a
    matplotlib label such as ``r"$|\\theta_t|$"`` is code, not math left untypeset)."""
    def squash(line: str) -> str:
        return " ".join(re.sub(r"^\s*(In|Out)\s*\[\s*\d*\]:", "", line).split())

    code = {squash(line) for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()}
    # (a code line wider than the A4 page is cut at its edge: a part of a code line is code)
    return [line for line in text.splitlines()
            if RAW_TEX.search(line) and not any(squash(line) in c for c in code)]


def pdftotext(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (pdftotext separates pages with a form feed)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = out.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    need(chromium_path() is not None, "Chromium is not installed (apt-get install -y chromium)")
    need(shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None,
         "poppler-utils is not installed (apt-get install -y poppler-utils)")
    tmp = tmp_path_factory.mktemp("pdf")
    ipynb = fake_execute(write_pair(tmp / "notebooks"))
    build_course([ipynb], tmp / "_build", need_node_modules(), pdf=True, log=lambda _: None)
    return tmp / "_build", ipynb


def test_deck_pdf_has_one_page_per_slide_with_text_and_typeset_math(built):
    out, ipynb = built
    pdf = out / "pdf" / f"{STEM}.slides.pdf"
    nb = nbformat.read(ipynb, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    slides = sum(k in ("slide", "subslide") for k in kinds)
    assert pdf_pages(pdf) == slides
    pages = pdftotext(pdf)
    assert len(pages) == slides
    text = "\n".join(pages)
    assert "A tiny fixture" in pages[0]
    assert "multiplies the error by" in pages[1] and "θ" in pages[1] and "λ" in pages[1]
    assert "critical_lr = 2 / lam" in text  # code is text too
    assert "Math Processing Error" not in text and "Math input error" not in text
    assert raw_tex(text, nb) == [], "raw TeX left in the deck's PDF"


def test_page_pdf_has_the_whole_page_as_text_without_navigation(built):
    out, ipynb = built
    text = "\n".join(pdftotext(out / "pdf" / f"{STEM}.pdf"))
    assert "A tiny fixture" in text and "Nothing: this is a fixture." in text  # first and last section
    assert "η" in text and "λ" in text and "θ" in text
    assert "contraction per step: 0.60" in text  # an output
    assert raw_tex(text, nbformat.read(ipynb, as_version=4)) == [], "raw TeX left in the page's PDF"
    assert "All notebooks" not in text and "Contents" not in text, "the site's navigation was printed"


@pytest.mark.parametrize("ipynb", [pytest.param(p, id=p.stem) for p in course_notebooks()])
def test_course_pdfs_have_typeset_math(ipynb, tmp_path):
    """Each course notebook's page and deck, printed: one page per slide, no raw TeX in the text
    (a formula that markdown broke apart, e.g. a line inside $...$ that starts with "+ ")."""
    need(chromium_path() is not None and shutil.which("pdftotext") is not None,
         "Chromium or poppler-utils is not installed")
    copy_assets(need_node_modules(), tmp_path / "assets")
    nb = nbformat.read(ipynb, as_version=4)
    for folder in ("html", "slides"):
        (tmp_path / folder).mkdir()
    page, deck = tmp_path / "html" / f"{ipynb.stem}.html", tmp_path / "slides" / f"{ipynb.stem}.slides.html"
    page.write_text(render_page(nb, ipynb.stem), encoding="utf-8")
    deck.write_text(render_slides(nb, ipynb.stem), encoding="utf-8")
    with offline_browser() as context:
        print_page_pdf(context, page, tmp_path / "page.pdf")
        print_deck_pdf(context, deck, tmp_path / "deck.pdf")
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert pdf_pages(tmp_path / "deck.pdf") == sum(k in ("slide", "subslide") for k in kinds)
    for pdf in ("page.pdf", "deck.pdf"):
        found = raw_tex("\n".join(pdftotext(tmp_path / pdf)), nb)
        assert found == [], f"{ipynb.stem} {pdf}: raw TeX in the text:\n" + "\n".join(found)
