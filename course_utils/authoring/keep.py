"""A student's notebooks are never overwritten: `write_student_copy` writes a notebook into a
folder students work in (``_build/student/``, ``work/``) only where that cannot destroy an edit.

Each such folder holds a manifest, ``.course-manifest.json``: the sha256 of every file the course
wrote there. A file whose bytes still have the recorded hash is the course's own (unedited) copy
and may be replaced; any other file (edited, run and saved, or of unknown origin) is the
student's. When the course has a new version of a notebook the student edited, it is written
beside it as ``NN_stem.updated.ipynb`` (``NN_stem.updated-2.ipynb``, ... if that name is taken
by an edited file too), and the edited file is left as it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MANIFEST",
    "Written",
    "forget_unedited",
    "is_unedited",
    "load_manifest",
    "save_manifest",
    "write_student_copy",
]

MANIFEST = ".course-manifest.json"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_manifest(folder: Path) -> dict[str, str]:
    """file name -> sha256 of the bytes the course last wrote there ({} if none or unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_manifest(folder: Path, manifest: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n",
                                   encoding="utf-8")


def is_unedited(path: Path, manifest: dict[str, str]) -> bool:
    """True when ``path`` holds exactly the bytes the course wrote there (safe to replace)."""
    return path.exists() and manifest.get(path.name) == _sha(path.read_bytes())


@dataclass(frozen=True)
class Written:
    """What `write_student_copy` did: ``action`` is "new", "updated", "unchanged" or "kept"
    (the student's file left alone; the new version went to ``path``)."""

    action: str
    path: Path
    kept: Path | None = None

    def describe(self, folder: Path) -> str:
        if self.action == "kept":
            return (f"kept your edited {self.kept.name} in {folder}; the course's new version is "
                    f"{self.path.name} beside it (copy your answers over, or keep working in yours)")
        return f"{self.action} {self.path.name}"


def write_student_copy(folder: Path, name: str, data: bytes, manifest: dict[str, str]) -> Written:
    """Write ``data`` as ``folder/name`` unless that would destroy a student's edit.

    Updates ``manifest`` (the caller saves it with `save_manifest`). Never deletes or
    overwrites a file that is not the course's unedited copy.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    digest = _sha(data)
    if not target.exists() or is_unedited(target, manifest):
        action = "new" if not target.exists() else (
            "unchanged" if target.read_bytes() == data else "updated")
        if action != "unchanged":
            target.write_bytes(data)
        manifest[name] = digest
        return Written(action, target)
    if target.read_bytes() == data:  # the student's file is byte for byte the new version
        manifest[name] = digest
        return Written("unchanged", target)
    stem, suffix = name.rsplit(".", 1) if "." in name else (name, "")
    dot = f".{suffix}" if suffix else ""
    for k in range(1, 1000):
        candidate = folder / (f"{stem}.updated{dot}" if k == 1 else f"{stem}.updated-{k}{dot}")
        if not candidate.exists() or is_unedited(candidate, manifest) or candidate.read_bytes() == data:
            candidate.write_bytes(data)
            manifest[candidate.name] = digest
            return Written("kept", candidate, kept=target)
    raise RuntimeError(f"{folder}: too many edited copies of {name}")  # pragma: no cover


def forget_unedited(folder: Path, keep: set[str], manifest: dict[str, str]) -> list[str]:
    """Delete the course's unedited copies in ``folder`` whose names are not in ``keep`` (a
    notebook removed from the course); an edited file is never deleted. Returns what it deleted."""
    gone = []
    for name in sorted(manifest):
        path = folder / name
        if name in keep:
            continue
        if is_unedited(path, manifest):
            path.unlink()
            gone.append(name)
        if not path.exists():
            manifest.pop(name, None)
    return gone
