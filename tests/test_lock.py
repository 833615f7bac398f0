"""The environment is locked: what runs the notebooks is exactly what requirements.lock pins.

A package whose version changes can change a printed number, so `make test` and `make course`
install every dependency from the lock (with hashes) and torch from the Makefile's TORCH_SPEC;
these tests fail when the installed versions drift from the lock, when pyproject.toml names a
package the lock does not pin, or when environment.yml asks for another torch.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PLATFORM_LOCK = ROOT / "requirements-platform.lock"
# The platforms the README promises: Linux, macOS and Windows, CPython 3.11 to 3.13.
PLATFORMS = [
    {"sys_platform": sp, "platform_system": ps, "os_name": on, "python_version": pv,
     "python_full_version": pv + ".0", "platform_python_implementation": "CPython",
     "implementation_name": "cpython", "platform_machine": pm}
    for sp, ps, on, pm in (("linux", "Linux", "posix", "x86_64"), ("darwin", "Darwin", "posix", "arm64"),
                           ("win32", "Windows", "nt", "AMD64"))
    for pv in ("3.11", "3.12", "3.13")
]


def locked(path: Path = LOCK) -> dict[str, str]:
    """Package name -> pinned version, from a lock file."""
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def torch_spec() -> str:
    """The version in the Makefile's ``TORCH_SPEC ?= torch==X``."""
    m = re.search(r"^TORCH_SPEC\s*\?=\s*torch==(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert m, "the Makefile sets TORCH_SPEC ?= torch==<version>"
    return m.group(1)


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def test_every_line_of_the_lock_is_pinned_with_hashes():
    text = LOCK.read_text()
    entries = re.findall(r"^([A-Za-z0-9][^\s]*==[^\s]+)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", text, re.M)
    assert len(entries) == len(locked()) > 50
    assert "torch" not in locked(), "torch comes from TORCH_SPEC, not the lock"


def test_every_dependency_of_pyproject_is_locked_within_its_range():
    pins = locked()
    for req in declared():
        name = canonicalize_name(req.name)
        if name == "torch":
            assert req.specifier.contains(torch_spec()), f"pyproject's {req} excludes TORCH_SPEC {torch_spec()}"
            continue
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"lock pins {name}=={pins[name]}, pyproject wants {req}"


@pytest.mark.parametrize("name", sorted(locked()))
def test_installed_version_equals_the_lock(name):
    want = locked()[name]
    try:
        got = metadata.version(name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{name}=={want} is locked but not installed: run make env")
    assert canonicalize_name(got) and got == want, f"{name}: installed {got}, locked {want}"


def test_platform_only_dependencies_are_locked_with_hashes():
    """What a locked package needs on macOS or Windows only (pip-compile, run on Linux, drops it) is
    in requirements-platform.lock, pinned with hashes: otherwise `--require-hashes` fails there."""
    pins = set(locked()) | set(locked(PLATFORM_LOCK)) | {"torch"}
    missing = set()
    for name in locked():
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            dep = canonicalize_name(req.name)
            if dep in pins or req.marker is None:
                continue
            if any(req.marker.evaluate({**env, "extra": ""}) for env in PLATFORMS):
                missing.add(f"{dep} (needed by {name} where {req.marker})")
    assert not missing, "add to requirements-platform.lock: " + "; ".join(sorted(missing))
    text = PLATFORM_LOCK.read_text()
    entries = re.findall(r"^[A-Za-z0-9][^\s]*==[^\s]+ ; [^\\]+\\((?:\n\s+--hash=sha256:[0-9a-f]{64}(?: \\)?)+)", text, re.M)
    assert len(entries) == len(locked(PLATFORM_LOCK)) > 0, "every line of requirements-platform.lock has a marker and hashes"


def test_installers_use_both_lock_files():
    make = (ROOT / "Makefile").read_text()
    env = (ROOT / "environment.yml").read_text()
    for name in ("requirements.lock", "requirements-platform.lock"):
        assert f"-r {name}" in env, f"environment.yml installs {name}"
    assert "$(PLATFORM_LOCK)" in make and "PLATFORM_LOCK" in make.split("$(STAMP):")[1].split("env:")[0]


def test_installed_torch_is_torch_spec():
    assert metadata.version("torch").split("+")[0] == torch_spec()


def test_environment_yml_installs_the_lock_and_the_same_torch():
    env = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*-r requirements\.lock\s*$", env, re.M), "environment.yml's pip section installs the lock"
    m = re.search(r"^\s*-\s*pytorch-cpu=(\S+)\s*$", env, re.M)
    assert m and m.group(1) == torch_spec(), "environment.yml's pytorch-cpu version equals TORCH_SPEC"
