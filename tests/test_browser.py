"""Slides and pages open from disk in headless Chromium with the network cut off.

For a slide deck and a page (the fixture notebook, and the first notebook of the course when
there is one) the test checks, in the DOM Chromium renders:
* MathJax typeset every formula (one MathJax output per TeX source, no TeX error, and no raw
  TeX such as ``$x$``, ``\\(`` or ``\\eta`` left in the text);
* every PNG figure of the notebook is an ``<img>``;
* nothing failed to load and nothing was fetched over the network (a probe script records
  load errors and resource URLs in a copy of the page);
* the fixture's widget was rendered by the local widget manager;
and it writes screenshots to ``_build/screenshots/`` for people to look at.

Without Chromium (Debian's ``chromium`` package) the test is skipped, except in CI (env
CI=true), where it fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from _course_fixture import (
    ROOT,
    STEM,
    course_notebooks,
    execute_pair,
    need,
    need_node_modules,
    write_pair,
)

from course_utils.authoring.build import build_course

pytestmark = pytest.mark.slow  # executes notebooks / drives a browser: `make slow` and CI

SCREENSHOTS = ROOT / "_build" / "screenshots"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-extensions", "--disable-default-apps", "--mute-audio",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # any network load fails
    "--virtual-time-budget=10000", "--window-size=1280,800", "--hide-scrollbars",
]
# Injected at the top of a copy of each page: records into the DOM every resource that failed
# to load, every resource fetched (file:// loads are not listed; http(s) ones are), and whether
# MathJax's queue ran dry (all math typeset).
PROBE = """<script>
(function () {
  var errors = [], typeset = false;
  function show() {
    var box = document.getElementById('offline-probe');
    if (!box) {
      box = document.createElement('pre'); box.id = 'offline-probe'; box.style.display = 'none';
      (document.body || document.documentElement).appendChild(box);
    }
    var names = performance.getEntriesByType('resource').map(function (e) { return e.name; });
    box.textContent = JSON.stringify({errors: errors, resources: names, typeset: typeset});
  }
  window.addEventListener('error', function (e) {
    var t = e.target || {};
    errors.push((t.src || t.href || '') + ' ' + (e.message || 'failed to load'));
    if (document.body) { show(); }
  }, true);
  document.addEventListener('DOMContentLoaded', show);
  window.addEventListener('load', function () {
    if (window.MathJax && MathJax.Hub) {
      MathJax.Hub.Queue(function () { typeset = true; show(); });
    }
  });
  setTimeout(show, 9000);
})();
</script>"""
RAW_TEX = re.compile(r"\$[^$\n]+\$|\\\(|\\\)|\\\[|\\\]|\\(?:[a-zA-Z]{2,})\b")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "Chromium is not installed (apt-get install -y chromium)")
    return path


def browse(url: str, *extra: str) -> str:
    """Chromium's DOM of ``url`` after 10 s of virtual time, from a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", url],
            capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def soup_of(dom: str):
    from bs4 import BeautifulSoup  # a dependency of nbconvert

    return BeautifulSoup(dom, "html.parser")


def raw_tex(node) -> list[str]:
    """TeX left untypeset in the visible prose (code, outputs and scripts are not prose)."""
    node = soup_of(str(node))
    for tag in node.find_all(["script", "style", "pre", "code", "textarea", "svg"]):
        tag.decompose()
    # reveal.js's .aria-status is an invisible copy of the slide's text for screen readers,
    # taken at load time, before MathJax ran
    for tag in node.select(".jp-CodeCell .jp-InputArea, .jp-OutputArea, .jupyter-widgets, "
                           "#offline-probe, .aria-status"):
        tag.decompose()
    return RAW_TEX.findall(node.get_text(" "))


def png_outputs(ipynb: Path) -> int:
    nb = nbformat.read(ipynb, as_version=4)
    return sum(
        1 for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])
        for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, list[Path]]:
    """The fixture notebook (executed, so its widget state is real) and the course's first
    notebook, built into a temporary _build/."""
    chromium()
    node_modules = need_node_modules()
    tmp = tmp_path_factory.mktemp("site")
    fixture = execute_pair(write_pair(tmp / "notebooks"))
    copies = tmp / "course"  # a snapshot: the tests compare the build with what it was built from
    copies.mkdir()
    notebooks = [fixture, *(Path(shutil.copy2(nb, copies)) for nb in course_notebooks()[:1])]
    build_course(notebooks, tmp / "_build", node_modules, log=lambda _: None)
    return tmp / "_build", notebooks


def check_offline_and_typeset(page: Path, ipynb: Path) -> object:
    """Open a probe copy of ``page`` and assert it loaded everything locally and typeset all math."""
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    soup = soup_of(browse(probe.as_uri()))
    box = soup.find(id="offline-probe")
    assert box is not None, f"{page.name}: the page never reached DOMContentLoaded"
    record = json.loads(box.get_text())
    assert record["errors"] == [], f"{page.name}: failed to load {record['errors']}"
    remote = [r for r in record["resources"] if not r.startswith(("file:", "data:", "blob:"))]
    assert remote == [], f"{page.name}: fetched from the network: {remote}"
    assert record["typeset"], f"{page.name}: MathJax did not finish within the virtual-time budget"

    sources = soup.select('script[type^="math/tex"]')
    typeset = soup.select(".MathJax_CHTML")
    assert sources, f"{page.name}: MathJax found no math to typeset"
    assert len(typeset) == len(sources), f"{page.name}: {len(typeset)} of {len(sources)} formulas typeset"
    assert not soup.select(".mjx-merror, .MathJax_Error"), f"{page.name}: MathJax reports a TeX error"
    assert raw_tex(soup) == [], f"{page.name}: raw TeX left in the text: {raw_tex(soup)[:10]}"

    figures = soup.select('img[src^="data:image/png"]')
    assert len(figures) == png_outputs(ipynb), f"{page.name}: {len(figures)} figures shown"
    return soup


def _math_before_figure(slide) -> bool:
    """Does a typeset formula come before the slide's first figure (so both are on screen)?"""
    for tag in slide.find_all(True):
        if "MathJax_CHTML" in (tag.get("class") or []):
            return True
        if tag.name == "img" and tag.get("src", "").startswith("data:image/png"):
            return False
    return False


def slide_with_math_and_figure(soup) -> tuple[int, int] | None:
    """The (horizontal, vertical) index of the first slide with math above a figure, else of
    the first slide with both."""
    both = []
    for h, section in enumerate(soup.select("div.slides > section")):
        for v, sub in enumerate(section.find_all("section", recursive=False) or [section]):
            if sub.select(".MathJax_CHTML") and sub.select('img[src^="data:image/png"]'):
                if _math_before_figure(sub):
                    return h, v
                both.append((h, v))
    return both[0] if both else None


@pytest.mark.parametrize("which", [0, 1], ids=["fixture", "course"])
def test_deck_offline_with_typeset_math_and_figures(site, which):
    out, notebooks = site
    if which >= len(notebooks):
        pytest.skip("no course notebook yet")
    ipynb = notebooks[which]
    deck = out / "slides" / f"{ipynb.stem}.slides.html"
    soup = check_offline_and_typeset(deck, ipynb)
    assert soup.select("div.reveal div.slides > section"), "reveal.js built no slides"
    if ipynb.stem == STEM:
        assert soup.select(".widget-slider"), "the widget was not rendered offline"

    where = slide_with_math_and_figure(soup)
    assert where is not None, f"{deck.name}: no slide shows both math and a figure"
    url = f"{deck.as_uri()}?fragments=false#/{where[0]}/{where[1]}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{ipynb.stem}.slide.png"
    shot.unlink(missing_ok=True)
    shown = soup_of(browse(url, f"--screenshot={shot}"))
    present = shown.select("div.slides section.present")[-1]
    assert present.select(".MathJax_CHTML") and present.select('img[src^="data:image/png"]'), (
        "the screenshot's slide lacks math or a figure")
    _assert_not_blank(shot)


@pytest.mark.parametrize("which", [0, 1], ids=["fixture", "course"])
def test_page_offline_with_typeset_math_and_figures(site, which):
    out, notebooks = site
    if which >= len(notebooks):
        pytest.skip("no course notebook yet")
    ipynb = notebooks[which]
    page = out / "html" / f"{ipynb.stem}.html"
    soup = check_offline_and_typeset(page, ipynb)
    if ipynb.stem == STEM:
        assert soup.select(".widget-slider"), "the widget was not rendered offline"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{ipynb.stem}.page.png"
    shot.unlink(missing_ok=True)
    browse(page.as_uri(), f"--screenshot={shot}")
    _assert_not_blank(shot)


def test_index_page_offline(site):
    out, notebooks = site
    index = out / "html" / "index.html"
    probe = index.with_name("index.probe.html")
    probe.write_text(index.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    soup = soup_of(browse(probe.as_uri()))
    record = json.loads(soup.find(id="offline-probe").get_text())
    assert record["errors"] == [] and record["typeset"]
    assert len(soup.select("li.nb")) == len(notebooks)
    assert soup.select(".MathJax_CHTML") and raw_tex(soup) == []


def _assert_not_blank(png: Path) -> None:
    from matplotlib.image import imread

    assert png.exists(), f"no screenshot at {png}"
    pixels = imread(png)
    assert pixels.shape[0] >= 600 and pixels.std() > 0.05, f"{png} looks blank"
