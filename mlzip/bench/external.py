"""Peers that are command-line programs, run through temporary files.

Each direction writes its input to a fresh temporary directory under a fixed name, runs the program and
reads the output back; the timing covers the whole call (process start and file I/O included), which
is what a user of the program pays per file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlzip.bench.codecs import Codec
from mlzip.bench.errors import ToolFailed


@dataclass(frozen=True)
class Step:
    """One program run: ``argv`` with ``{in}``/``{out}`` replaced by paths named ``source``/``target``."""

    argv: tuple[str, ...]
    source: str
    target: str


class ExternalCodec(Codec):
    runs_subprocess = True

    def __init__(self, name: str, description: str, pack: Step, unpack: Step) -> None:
        self.name = name
        self.description = description
        self.pack = pack
        self.unpack = unpack

    def programs(self) -> list[str]:
        return sorted({self.pack.argv[0], self.unpack.argv[0]})

    def availability(self) -> str | None:
        missing = [p for p in self.programs() if shutil.which(p) is None]
        return f"not on PATH: {', '.join(missing)}" if missing else None

    def version(self) -> str:
        return "; ".join(f"{p}: {program_version(p)}" for p in self.programs())

    def compress(self, data: bytes) -> bytes:
        return run_step(self.pack, data)

    def decompress(self, data: bytes) -> bytes:
        return run_step(self.unpack, data)


def run_step(step: Step, data: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mlzip-bench-") as tmp:
        source, target = Path(tmp) / step.source, Path(tmp) / step.target
        source.write_bytes(data)
        argv = [a.replace("{in}", str(source)).replace("{out}", str(target)) for a in step.argv]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, cwd=tmp)
        if done.returncode != 0:
            raise ToolFailed(f"{step.argv[0]} exited {done.returncode}: {last_line(done.stderr or done.stdout)}")
        if not target.is_file():
            raise ToolFailed(f"{step.argv[0]} wrote no {step.target}: {last_line(done.stderr or done.stdout)}")
        return target.read_bytes()


def last_line(output: bytes) -> str:
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no message)"


def program_version(program: str) -> str:
    """First line a program prints for ``--version`` (these tools have no common convention)."""
    try:
        done = subprocess.run(
            [program, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({type(exc).__name__})"
    lines = [ln.strip() for ln in (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[0][:120] if lines else "unknown"


def file_to_file(name: str, description: str, pack: tuple[str, ...], unpack: tuple[str, ...], suffix: str) -> ExternalCodec:
    """A peer whose programs take ``INPUT OUTPUT`` as their last two arguments."""
    packed = f"x{suffix}"
    return ExternalCodec(
        name,
        description,
        Step((*pack, "{in}", "{out}"), "x.jpg", packed),
        Step((*unpack, "{in}", "{out}"), packed, "x.jpg"),
    )


def command_line_peers() -> list[ExternalCodec]:
    """The command-line recompressors peers.md measured, with the options used there."""
    return [
        file_to_file("lepton-cli", "Lepton, C++ (`lepton -allowprogressive`)", ("lepton", "-allowprogressive"), ("lepton",), ".lep"),
        ExternalCodec(
            "packjpg",
            "packJPG (`packJPG -np`, writes x.pjg beside x.jpg and back)",
            Step(("packJPG", "-np", "{in}"), "x.jpg", "x.pjg"),
            Step(("packJPG", "-np", "{in}"), "x.pjg", "x.jpg"),
        ),
        file_to_file("paq8px", "paq8px -8 (`paq8px -8 in archive`, `paq8px -d archive out`)", ("paq8px", "-8"), ("paq8px", "-d"), ".paq8px"),
        file_to_file("cjxl", "JPEG XL command line (`cjxl --lossless_jpeg=1`, `djxl` to .jpg)", ("cjxl", "--lossless_jpeg=1"), ("djxl",), ".jxl"),
        file_to_file("brunsli", "brunsli (`cbrunsli` / `dbrunsli`)", ("cbrunsli",), ("dbrunsli",), ".br"),
    ]
