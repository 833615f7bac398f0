"""The package's shape: what ``import course_utils`` loads and re-exports, and the map of modules
in CONTRIBUTING.md."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import course_utils
import course_utils.checks

ROOT = Path(__file__).resolve().parent.parent
AUTHORING_ONLY = ("nbconvert", "nbclient", "nbformat", "jupytext", "jinja2")


def _modules(package) -> dict[str, object]:
    """The package's own modules (not private ones), by name."""
    return {info.name: importlib.import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")}


def test_import_course_utils_loads_no_authoring_tool():
    """A student's kernel imports course_utils: it must not pay for (or need) the build tools."""
    code = ("import sys, course_utils; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({AUTHORING_ONLY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]", out.stdout


def test_all_is_every_teaching_module_all_and_nothing_else():
    modules = _modules(course_utils)
    assert "authoring" in modules  # the one subpackage that is not re-exported
    teaching = {name: m for name, m in modules.items() if name != "authoring"}
    assert set(teaching.values()) == set(course_utils.MODULES), "add the new module to course_utils.MODULES"
    names = [n for m in teaching.values() for n in m.__all__]
    assert len(names) == len(set(names)), "two modules export the same name"
    assert sorted(course_utils.__all__) == sorted(names)
    for m in teaching.values():
        for name in m.__all__:
            if name != "hessian":  # course_utils.hessian is the function, as in `from course_utils import hessian`
                assert getattr(course_utils, name) is getattr(m, name), (m.__name__, name)


def test_checks_all_is_every_checker_module_all():
    modules = _modules(course_utils.checks)
    assert set(modules.values()) == set(course_utils.checks.MODULES), "add the new module to checks.MODULES"
    names = [n for m in modules.values() for n in m.__all__]
    assert len(names) == len(set(names))
    assert sorted(course_utils.checks.__all__) == sorted(names)


def test_contributing_opens_with_a_map_of_every_module():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `((?:checks/|authoring/)?\w+)(?:\.py|/)?` \|", text, flags=re.M))
    on_disk = set()
    for path in (ROOT / "course_utils").rglob("*.py"):
        rel = path.relative_to(ROOT / "course_utils")
        if rel.name == "__init__.py" and rel.parent != Path("."):
            on_disk.add(str(rel.parent))
        elif rel.name not in ("__init__.py", "__main__.py"):
            on_disk.add(str(rel.with_suffix("")))
    assert on_disk - listed == set(), "CONTRIBUTING.md's package map misses these modules"
    assert listed - on_disk == set(), "CONTRIBUTING.md's package map lists modules that do not exist"


def test_no_module_is_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "course_utils").rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 620} == {}
