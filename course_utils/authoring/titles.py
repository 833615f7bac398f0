"""A notebook's title cell, parsed: number, title, overview, learning objectives, prerequisites
and time to complete (what the index page shows and `audit` checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nbformat

__all__ = ["NotebookInfo", "parse_title_cell"]


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
