"""One bench run from start to finish: files, availability, the interleaved run, the summaries."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlzip.bench.codecs import Codec
from mlzip.bench.coefficients import count_files, counter_name
from mlzip.bench.corpus import CorpusFile
from mlzip.bench.errors import BenchError
from mlzip.bench.machine import describe_machine
from mlzip.bench.output import DEFINITIONS, SCHEMA, SCHEMA_VERSION, result_row
from mlzip.bench.runner import FileResult, run_bench
from mlzip.bench.summary import ToolSummary, summarize

PREFERRED_BASELINE = "lepton"


@dataclass
class ToolEntry:
    codec: Codec
    version: str
    unavailable_reason: str | None
    summary: ToolSummary | None = None


@dataclass
class BenchRun:
    files: list[CorpusFile]
    coefficients: dict[str, int | None]
    tools: list[ToolEntry]
    results: list[FileResult]
    baseline: str | None
    settings: dict[str, Any]

    def available(self) -> list[ToolEntry]:
        return [t for t in self.tools if t.unavailable_reason is None]


def check_tools(codecs: Sequence[Codec]) -> list[ToolEntry]:
    entries = []
    for codec in codecs:
        reason = codec.availability()
        version = "n/a"
        if reason is None:
            try:
                version = codec.version()
            except Exception as exc:  # a version string is a nicety; never fail the run on it
                version = f"unknown ({type(exc).__name__})"
        entries.append(ToolEntry(codec, version, reason))
    return entries


def pick_baseline(requested: str | None, entries: Sequence[ToolEntry]) -> str | None:
    names = [e.codec.name for e in entries if e.unavailable_reason is None]
    if requested is not None:
        if requested not in names:
            raise BenchError(f"baseline {requested!r} is not among the available tools ({', '.join(names)})")
        return requested
    return PREFERRED_BASELINE if PREFERRED_BASELINE in names else None


def execute(
    codecs: Sequence[Codec],
    files: list[CorpusFile],
    *,
    repeat: int = 1,
    jobs: int = 1,
    baseline: str | None = None,
    timeout: float | None = 600.0,
    settings: dict[str, Any] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> BenchRun:
    if not files:
        raise BenchError("no files to bench")
    entries = check_tools(codecs)
    chosen = pick_baseline(baseline, entries)
    runnable = [e.codec for e in entries if e.unavailable_reason is None]
    counts = count_files([f.path for f in files], jobs)
    coefficients = {f.label: n for f, n in zip(files, counts, strict=True)}
    results, memory = run_bench(runnable, files, repeat=repeat, jobs=jobs, timeout=timeout, on_result=on_result)
    by_tool = {c.name: [r for r in results if r.tool == c.name] for c in runnable}
    summaries = summarize(
        by_tool, memory, {c.name for c in runnable if c.runs_subprocess}, coefficients, chosen
    )
    for entry in entries:
        entry.summary = summaries.get(entry.codec.name)
    return BenchRun(files, coefficients, entries, results, chosen, dict(settings or {}))


def build_report(run: BenchRun, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON document (schema in mlzip/bench/output.py)."""
    counted = [f for f in run.files if run.coefficients.get(f.label)]
    coefficients = sum(run.coefficients[f.label] or 0 for f in counted)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": list(sys.argv if argv is None else argv),
        "machine": describe_machine(),
        "settings": {**run.settings, "baseline": run.baseline, "coefficient_counter": counter_name()},
        "definitions": DEFINITIONS,
        "corpus": {
            "files": len(run.files),
            "bytes": sum(f.size for f in run.files),
            "coefficients": coefficients or None,
            "input_bits_per_coefficient": 8 * sum(f.size for f in counted) / coefficients if coefficients else None,
        },
        "tools": [
            {
                "name": t.codec.name,
                "description": t.codec.description,
                "version": t.version,
                "available": t.unavailable_reason is None,
                "unavailable_reason": t.unavailable_reason,
                "summary": t.summary.as_dict() if t.summary else None,
            }
            for t in run.tools
        ],
        "files": [{"path": f.label, "size": f.size, "coefficients": run.coefficients.get(f.label)} for f in run.files],
        "results": [result_row(r) for r in run.results],
    }


def default_settings(
    dirs: Sequence[Path], include: Sequence[str], limit: int | None, repeat: int, jobs: int,
    timeout: float | None, tools: Sequence[str],
) -> dict[str, Any]:
    return {
        "dirs": [str(Path(d).resolve()) for d in dirs],
        "include": list(include),
        "limit": limit,
        "repeat": repeat,
        "jobs": jobs,
        "timeout_s": timeout,
        "tools_requested": list(tools),
    }
