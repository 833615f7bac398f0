"""The student edition: every ``solution`` cell replaced by stubs, every output cleared.

The stubs are made with ``ast``: a function body becomes
``raise NotImplementedError("write your solution here")`` (signature and docstring kept), a class
keeps its class attributes and method signatures, and ``name = value`` becomes
``name = None  # your answer here``.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize

import nbformat

__all__ = [
    "SOLUTION_TAG",
    "STUB_RAISE",
    "STUB_VALUE",
    "StubError",
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


class StubError(ValueError):
    """A solution cell holds a statement the student edition cannot turn into a stub."""


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
