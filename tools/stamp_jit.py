"""Stamp every numba module with a hash of the mlzip sources compiled into its cached kernels.

    python tools/stamp_jit.py          # rewrite the stamps
    python tools/stamp_jit.py --check  # exit 1 when one is stale (tests/test_jit_stamp.py does this)

Numba's on-disk cache is keyed by the content of the file that defines a function, but a kernel
also holds the code of the njit functions it calls and the module-level arrays it reads, from other
modules (classic.code_plane inlines mixer's and rangecoder's functions and reads tables'). Edit
mixer.py alone and a cache left from the old source (an upgrade over an installed copy, a checkout)
still loads: the coder would write files other machines decode differently. So each module that
defines njit functions carries ``JIT_SOURCES_SHA256``: the sha256 of the sources of every mlzip module
it imports, directly or not. A change there changes this file's content, which invalidates its cache.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mlzip"
STAMP = re.compile(r'^JIT_SOURCES_SHA256 = "([0-9a-f]*)".*$', re.M)
STAMP_COMMENT = "  # tools/stamp_jit.py"


def module_path(name: str) -> Path | None:
    """The file of mlzip module ``name`` (dotted), or None for what is not mlzip's."""
    parts = name.split(".")
    if parts[0] != "mlzip":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[Path]:
    """The mlzip modules ``path`` imports (absolute imports, as this package writes them)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found.update(p for p in map(module_path, names) if p is not None and p != path)
    return found


def dependencies(path: Path) -> list[Path]:
    """Every mlzip module ``path`` imports, directly or not, sorted."""
    seen: set[Path] = set()
    todo = [path]
    while todo:
        for dep in imported_modules(todo.pop()):
            if dep not in seen and dep != path:
                seen.add(dep)
                todo.append(dep)
    return sorted(seen)


def _unstamped(text: str) -> str:
    # a module's own stamp is left out of what its importers hash: stamps of a cycle could not settle
    return STAMP.sub("", text)


def expected_stamp(path: Path) -> str:
    digest = hashlib.sha256()
    for dep in dependencies(path):
        digest.update(dep.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(_unstamped(dep.read_text()).encode() + b"\0")
    return digest.hexdigest()


def jit_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if re.search(r"^@njit", p.read_text(), re.M))


def stale() -> list[tuple[Path, str]]:
    """(module, expected stamp) for every njit module whose stamp is missing or out of date."""
    out = []
    for path in jit_modules():
        if not dependencies(path):  # its own file is all its kernels hold
            continue
        want = expected_stamp(path)
        have = STAMP.search(path.read_text())
        if have is None or have.group(1) != want:
            out.append((path, want))
    return out


def _write_stamp(path: Path, stamp: str) -> None:
    text = path.read_text()
    line = f'JIT_SOURCES_SHA256 = "{stamp}"{STAMP_COMMENT}'
    if STAMP.search(text):
        text = STAMP.sub(line, text, count=1)
    else:  # after the imports: the first top-level line that is no import, docstring or blank
        lines = text.splitlines(keepends=True)
        tree = ast.parse(text)
        last_import = max((n.end_lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
        lines.insert(last_import, f"\n{line}\n")
        text = "".join(lines)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale stamps")
    args = parser.parse_args(argv)
    if args.check:
        todo = stale()
        for path, _ in todo:
            rel = path.relative_to(PACKAGE.parent)
            print(f"stale JIT_SOURCES_SHA256 in {rel}: run python tools/stamp_jit.py", file=sys.stderr)
        return 1 if todo else 0
    # a module's first stamp also adds lines around it, which the modules importing it hash: those
    # stamped before it in the same pass are stale again, so pass until nothing changes
    for _ in range(len(jit_modules()) + 1):
        todo = stale()
        if not todo:
            return 0
        for path, stamp in todo:
            _write_stamp(path, stamp)
            print(f"stamped {path.relative_to(PACKAGE.parent)}")
    print("stamps did not settle", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
