"""The course's web site, offline: HTML pages and reveal.js slides rendered by nbconvert, the index
page (a Jinja2 template, ``templates/index.html.j2``), and local copies of the scripts they load.

Every page refers to its scripts by relative URLs (``../assets/...``), so ``_build/`` works from
disk with no network.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .titles import NotebookInfo

__all__ = [
    "ASSETS",
    "BuildError",
    "PageNav",
    "add_navigation",
    "asset_urls",
    "copy_assets",
    "normalize_math",
    "render_index",
    "render_page",
    "render_search",
    "search_entries",
    "render_slides",
    "section_headings",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"

# (path inside node_modules, path inside _build/assets): only what the pages load.
ASSETS: list[tuple[str, str]] = [
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    ("reveal.js/LICENSE", "reveal.js/LICENSE"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
    ("mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax/config/local", "mathjax/config/local"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("mathjax/fonts/HTML-CSS/TeX/otf", "mathjax/fonts/HTML-CSS/TeX/otf"),
    ("mathjax/localization/en", "mathjax/localization/en"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
]
_SKIP_ASSET_FILES = ("*.map", "*.LICENSE.txt", "*.esm.js", "embed.js", "libembed-amd.js")  # embed-amd.js suffices

# nbconvert's templates without the one CDN import they make unconditionally (mermaid.js).
# Code input skips nbconvert's bleach pass (Pygments already escapes it; the pass costs about
# 40% of a page's rendering time).
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
     <div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
     </div>
</div>
{%- endblock input %}
"""
# Printed tables keep their columns: a line wider than the page scrolls instead of wrapping.
_OUTPUT_CSS = ".jp-OutputArea-output pre { white-space: pre; overflow-x: auto; }\n"
# The site's navigation (``add_navigation``): previous/next/index/search bars above and below the
# page, and the table of contents of its sections, a sidebar on a wide screen; none of it printed.
NAV_CSS = """
nav.course-nav { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; font-size: 0.95rem;
  padding: 0.5rem 1rem; border-bottom: 1px solid #ddd; font-family: system-ui, sans-serif; }
nav.course-nav.bottom { border-top: 1px solid #ddd; border-bottom: none; margin-top: 2rem; }
nav.course-nav .prev { flex: 1 1 0; } nav.course-nav .next { flex: 1 1 0; text-align: right; }
nav.course-nav a { color: #1f5fa8; text-decoration: none; }
nav.course-nav form { margin: 0; } nav.course-nav input { font-size: 0.9rem; width: 10rem; }
nav.course-toc { font-family: system-ui, sans-serif; font-size: 0.9rem; padding: 0.5rem 1rem; }
nav.course-toc p { font-weight: 600; margin: 0 0 0.3rem; }
nav.course-toc ol { margin: 0; padding-left: 1.2rem; } nav.course-toc li { margin: 0.15rem 0; }
nav.course-toc a { color: #1f5fa8; text-decoration: none; }
@media (min-width: 1350px) {
  nav.course-toc { position: fixed; top: 3.2rem; left: 0; width: 15rem; max-height: calc(100vh - 4rem);
    overflow-y: auto; border-right: 1px solid #eee; }
  body.jp-Notebook { padding-left: 16.5rem; }
}
@media print { nav.course-nav, nav.course-toc { display: none; } body.jp-Notebook { padding-left: 0; } }
"""
_PAGE_TEMPLATE = _TEMPLATE + """{% block html_head_css %}
<style type="text/css">
""" + _OUTPUT_CSS + NAV_CSS + """</style>
{% endblock html_head_css %}
"""
# Slides: reveal.js on a 960x700 canvas with a small margin; prose 20 px, code 15 px, outputs
# 14 px; nbconvert's paddings, margins, prompt columns and collapsers (which only add height on a
# slide) removed (code at 15 px fits a 100-character line, ruff's limit); figures at most 560 px tall (a title line above them). Reveal is configured here
# (the footer_js block), not by nbconvert's template: no scrolling slides (a slide that does not fit
# is a bug for tests/test_slides_fit.py), slides top-aligned, one page per slide in print-pdf, and
# `window.Reveal` exposed for the browser tests.
SLIDE_CSS = """
:root { --jp-code-font-size: 15px; --jp-content-font-size1: 20px; --jp-ui-font-size1: 18px;
        --jp-cell-padding: 0px; --jp-code-padding: 2px; --jp-cell-prompt-width: 0px;
        --r-heading-margin: 0 0 12px 0; --r-block-margin: 10px; }
.reveal .slides section { padding: 0; }
.reveal .jp-Cell { padding: 0; }
.reveal .jp-Collapser, .reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .jp-Cell-inputWrapper, .reveal .jp-Cell-outputWrapper { margin: 0; }
.reveal .jp-CodeCell .jp-Cell-inputWrapper { margin-top: 6px; }
.reveal .jp-InputArea-editor { border: none; background: #f5f5f5; padding: 4px 6px; }
.reveal .highlight { margin: 0; }
.reveal div.highlight > pre { font-size: var(--jp-code-font-size); line-height: 1.3; padding: 0; }
.reveal .jp-OutputArea-child { margin: 0; }
.reveal .jp-OutputArea-output { padding: 0; }
.reveal div.jp-OutputArea-output > pre { font-size: 14px; line-height: 1.3; width: 100%; padding: 2px 6px; }
.reveal .jp-RenderedHTMLCommon { padding-right: 0; }
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon ul,
.reveal .jp-RenderedHTMLCommon ol, .reveal .jp-RenderedHTMLCommon table { margin-top: 0; margin-bottom: 10px; }
.reveal .jp-RenderedHTMLCommon li { margin-bottom: 4px; line-height: 1.3; }
.reveal .jp-RenderedHTMLCommon h1:first-child, .reveal .jp-RenderedHTMLCommon h2:first-child,
.reveal .jp-RenderedHTMLCommon h3:first-child { margin-top: 0; }
.reveal .jp-OutputArea-output img { max-height: 560px; max-width: 100%; width: auto; }
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 { text-transform: none; }
.reveal .slides h1 { font-size: 40px; } .reveal .slides h2 { font-size: 34px; } .reveal .slides h3 { font-size: 28px; }
.reveal .jp-RenderedHTMLCommon .MathJax_Display { margin: 8px 0; }
"""
_SLIDES_TEMPLATE = _TEMPLATE + """{% block html_head_css %}
<style type="text/css">
""" + SLIDE_CSS + _OUTPUT_CSS + """</style>
{% endblock html_head_css %}
{% block footer_js %}
<script>
require({waitSeconds: 15},
  ["{{ resources.reveal.url_prefix }}/dist/reveal.js", "{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"],
  function (Reveal, RevealNotes) {
    window.Reveal = Reveal;
    Reveal.initialize({
      controls: true, progress: true, history: true, hash: true, center: false,
      transition: "none", slideNumber: "c/t", plugins: [RevealNotes],
      width: 960, height: 700, margin: 0.03, minScale: 0.2, maxScale: 2.0,
      pdfMaxPagesPerSlide: 1, pdfSeparateFragments: false
    });
    // A code or output line wider than the slide: that block's font shrinks (to 10 px at least),
    // then what still does not fit wraps. No slide scrolls sideways. Only a shown block has a
    // width, so this runs on the slide shown (every slide when printing).
    function fitWide(root) {
      root.querySelectorAll("pre").forEach(function (pre) {
        if (pre.closest("aside.notes")) return;
        for (var i = 0; i < 3 && pre.clientWidth && pre.scrollWidth > pre.clientWidth + 1; i++) {
          var size = parseFloat(getComputedStyle(pre).fontSize);
          if (size <= 10) { pre.style.whiteSpace = "pre-wrap"; pre.style.overflowWrap = "anywhere"; break; }
          pre.style.fontSize = Math.max(10, Math.floor(10 * size * pre.clientWidth / pre.scrollWidth) / 10) + "px";
        }
      });
    }
    Reveal.on("ready", function (event) { fitWide(Reveal.isPrintingPDF() ? document : event.currentSlide); });
    Reveal.on("pdf-ready", function () { fitWide(document); });
    // The speaker view's "upcoming" preview (a receiver without postMessageEvents) can start
    // listening only after the deck sent it its state (reveal.js's notes plugin, on a busy
    // machine): it would show this slide instead of the next one. Once ready, it says so, as
    // the other preview does, and the speaker view has the deck send its state again.
    if (/receiver/.test(location.search) && !/postMessageEvents/.test(location.search)
        && window.parent !== window) {
      Reveal.on("ready", function () {
        window.parent.postMessage(JSON.stringify({namespace: "reveal", eventName: "ready"}), "*");
      });
    }
    // MathJax lays out formulas of hidden slides with no size: typeset the shown one again
    Reveal.on("slidechanged", function (event) {
      fitWide(event.currentSlide);
      if (window.MathJax && MathJax.Hub.getAllJax(Reveal.getCurrentSlide()).length) {
        MathJax.Hub.Rerender(Reveal.getCurrentSlide());
      }
    });
  });
</script>
{% endblock footer_js %}
"""


class BuildError(RuntimeError):
    """The course could not be built; the message lists every problem."""


def asset_urls(prefix: str = "../assets") -> dict[str, str]:
    """nbconvert settings that point every script at the local copies under ``prefix``."""
    return {
        "require_js_url": f"{prefix}/require.js",
        "mathjax_url": f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        "jquery_url": f"{prefix}/jquery.min.js",
        "widget_renderer_url": f"{prefix}/html-manager/embed-amd.js",
        "mermaid_js_url": "",
        "mermaid_layout_elk_js_url": "",
    }


def _exporter(kind: str, prefix: str):
    import jinja2
    from nbconvert import HTMLExporter, SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    options = dict(
        extra_loaders=[jinja2.DictLoader({"course.html.j2": _SLIDES_TEMPLATE if kind == "slides" else _PAGE_TEMPLATE})],
        template_file="course.html.j2",
        embed_images=True,
        **asset_urls(prefix),
    )
    if kind == "slides":
        exporter = SlidesExporter(
            template_name="reveal", reveal_url_prefix=f"{prefix}/reveal.js", reveal_theme="white",
            reveal_number="c/t", exclude_input_prompt=True, exclude_output_prompt=True, **options,
        )
    else:
        exporter = HTMLExporter(template_name="lab", **options)
    exporter.register_preprocessor(
        TagRemovePreprocessor(enabled=True, remove_cell_tags={"remove-cell"},
                              remove_input_tags={"hide-input"}),
        enabled=True,
    )
    return exporter


_CODE_SPAN = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)


def normalize_math(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose markdown writes math as ``$...$`` and ``$$...$$``.

    JupyterLab renders ``\\( \\)`` and ``\\[ \\]``, but nbconvert's markdown renderer eats their
    backslashes before MathJax sees them; code spans are left alone.
    """
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type != "markdown" or "\\" not in cell.source:
            continue
        parts = _CODE_SPAN.split(cell.source)
        for i in range(0, len(parts), 2):  # even parts are outside code spans
            text = re.sub(r"\\\[(.+?)\\\]", r"$$\1$$", parts[i], flags=re.DOTALL)
            parts[i] = re.sub(r"\\\((.+?)\\\)", r"$\1$", text, flags=re.DOTALL)
        cell.source = "".join(parts)
    return out


def render_page(nb: nbformat.NotebookNode, title: str, prefix: str = "../assets",
                nav: PageNav | None = None) -> str:
    """One notebook as a self-contained HTML page (figures inline, scripts from ``prefix``), with
    the site's navigation when ``nav`` is given."""
    body, _ = _exporter("page", prefix).from_notebook_node(normalize_math(nb), resources={"metadata": {"name": title}})
    return add_navigation(body, nav) if nav is not None else body


@dataclass(frozen=True)
class PageNav:
    """Where a page sits in the course: (file, label) of the previous and next pages, if any."""

    prev: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    index: str = "index.html"
    search: str | None = "search.html"


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.DOTALL)
_BODY = re.compile(r"<body[^>]*>")


def section_headings(page_html: str) -> list[tuple[str, str]]:
    """(anchor, text) of each ``## `` heading (``<h2>``) of a rendered page, in order."""
    out = []
    for anchor, inner in _H2.findall(page_html):
        text = re.sub(r"<[^>]+>", "", inner).strip()
        out.append((anchor, text))
    return out


def _nav_bar(nav: PageNav, where: str) -> str:
    def link(target: tuple[str, str] | None, cls: str, arrow: str) -> str:
        if target is None:
            return f'<span class="{cls}"></span>'
        href, label = target
        text = f"{arrow} {html.escape(label)}" if cls == "prev" else f"{html.escape(label)} {arrow}"
        return f'<span class="{cls}"><a rel="{cls}" href="{html.escape(href)}">{text}</a></span>'

    search = ""
    if nav.search:
        search = (f'<form action="{html.escape(nav.search)}" role="search"><input type="search" name="q" '
                  'placeholder="Search the course" aria-label="Search the course"></form>')
    return (f'<nav class="course-nav {where}">{link(nav.prev, "prev", "&larr;")}'
            f'<a class="index" href="{html.escape(nav.index)}">All notebooks</a>{search}'
            f'{link(nav.next, "next", "&rarr;")}</nav>')


def add_navigation(page_html: str, nav: PageNav) -> str:
    """``page_html`` with previous / index / search / next bars at its top and bottom and a table
    of contents of its ``## `` sections."""
    headings = section_headings(page_html)
    toc = ""
    if headings:
        items = "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in headings)
        toc = f'<nav class="course-toc" aria-label="Contents"><p>Contents</p><ol>{items}</ol></nav>'
    match = _BODY.search(page_html)
    if match is None:
        raise BuildError("nbconvert's page has no <body>")
    top = match.end()
    page_html = page_html[:top] + "\n" + _nav_bar(nav, "top") + toc + page_html[top:]
    end = page_html.rfind("</body>")
    return page_html[:end] + _nav_bar(nav, "bottom") + "\n" + page_html[end:]


_SEARCH_PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Search · Optimization for Deep Learning</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
input { font-size: 1.1rem; width: 100%; padding: 0.3rem; } a { color: #1f5fa8; }
li { margin: 0.8rem 0; } .where { color: #555; font-size: 0.9rem; } mark { background: #fe8; }
</style>
</head>
<body>
<p><a href="index.html">All notebooks</a></p>
<h1>Search the course</h1>
<form><input type="search" name="q" id="q" autofocus placeholder="e.g. bias correction, run_trajectory"></form>
<p id="count"></p>
<ol id="results"></ol>
<script src="search-index.js"></script>
<script>
(function () {
  var q = new URLSearchParams(location.search).get("q") || "";
  document.getElementById("q").value = q;
  var words = q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 1; });
  if (!words.length) { return; }
  function esc(s) { return s.replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  var hits = [];
  COURSE_SEARCH.forEach(function (s) {
    var low = (s.section + " " + s.text).toLowerCase(), score = 0;
    for (var i = 0; i < words.length; i++) {
      var n = low.split(words[i]).length - 1;
      if (!n) { return; }
      score += n + (s.section.toLowerCase().indexOf(words[i]) >= 0 ? 10 : 0);
    }
    hits.push([score, s]);
  });
  hits.sort(function (a, b) { return b[0] - a[0]; });
  document.getElementById("count").textContent = hits.length + " section" + (hits.length === 1 ? "" : "s") + " found";
  var out = hits.slice(0, 50).map(function (h) {
    var s = h[1], low = s.text.toLowerCase(), at = Math.max(0, low.indexOf(words[0]) - 80);
    var snippet = esc(s.text.slice(at, at + 240));
    words.forEach(function (w) {
      snippet = snippet.replace(new RegExp("(" + w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "gi"), "<mark>$1</mark>");
    });
    return '<li><a href="' + esc(s.page) + "#" + esc(s.anchor) + '">' + esc(s.section) + '</a>' +
      '<div class="where">' + esc(s.title) + '</div><div>' + (at > 0 ? "&hellip;" : "") + snippet + "&hellip;</div></li>";
  });
  document.getElementById("results").innerHTML = out.join("");
})();
</script>
</body>
</html>
"""


def render_search(entries: list[dict[str, str]]) -> tuple[str, str]:
    """The offline search: ``search.html`` and ``search-index.js`` (the index as a script, since a
    page opened from disk may not fetch a JSON file). ``entries``: dicts with page, title,
    section, anchor and text."""
    import json

    index = "window.COURSE_SEARCH = " + json.dumps(entries, ensure_ascii=False, separators=(",", ":")) + ";\n"
    return _SEARCH_PAGE, index


def search_entries(nb: nbformat.NotebookNode, page: str, title: str,
                   headings: list[tuple[str, str]]) -> list[dict[str, str]]:
    """One search entry per ``## `` section of ``nb`` (the text before the first one goes with the
    title): the markdown and code of its cells, whitespace collapsed. ``headings`` are the
    rendered page's (anchor, text), in order, so each entry links to its section."""
    sections: list[list[str]] = [[]]
    for cell in nb.cells:
        if cell.cell_type not in ("markdown", "code"):
            continue
        for line in cell.source.splitlines():
            if cell.cell_type == "markdown" and line.startswith("## "):
                sections.append([])
            sections[-1].append(line)
    entries = []
    names = [("", title)] + list(headings)
    for (anchor, name), lines in zip(names, sections, strict=False):
        text = " ".join(" ".join(lines).split())
        entries.append({"page": page, "title": title, "section": name, "anchor": anchor, "text": text})
    return entries


def render_slides(nb: nbformat.NotebookNode, title: str, prefix: str = "../assets") -> str:
    """One notebook as a reveal.js deck, cut where the cells' ``slideshow`` metadata says."""
    body, _ = _exporter("slides", prefix).from_notebook_node(normalize_math(nb), resources={"metadata": {"name": title}})
    return body


def copy_assets(node_modules: Path, dest: Path) -> None:
    """Copy the scripts the pages load from ``node_modules`` (``npm ci``) into ``dest``."""
    missing = [src for src, _ in ASSETS if not (node_modules / src).exists()]
    if missing:
        raise BuildError(
            f"{node_modules} lacks {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}: "
            "run `npm ci` in the repository root (`make node_modules`) to install the offline "
            "copies of reveal.js, MathJax, require.js and jQuery."
        )
    for src, target in ASSETS:
        s, t = node_modules / src, dest / target
        t.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, t, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_SKIP_ASSET_FILES))
        else:
            shutil.copy2(s, t)


def _md(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(text).strip()
    m = re.fullmatch(r"<p>(.*)</p>", rendered, flags=re.DOTALL)  # inline: drop the paragraph
    return m.group(1) if m else rendered


def render_notation(markdown_text: str, prefix: str = "../assets") -> str:
    """docs/notation.md as a page of the site (tables rendered, math typeset by the local MathJax)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = markdown2html_mistune(markdown_text)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Notation: Optimization for Deep Learning</title>
<script src="{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'], ['\\(','\\)']], processEscapes: true}},
                     messageStyle: 'none'}});
</script>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }}
a {{ color: #1f5fa8; }}
</style>
</head>
<body>
<p><a href="index.html">All notebooks</a></p>
{body}
</body>
</html>
"""


def render_index(infos: list[NotebookInfo], prefix: str = "../assets",
                 student: set[str] | None = None) -> str:
    """The course's front page: every notebook in order, with objectives and time to complete
    (``templates/index.html.j2``; a notebook not in ``student`` gets no student-notebook link)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["escape_html"] = html.escape
    env.filters["markdown"] = _md
    return env.get_template("index.html.j2").render(
        notebooks=infos, prefix=prefix, student=student, total_minutes=sum(i.minutes or 0 for i in infos))
