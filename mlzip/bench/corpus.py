"""Which files a bench run measures: every JPEG-named file below the given directories, or --include."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Without --include the bench takes the names a JPEG corpus uses (MPO is JPEG frames back to back),
# so that a MANIFEST or README beside the pictures is not measured as if it were one.
JPEG_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif", ".mpo")


@dataclass(frozen=True)
class CorpusFile:
    label: str  # relative path shown in reports (prefixed with the directory name when several)
    path: str  # absolute path
    size: int


def relative_files(root: Path) -> list[str]:
    """Regular files below ``root`` as sorted POSIX relative paths; hidden files and folders skipped."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        for name in names:
            full = Path(folder) / name
            if not name.startswith(".") and full.is_file():
                found.append(full.relative_to(root).as_posix())
    return sorted(found)


def wanted(relative: str, include: Sequence[str]) -> bool:
    if include:
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in include)
    return relative.lower().endswith(JPEG_SUFFIXES)


def collect(dirs: Sequence[Path], include: Sequence[str] = (), limit: int | None = None) -> list[CorpusFile]:
    """Files to bench, sorted (directory order, then path) so that --limit N is deterministic."""
    files = []
    for root in dirs:
        root = Path(root).resolve()
        for relative in relative_files(root):
            if wanted(relative, include):
                label = f"{root.name}/{relative}" if len(dirs) > 1 else relative
                full = root / relative
                files.append(CorpusFile(label, str(full), full.stat().st_size))
    return files[:limit] if limit is not None else files
