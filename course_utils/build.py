"""Render the course: HTML pages, reveal.js slides and the student edition, all offline.

``build_course(notebooks, out)`` writes

    out/assets/    local copies of reveal.js, MathJax 2, require.js, jQuery and the widget renderer
    out/html/      one page per notebook and index.html (objectives and time from each title cell)
    out/slides/    one reveal.js deck per notebook, from the cells' ``slideshow`` metadata
    out/student/   the notebooks with every ``solution`` cell replaced by stubs, outputs cleared

Every page refers to its scripts by relative URLs (``../assets/...``), so ``_build/`` works
from disk with no network. The student edition's stubs are made with ``ast``: a function body
becomes ``raise NotImplementedError("write your solution here")`` (signature and docstring kept),
a class keeps its class attributes and method signatures, and ``name = value`` becomes
``name = None  # your answer here``.
"""

from __future__ import annotations

import ast
import copy
import html
import io
import re
import shutil
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "ASSETS",
    "BuildError",
    "NotebookInfo",
    "StubError",
    "build_course",
    "copy_assets",
    "parse_title_cell",
    "asset_urls",
    "normalize_math",
    "render_index",
    "render_page",
    "render_slides",
    "stub_source",
    "student_notebook",
]

STUB_RAISE = 'raise NotImplementedError("write your solution here")'
STUB_VALUE = "None  # your answer here"
SOLUTION_TAG = "solution"
STUDENT_NOTE = (
    "\n\n> **Student edition.** The solution cells hold stubs: replace each "
    "`raise NotImplementedError(...)` or `None  # your answer here` with your answer, run the "
    "cell, then run the check cell below it."
)

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


class StubError(ValueError):
    """A solution cell holds a statement the student edition cannot turn into a stub."""


# ------------------------------------------------------------------------------------------------
# Title cell
# ------------------------------------------------------------------------------------------------
@dataclass
class NotebookInfo:
    """What the index page shows for one notebook, parsed from its title cell."""

    stem: str
    number: str
    title: str
    overview: str = ""
    objectives: list[str] = field(default_factory=list)
    prerequisites: str = ""
    minutes: int | None = None


_TITLE_RE = re.compile(r"^#\s+(\d\d)\s*·\s*(.+?)\s*$")
_TIME_RE = re.compile(r"\*\*Time to complete:?\*\*:?\s*about\s+(\d+)\s+minutes", re.IGNORECASE)
_OBJ_RE = re.compile(r"^\*\*Learning objectives:?\*\*:?\s*$", re.IGNORECASE)
_PREREQ_RE = re.compile(r"^\*\*Prerequisites:?\*\*:?\s*(.*)$", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+(.*)$")


def parse_title_cell(nb: nbformat.NotebookNode, stem: str) -> NotebookInfo:
    """Parse ``# NN · Title``, the overview, the objective bullets, prerequisites and the time.

    Missing parts are left empty (``audit`` reports them); a notebook without a markdown first
    cell gets its stem as title.
    """
    first = nb.cells[0] if nb.cells else None
    number = stem[:2]
    if first is None or first.cell_type != "markdown":
        return NotebookInfo(stem, number, stem)
    lines = first.source.splitlines()
    match = _TITLE_RE.match(lines[0]) if lines else None
    title = match.group(2) if match else (lines[0].lstrip("# ").strip() if lines else stem)
    if match:
        number = match.group(1)
    info = NotebookInfo(stem, number, title)
    overview: list[str] = []
    section = "overview"
    for line in lines[1:]:
        stripped = line.strip()
        if _OBJ_RE.match(stripped):
            section = "objectives"
            continue
        prereq = _PREREQ_RE.match(stripped)
        if prereq:
            section = "prerequisites"
            info.prerequisites = prereq.group(1).strip()
            continue
        time = _TIME_RE.search(stripped)
        if time:
            info.minutes = int(time.group(1))
            section = "done"
            continue
        if section == "overview" and stripped:
            overview.append(stripped)
        elif section == "objectives":
            bullet = _BULLET_RE.match(line)
            if bullet:
                info.objectives.append(bullet.group(1).strip())
            elif stripped and info.objectives and line[:1].isspace():
                info.objectives[-1] += " " + stripped  # a bullet continued on the next line
        elif section == "prerequisites" and stripped:
            info.prerequisites = (info.prerequisites + " " + stripped).strip()
    info.overview = " ".join(overview)
    return info


# ------------------------------------------------------------------------------------------------
# Student edition: stubs
# ------------------------------------------------------------------------------------------------
def _header_end(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[int, int]:
    """(line, column) just after the ``:`` that ends a def/class header (1-based line, 0-based col)."""
    start = node.lineno
    text = "".join(lines[start - 1:])
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP:
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            elif tok.string == ":" and depth == 0:
                return start + tok.end[0] - 1, tok.end[1]
    raise StubError(f"cannot find the end of the header of {node.name!r}")


def _is_docstring(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def _segment(lines: list[str], stmt: ast.stmt) -> list[str]:
    """The source lines of a statement (whole lines: statements here start their line)."""
    return [line.rstrip("\n") for line in lines[stmt.lineno - 1:stmt.end_lineno]]


def _stub_def(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    """The decorators, header and docstring of ``node``, then its stubbed body."""
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    end_line, end_col = _header_end(lines, node)
    indent = " " * (node.col_offset + 4)
    body = list(node.body)
    one_liner = body[0].lineno == end_line
    if one_liner:  # `def f(x): return x`: rebuild the header, then stub below it
        out = [line.rstrip("\n") for line in lines[first - 1:end_line - 1]]
        out.append(lines[end_line - 1][:end_col].rstrip())
    else:
        out = [line.rstrip("\n") for line in lines[first - 1:end_line]]
    if body and _is_docstring(body[0]):
        doc = body.pop(0)
        if one_liner:
            out.append(indent + ast.get_source_segment("".join(lines), doc).strip())
        else:
            out.extend(_segment(lines, doc))
    if isinstance(node, ast.ClassDef):
        members = _stub_class_body(lines, body, node.name, indent, end_line)
        out.extend(members if members else [indent + "pass"])
    else:
        out.append(indent + STUB_RAISE)
    return out


def _stub_class_body(lines: list[str], body: list[ast.stmt], owner: str, indent: str,
                     header_line: int) -> list[str]:
    """Class attributes kept as they are, methods and nested classes stubbed."""
    out: list[str] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if out:
                out.append("")
            out.extend(_stub_def(lines, stmt))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Pass)) or _is_docstring(stmt):
            shares_line = stmt.lineno == header_line or (
                stmt.lineno == stmt.end_lineno and ";" in lines[stmt.lineno - 1])
            if shares_line:  # `class A: x = 1` or `x = 1; y = 2`: rewrite it on a line of its own
                out.append(indent + ast.unparse(stmt))
            else:
                out.extend(_segment(lines, stmt))
        else:
            raise StubError(
                f"class {owner}, line {stmt.lineno}: a {type(stmt).__name__} statement in a class "
                "body cannot be stubbed; keep only attributes and methods there"
            )
    return out


def _target_names(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in target.elts):
        return ", ".join(e.id for e in target.elts)  # type: ignore[attr-defined]
    return None


def _stub_assignment(stmt: ast.Assign | ast.AnnAssign) -> str:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [_target_names(t) for t in targets]
    if any(n is None for n in names):
        raise StubError(
            f"line {stmt.lineno}: only assignments to names (`answer = ...`) can be stubbed, "
            f"not to {ast.unparse(targets[0])!r}"
        )
    parts = []
    for target, name in zip(targets, names, strict=True):
        if isinstance(target, (ast.Tuple, ast.List)):
            parts.append(f"{name} = " + ", ".join("None" for _ in target.elts))
        else:
            parts.append(f"{name} = None")
    indent = " " * stmt.col_offset
    if len(parts) == 1 and isinstance(stmt, ast.AnnAssign):
        return f"{indent}{names[0]}: {ast.unparse(stmt.annotation)} = {STUB_VALUE}"
    return indent + "; ".join(parts) + "  # your answer here"


def stub_source(source: str) -> str:
    """The student's version of a solution cell's code.

    Keeps imports, function and class signatures with their docstrings and class attributes;
    function bodies become ``raise NotImplementedError(...)``; assignments to names become
    ``None``. Comments outside the kept lines are dropped (they may explain the solution).
    Raises ``StubError`` for any other statement (a loop, a call, ...).
    """
    text = source if source.endswith("\n") else source + "\n"
    if any(line.lstrip().startswith(("%", "!")) for line in text.splitlines()):
        raise StubError("IPython magics (% or !) cannot be stubbed")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise StubError(f"the cell is not valid Python: {exc.msg} (line {exc.lineno})") from exc
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for stmt in tree.body:
        if out:
            out.append("")
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.extend(_stub_def(lines, stmt))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                out.extend(_segment(lines, stmt))
            else:
                out.append(_stub_assignment(stmt))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)) or _is_docstring(stmt):
            out.extend(_segment(lines, stmt))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Name, ast.Constant)):
            out.extend(_segment(lines, stmt))  # `answer` at the end shows the value
        else:
            raise StubError(
                f"line {stmt.lineno}: {ast.unparse(stmt).splitlines()[0][:60]!r} "
                f"({type(stmt).__name__}) cannot be stubbed; a solution cell holds only "
                "def/class statements, imports and assignments to names"
            )
    # collapse the blank line added between consecutive one-line assignments
    result: list[str] = []
    for i, line in enumerate(out):
        if (not line and result and i + 1 < len(out) and result[-1].endswith("# your answer here")
                and out[i + 1].endswith("# your answer here")):
            continue
        result.append(line)
    return "\n".join(result)


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` for students: solution cells stubbed, every output cleared.

    The cells keep their order and ids, so cell ``i`` of the student edition is cell ``i`` of
    the instructor's. Raises ``StubError`` naming the notebook and the cell when a solution
    cell cannot be stubbed.
    """
    out = copy.deepcopy(nb)
    problems = []
    for index, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if SOLUTION_TAG in _tags(cell):
            try:
                cell.source = stub_source(cell.source)
            except StubError as exc:
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                problems.append(f"{name}, cell {index} ({first[:50]!r}): {exc}")
    if problems:
        raise StubError("the student edition cannot stub these solution cells:\n  " + "\n  ".join(problems))
    if out.cells and out.cells[0].cell_type == "markdown":
        out.cells[0].source = out.cells[0].source.rstrip() + STUDENT_NOTE
    out.metadata.pop("widgets", None)   # widget state belongs to the cleared outputs
    out.metadata.pop("jupytext", None)  # no pairing: a student's lab must not write a .py beside it
    return out


# ------------------------------------------------------------------------------------------------
# HTML pages and slides
# ------------------------------------------------------------------------------------------------
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
    """The course's front page: every notebook in order, with objectives and time to complete."""
    rows = []
    for info in infos:
        objectives = "".join(f"<li>{_md(o)}</li>" for o in info.objectives)
        minutes = f"about {info.minutes} minutes" if info.minutes else "time not given"
        links = [f'<a href="{info.stem}.html">page</a>',
                 f'<a href="../slides/{info.stem}.slides.html">slides</a>']
        if student is None or info.stem in student:
            links.append(f'<a href="../student/{info.stem}.ipynb">student notebook</a>')
        rows.append(
            f'<li class="nb" id="nb-{info.stem}"><h2><a href="{info.stem}.html">{info.number} · '
            f'{html.escape(info.title)}</a></h2>'
            f'<p class="meta"><span class="time">{minutes}</span> · {" · ".join(links)}</p>'
            + (f"<p>{_md(info.overview)}</p>" if info.overview else "")
            + (f'<p class="obj-head">Learning objectives</p><ul class="objectives">{objectives}</ul>'
               if objectives else "")
            + (f'<p class="prereq">Prerequisites: {_md(info.prerequisites)}</p>' if info.prerequisites else "")
            + "</li>"
        )
    total = sum(i.minutes or 0 for i in infos)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Optimization for Deep Learning</title>
<script src="{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'], ['\\\\(','\\\\)']], processEscapes: true}},
                     messageStyle: 'none'}});
</script>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }}
ol.course {{ list-style: none; padding: 0; }}
li.nb {{ border-top: 1px solid #ddd; padding: 0.5rem 0 1rem; }}
li.nb h2 {{ margin: 0.4rem 0 0.2rem; font-size: 1.3rem; }}
.meta {{ color: #555; margin: 0 0 0.5rem; }}
.obj-head {{ font-weight: 600; margin: 0.5rem 0 0.2rem; }}
.prereq {{ color: #555; font-size: 0.95rem; }}
a {{ color: #1f5fa8; }}
</style>
</head>
<body>
<h1>Optimization for Deep Learning</h1>
<p>{len(rows)} notebooks, about {total} minutes in all. Each has a page, a slide deck (press
<kbd>s</kbd> for speaker notes) and a student edition with the solutions removed.</p>
<ol class="course">
{chr(10).join(rows)}
</ol>
</body>
</html>
"""


# ------------------------------------------------------------------------------------------------
# The whole course
# ------------------------------------------------------------------------------------------------
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
    for d in dirs.values():
        if d.exists():
            shutil.rmtree(d)  # a notebook removed from the course leaves no stale page
        d.mkdir(parents=True)
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
            nbformat.write(student, dirs["student"] / ipynb.name)
            students.add(ipynb.stem)
        log(f"built {ipynb.stem}: html/{ipynb.stem}.html, slides/{ipynb.stem}.slides.html"
            + (f", student/{ipynb.name}" if ipynb.stem in students else ""))
    (dirs["html"] / "index.html").write_text(render_index(infos, student=students), encoding="utf-8")
    log(f"wrote {dirs['html'] / 'index.html'}")
    if problems:
        raise BuildError("the build failed:\n" + "\n".join(problems))
    return infos
