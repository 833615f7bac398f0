"""Every number the prose quotes is a number the notebook prints.

A decimal number with 3 or more significant digits in a markdown cell ("loss 0.0562",
"1.546") must appear in that notebook's outputs (printed text, or a table a cell shows), unless it
is listed below as a constant of the math, with the reason. Run it on one notebook with

    .venv/bin/python tests/test_prose_numbers.py notebooks/NN_stem.ipynb
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Numbers that are constants of the math or of a definition, not results: stem -> {number: reason}.
CONSTANTS: dict[str, dict[str, str]] = {
    "*": {
        "0.999": "Adam's default beta2",
        "0.001": "the default learning rate 1e-3 written out",
    },
}

# Notebooks not yet brought in line (each is removed from this set when its prose is fixed).
PENDING: set[str] = set()

# A decimal number: digits, a point, digits; not part of a longer number, a version or an identifier.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+\.\d+(?![\w.]*\d)")
_CODE = re.compile(r"`[^`]*`")  # inline code is not prose
# version numbers and arXiv identifiers are names, not results
_NAMES = re.compile(r"(?:arXiv:?|PyTorch|torch|Python|version|jupytext|nbval|numpy|NumPy)\s*\d+(?:\.\d+)+", re.I)
_LINK = re.compile(r"\]\([^)]*\)")  # link targets


def significant_digits(number: str) -> int:
    """The count of significant digits of a decimal literal: '0.0560' -> 3, '12.50' -> 4."""
    digits = number.lstrip("+-").replace(".", "").lstrip("0")
    return len(digits)


def prose_numbers(source: str) -> list[str]:
    """The decimal numbers with at least 3 significant digits in a markdown cell's text."""
    text = _NAMES.sub(" ", _LINK.sub("](", _CODE.sub(" ", source)))
    return [m.lstrip("+-") for m in _NUMBER.findall(text) if significant_digits(m) >= 3]


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook's code cells print or show as text."""
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data", "error"):
                data = out.get("data", {})
                parts.append(data.get("text/plain", ""))
                parts.append(data.get("text/html", ""))
                parts.append(data.get("text/markdown", ""))
                parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def unbacked_numbers(path: Path) -> list[tuple[int, str]]:
    """(cell index, number) for every prose number that no output of the notebook prints."""
    nb = nbformat.read(path, as_version=4)
    printed = output_text(nb)
    allowed = {**CONSTANTS.get("*", {}), **CONSTANTS.get(path.stem, {})}
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for number in prose_numbers(cell.source):
            if number in allowed:
                continue
            if not re.search(r"(?<![\d.])" + re.escape(number) + r"(?!\d)", printed):
                missing.append((i, number))
    return missing


def test_significant_digits():
    assert significant_digits("0.0560") == 3
    assert significant_digits("1.5") == 2
    assert significant_digits("448.3") == 4
    assert prose_numbers("loss 0.0562, `lr=0.001`, 1.5x, [x](a/0.123.html), v1.19.6") == ["0.0562"]
    assert prose_numbers("PyTorch 2.13 and arXiv:1706.02677, torch 2.13.0; 12.35 steps") == ["12.35"]


def test_the_check_finds_a_number_nobody_printed(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(0.25)"), nbformat.v4.new_markdown_cell("we got 0.2501 and 0.250")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x = 0.250\n")]
    path = tmp_path / "99_test.ipynb"
    nbformat.write(nb, path)
    assert unbacked_numbers(path) == [(1, "0.2501")]


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem not in PENDING], ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_printed(path):
    missing = unbacked_numbers(path)
    assert not missing, f"{path.name}: prose numbers no output prints (cell, number): {missing}"


if __name__ == "__main__":
    for arg in sys.argv[1:] or [str(p) for p in NOTEBOOKS]:
        p = Path(arg)
        found = unbacked_numbers(p)
        print(f"{p.name}: {len(found)} unbacked" + "".join(f"\n  cell {i}: {n}" for i, n in found))
