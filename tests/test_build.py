"""The course build: stubs for the student edition, title-cell parsing, and an offline _build/."""

from __future__ import annotations

import ast
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from _course_fixture import STEM, course_notebooks, fake_execute, need_node_modules, write_pair

from course_utils.authoring.build import build_course
from course_utils.authoring.cli import main
from course_utils.authoring.site import BuildError, normalize_math
from course_utils.authoring.student import STUB_RAISE, StubError, stub_source, student_notebook
from course_utils.authoring.titles import parse_title_cell

CDN_HOSTS = ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "code.jquery.com")


# ------------------------------------------------------------------------------------------------
# Stubs
# ------------------------------------------------------------------------------------------------
def test_function_keeps_signature_and_docstring_and_loses_its_body():
    src = '''def ewma(x, beta: float,
         bias_correction: bool = False) -> list[float]:
    """v_t = beta v_{t-1} + (1 - beta) x_t."""
    v = 0.0  # the secret sauce
    return [v]
'''
    out = stub_source(src)
    assert "def ewma(x, beta: float,\n         bias_correction: bool = False) -> list[float]:" in out
    assert '"""v_t = beta v_{t-1} + (1 - beta) x_t."""' in out
    assert STUB_RAISE in out
    assert "secret" not in out and "return" not in out
    namespace: dict = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match="write your solution here"):
        namespace["ewma"]([1.0], 0.9)


def test_one_line_function_and_decorators():
    out = stub_source("import functools\n\n@functools.cache\ndef f(x): return x + 1\n")
    assert "import functools" in out and "@functools.cache" in out
    assert "x + 1" not in out
    namespace: dict = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_class_keeps_attributes_and_method_signatures():
    src = '''class MyAdam(Base):
    """Adam, by you."""

    defaults_ = {"lr": 1e-3,
                 "betas": (0.9, 0.999)}

    def init_state(self, p, state, group):
        state["m"] = 0

    def update_param(self, p, grad, state, group) -> None:
        """One step."""
        p -= group["lr"] * grad
'''
    out = stub_source(src)
    tree = ast.parse(out)
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef) and cls.name == "MyAdam"
    assert [type(s).__name__ for s in cls.body] == ["Expr", "Assign", "FunctionDef", "FunctionDef"]
    assert '"betas": (0.9, 0.999)' in out
    assert 'state["m"]' not in out and "group[\"lr\"] * grad" not in out
    for method in cls.body[2:]:
        assert ast.unparse(method.body[-1]) == ast.unparse(ast.parse(STUB_RAISE).body[0])
    assert ast.get_docstring(cls.body[3]) == "One step."


def test_one_line_class_and_semicolons():
    out = stub_source("class A: x = 1; y = 2\n")
    namespace: dict = {}
    exec(out, namespace)
    assert (namespace["A"].x, namespace["A"].y) == (1, 2)
    assert out.splitlines()[0] == "class A:"


def test_assignments_become_none():
    out = stub_source("answer = 2 / 4.0\na, b = 1, 2\nlr: float = 0.05\nanswer\n")
    namespace: dict = {}
    exec(out, namespace)
    assert namespace["answer"] is None and namespace["a"] is None and namespace["b"] is None
    assert namespace["lr"] is None
    assert "4.0" not in out and "0.05" not in out
    assert out.count("# your answer here") == 3


def test_comments_outside_kept_lines_are_dropped():
    out = stub_source("# the answer is 2 / lambda_max\nanswer = 0.5\n")
    assert "2 / lambda_max" not in out


@pytest.mark.parametrize(
    "source",
    [
        "for i in range(3):\n    total = i\n",
        "print(42)\n",
        "x[0] = 1\n",
        "self.lr = 0.1\n",
        "%timeit 1 + 1\n",
        "def broken(:\n",
        "class C:\n    for i in range(2):\n        pass\n",
    ],
)
def test_unstubbable_cells_raise(source):
    with pytest.raises(StubError):
        stub_source(source)


# ------------------------------------------------------------------------------------------------
# Title cell, student notebook, math
# ------------------------------------------------------------------------------------------------
TITLE = """# 03 · Adagrad and RMSProp

Per-parameter learning rates, with $\\eta$.

**Learning objectives**
- explain why Adagrad's steps decay
- write RMSProp
  on the course template
- see why $\\epsilon$ matters

**Prerequisites** notebooks 00 to 02.

**Time to complete:** about 55 minutes
"""


def test_parse_title_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(TITLE)])
    info = parse_title_cell(nb, "03_adagrad_rmsprop")
    assert (info.number, info.title, info.minutes) == ("03", "Adagrad and RMSProp", 55)
    assert info.objectives == ["explain why Adagrad's steps decay",
                               "write RMSProp on the course template",
                               "see why $\\epsilon$ matters"]
    assert info.overview == "Per-parameter learning rates, with $\\eta$."
    assert info.prerequisites == "notebooks 00 to 02."


def test_parse_title_cell_without_parts():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Just a title")])
    info = parse_title_cell(nb, "05_x")
    assert (info.number, info.title, info.objectives, info.minutes) == ("05", "Just a title", [], None)


def _nb_with_solution(source: str) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# 00 · T"),
        nbformat.v4.new_code_cell("x = 1", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", text="1\n")]),
        nbformat.v4.new_code_cell(source, metadata={"tags": ["solution"]}, execution_count=2),
        nbformat.v4.new_code_cell("check_value('a', answer, 1)", execution_count=3),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    return nb


def test_student_notebook_stubs_and_clears():
    nb = _nb_with_solution("answer = 1")
    student = student_notebook(nb, "00_t.ipynb")
    assert len(student.cells) == len(nb.cells)
    assert [c.get("id") for c in student.cells] == [c.get("id") for c in nb.cells]
    assert student.cells[2].source == "answer = None  # your answer here"
    assert student.cells[3].source == nb.cells[3].source
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert "widgets" not in student.metadata and "jupytext" not in student.metadata
    assert nb.cells[2].source == "answer = 1"  # the instructor's notebook is untouched


def test_student_notebook_names_notebook_and_cell():
    nb = _nb_with_solution("for i in range(3):\n    answer = i")
    with pytest.raises(StubError, match=r"00_t\.ipynb, cell 2 \('for i in range\(3\):'\)"):
        student_notebook(nb, "00_t.ipynb")


def test_normalize_math_rewrites_paren_delimiters_outside_code():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        r"when \( |1 - \eta\lambda| < 1 \), and \[ x^2 \]; `\(code\)` stays")])
    out = normalize_math(nb).cells[0].source
    assert out == r"when $ |1 - \eta\lambda| < 1 $, and $$ x^2 $$; `\(code\)` stays"


# ------------------------------------------------------------------------------------------------
# The built course
# ------------------------------------------------------------------------------------------------
class _Refs(HTMLParser):
    """Every <script src> and stylesheet <link href> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        if tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            self.refs.append(a["href"])


def remote_refs(html: str) -> list[str]:
    """Scripts and stylesheets a page would load from the network, and CDN hosts it names."""
    parser = _Refs()
    parser.feed(html)
    remote = [r for r in parser.refs if re.match(r"^(https?:)?//", r.strip(), re.IGNORECASE)]
    remote += [host for host in CDN_HOSTS if host in html]
    return remote


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_URL = re.compile(r"""(?:@import\s+(?:url\(\s*)?|url\(\s*)["']?([^"')\s;]+)""")


def remote_css(text: str, base: Path | None = None, seen: set[Path] | None = None) -> list[str]:
    """URLs on the network that CSS (``@import``, ``url(...)``) would load, following local
    ``@import``s from ``base``."""
    seen = set() if seen is None else seen
    found = []
    for url in _CSS_URL.findall(_CSS_COMMENT.sub("", text)):
        if re.match(r"^(https?:)?//", url, re.IGNORECASE):
            found.append(url)
        elif base is not None and url.endswith(".css"):
            target = (base / url.split("?")[0]).resolve()
            if target.is_file() and target not in seen:
                seen.add(target)
                found += remote_css(target.read_text(encoding="utf-8"), target.parent, seen)
    return found


def test_remote_css_catches_remote_imports_and_fonts(tmp_path):
    (tmp_path / "theme.css").write_text("/* https://example.org in a comment */\n"
                                        "@import url(./fonts.css);\nbody { color: red; }")
    (tmp_path / "fonts.css").write_text("@import url(https://fonts.googleapis.com/css?family=Lato);\n"
                                        "@font-face { src: url('//cdn.example.org/a.woff'); }")
    assert remote_css("@import url(theme.css);", tmp_path) == [
        "https://fonts.googleapis.com/css?family=Lato", "//cdn.example.org/a.woff"]
    assert remote_css("@font-face { src: url(data:font/woff;base64,AAAA); }") == []


def test_remote_refs_catches_cdn_scripts():
    page = ('<script src="https://cdn.example.org/x.js"></script><script src="//x.org/y.js"></script>'
            '<link rel="stylesheet" href="http://x.org/a.css"><script src="../assets/require.js"></script>'
            "<script>var u = 'https://unpkg.com/';</script>")
    assert remote_refs(page) == ["https://cdn.example.org/x.js", "//x.org/y.js", "http://x.org/a.css",
                                 "unpkg.com"]
    assert remote_refs('<script src="../assets/require.js"></script>') == []


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Path]]:
    """The fixture notebook and every committed course notebook, built into a temporary _build."""
    node_modules = need_node_modules()
    tmp = tmp_path_factory.mktemp("course")
    fixture = fake_execute(write_pair(tmp / "notebooks"))
    copies = tmp / "course"  # a snapshot: the tests compare the build with what it was built from
    copies.mkdir()
    notebooks = [fixture, *(Path(shutil.copy2(nb, copies)) for nb in course_notebooks())]
    build_course(notebooks, tmp / "_build", node_modules, pdf=False, log=lambda _: None)
    return tmp / "_build", notebooks


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_every_page_and_deck_loads_only_local_assets(built):
    out, notebooks = built
    pages = sorted(out.glob("html/*.html")) + sorted(out.glob("slides/*.html"))
    # a page and a deck each, the index, the search page and the notation table
    assert len(pages) == 2 * len(notebooks) + 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert remote_refs(text) == [], f"{page.name} loads from the network"
        parser = _Refs()
        parser.feed(text)
        assert parser.refs, f"{page.name} loads no scripts at all?"
        for ref in parser.refs:
            target = (page.parent / ref.split("?")[0]).resolve()
            assert target.is_file(), f"{page.name}: {ref} is missing from _build"
            if target.suffix == ".css":
                assert remote_css(target.read_text(encoding="utf-8"), target.parent) == [], (
                    f"{page.name}: {ref} loads from the network")
        assert remote_css(text) == [], f"{page.name}: its inline CSS loads from the network"


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_decks_use_reveal_mathjax_and_the_slide_metadata(built):
    out, notebooks = built
    for ipynb in notebooks:
        deck = (out / "slides" / f"{ipynb.stem}.slides.html").read_text(encoding="utf-8")
        assert "../assets/reveal.js/dist/reveal.js" in deck
        assert "../assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full" in deck
        nb = nbformat.read(ipynb, as_version=4)
        slides = sum(1 for c in nb.cells if c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "slide")
        assert deck.count("<section") >= slides
    fixture = (out / "slides" / f"{STEM}.slides.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64', fixture)) == 1


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_index_links_the_notation_table_with_its_tables_and_math(built):
    out, _ = built
    assert 'href="notation.html"' in (out / "html" / "index.html").read_text(encoding="utf-8")
    page = (out / "html" / "notation.html").read_text(encoding="utf-8")
    assert page.count("<table>") >= 4 and "$\\eta$" in page and "learning rate" in page


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_index_lists_notebooks_in_order_with_objectives_and_time(built):
    out, notebooks = built
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    positions = [index.index(f'href="{nb.stem}.html"') for nb in notebooks]
    assert positions == sorted(positions)
    assert "about 5 minutes" in index and "find the critical learning rate" in index
    for ipynb in notebooks:
        info = parse_title_cell(nbformat.read(ipynb, as_version=4), ipynb.stem)
        assert f"{info.number} · {info.title}" in index
        if info.minutes:
            assert f"about {info.minutes} minutes" in index
        assert len(re.findall(r"<li>", index.split(f'id="nb-{ipynb.stem}"')[1].split("</ul>")[0])) == len(info.objectives)


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_pages_link_to_their_neighbours_and_list_their_sections(built):
    """Each page: previous and next notebook (none before the first, none after the last), the
    index, and a table of contents whose links are the page's own ``## `` heading anchors."""
    out, notebooks = built
    stems = [nb.stem for nb in notebooks]
    for k, stem in enumerate(stems):
        page = (out / "html" / f"{stem}.html").read_text(encoding="utf-8")
        prev = re.findall(r'<a rel="prev" href="([^"]+)"', page)
        nxt = re.findall(r'<a rel="next" href="([^"]+)"', page)
        assert prev == ([f"{stems[k - 1]}.html"] * 2 if k else []), (stem, prev)  # top and bottom bars
        assert nxt == ([f"{stems[k + 1]}.html"] * 2 if k + 1 < len(stems) else []), (stem, nxt)
        assert page.count('href="index.html"') >= 2
        toc = re.search(r'<nav class="course-toc"[^>]*>(.*?)</nav>', page, re.DOTALL)
        assert toc, f"{stem}: no table of contents"
        links = re.findall(r'href="#([^"]+)"', toc.group(1))
        nb = nbformat.read(notebooks[k], as_version=4)
        h2 = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
              if line.startswith("## ")]
        assert len(links) == len(h2) >= 3, (stem, links, h2)
        for anchor in links:
            assert f'<h2 id="{anchor}">' in page, f"{stem}: the contents link to #{anchor}, which is not a heading"


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_offline_search_indexes_every_section(built):
    import json

    out, notebooks = built
    page = (out / "html" / "search.html").read_text(encoding="utf-8")
    assert '<script src="search-index.js"></script>' in page and "http" not in page
    script = (out / "html" / "search-index.js").read_text(encoding="utf-8")
    assert script.startswith("window.COURSE_SEARCH = ")
    entries = json.loads(script.removeprefix("window.COURSE_SEARCH = ").rstrip().removesuffix(";"))
    assert {e["page"] for e in entries} == {f"{nb.stem}.html" for nb in notebooks}
    fixture = [e for e in entries if e["page"] == f"{STEM}.html"]
    assert [e["section"] for e in fixture][1:] == ["The math", "Exercises", "Summary", "References", "What's next"]
    assert "critical_lr = 2 / lam" in next(e["text"] for e in fixture if e["section"] == "Exercises")
    assert len(script) < 2_000_000, "the search index should stay small"


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_student_edition_stubs_every_solution_and_keeps_the_checks(built):
    out, notebooks = built
    for ipynb in notebooks:
        teacher = nbformat.read(ipynb, as_version=4)
        student = nbformat.read(out / "student" / ipynb.name, as_version=4)
        assert len(student.cells) == len(teacher.cells)
        for t, s in zip(teacher.cells, student.cells, strict=True):
            if s.cell_type != "code":
                continue
            assert s.outputs == [] and s.execution_count is None
            if "solution" in t.metadata.get("tags", []):
                assert "NotImplementedError" in s.source or "# your answer here" in s.source
                assert s.source != t.source
            else:
                assert s.source == t.source


def test_build_fails_naming_the_notebook_and_the_cell(tmp_path, capsys):
    need_node_modules()
    text = Path(__file__).with_name("_course_fixture.py").read_text()
    from _course_fixture import FIXTURE_PY

    bad = FIXTURE_PY.replace("critical_lr = 2 / lam\n", "critical_lr = 2 / lam\nprint(critical_lr)\n")
    assert bad != FIXTURE_PY and text
    py = write_pair(tmp_path / "notebooks", bad)
    assert main(["build", "--no-pdf", "--notebooks", str(py.parent), "--out", str(tmp_path / "_build")]) == 1
    err = capsys.readouterr().err
    assert f"{STEM}.ipynb, cell 6 ('critical_lr = 2 / lam')" in err
    assert "print(critical_lr)" in err
    with pytest.raises(BuildError):
        build_course([py.with_suffix(".ipynb")], tmp_path / "again", need_node_modules(), pdf=False,
                     log=lambda _: None)


@pytest.mark.slow  # builds the whole course (about a minute): `make slow` and CI
def test_printed_tables_keep_their_columns(built):
    """JupyterLab's CSS wraps long output lines (``pre-wrap``, ``break-all``), which tears a
    printed table apart on a slide; the course's CSS, last in the page, keeps lines whole."""
    out, notebooks = built
    for page in [out / "html" / f"{notebooks[0].stem}.html", out / "slides" / f"{notebooks[0].stem}.slides.html"]:
        text = page.read_text(encoding="utf-8")
        rules = re.findall(r"\.jp-OutputArea-output pre\s*\{([^}]*)\}", text)
        white_space = [m.group(1) for r in rules for m in [re.search(r"white-space:\s*([\w-]+)", r)] if m]
        assert white_space and white_space[-1] == "pre", (page.name, white_space)
