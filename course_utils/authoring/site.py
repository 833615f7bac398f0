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
from pathlib import Path

import nbformat

from .titles import NotebookInfo

__all__ = [
    "ASSETS",
    "BuildError",
    "asset_urls",
    "copy_assets",
    "normalize_math",
    "render_index",
    "render_page",
    "render_slides",
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
_PAGE_TEMPLATE = _TEMPLATE + """{% block html_head_css %}
<style type="text/css">
""" + _OUTPUT_CSS + """</style>
{% endblock html_head_css %}
"""
# Slides: smaller code and text, and figures no taller than 440 of the slide's 700 pixels.
_SLIDES_TEMPLATE = _TEMPLATE + """{% block html_head_css %}
<style type="text/css">
:root { --jp-code-font-size: 15px; --jp-content-font-size1: 18px; --jp-ui-font-size1: 18px; }
.reveal .jp-OutputArea-output img { max-height: 440px; max-width: 100%; width: auto; }
.reveal div.jp-OutputArea-output > pre { font-size: 13px; }
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 { text-transform: none; }
""" + _OUTPUT_CSS + """</style>
{% endblock html_head_css %}
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
            reveal_scroll=True,
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


def render_page(nb: nbformat.NotebookNode, title: str, prefix: str = "../assets") -> str:
    """One notebook as a self-contained HTML page (figures inline, scripts from ``prefix``)."""
    body, _ = _exporter("page", prefix).from_notebook_node(normalize_math(nb), resources={"metadata": {"name": title}})
    return body


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
