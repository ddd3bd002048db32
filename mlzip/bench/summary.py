"""Per-tool figures from per-file results: savings, speeds, memory, mlzip paths, baseline ratios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mlzip.bench.runner import FileResult, MemoryMark

MB = 1_000_000


@dataclass
class ToolSummary:
    files: int
    accepted: int
    failed: int
    failed_files: list[dict[str, str]]
    input_bytes: int
    output_bytes: int
    savings: float | None
    savings_accepted: float | None
    savings_common: float | None
    compress_mb_s_wall: float | None
    compress_mb_s_cpu: float | None
    decompress_mb_s_wall: float | None
    decompress_mb_s_cpu: float | None
    peak_memory_bytes: int | None
    peak_rss_bytes: int | None
    idle_rss_bytes: int | None
    peak_child_rss_bytes: int | None
    paths: dict[str, float] | None
    bits_per_coefficient: float | None
    vs_baseline: dict[str, float | None] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def savings(results: Sequence[FileResult]) -> float | None:
    total_in = sum(r.size for r in results)
    return 1 - sum(r.charged_size for r in results) / total_in if total_in else None


def speed(results: Sequence[FileResult], seconds: str) -> float | None:
    """MB of original file per second over the files this tool gave back exactly (sum of medians)."""
    exact = [r for r in results if r.ok and getattr(r, seconds) is not None]
    elapsed = sum(getattr(r, seconds) for r in exact)
    return sum(r.size for r in exact) / MB / elapsed if exact and elapsed > 0 else None


def peak_memory(mark: MemoryMark, runs_subprocess: bool) -> int | None:
    """The tool's own peak: its largest program for command-line tools, else the worker's rise above idle."""
    if runs_subprocess:
        return mark.peak_child_rss
    if mark.peak_rss is None or mark.idle_rss is None:
        return None
    return max(0, mark.peak_rss - mark.idle_rss)


def path_shares(results: Sequence[FileResult]) -> dict[str, float] | None:
    modes = Counter(r.info.get("mode") for r in results if r.ok and r.info.get("mode"))
    total = sum(modes.values())
    return {mode: count / total for mode, count in sorted(modes.items())} if total else None


def bits_per_coefficient(results: Sequence[FileResult], coefficients: dict[str, int | None]) -> float | None:
    counted = [r for r in results if r.ok and coefficients.get(r.file)]
    total = sum(coefficients[r.file] or 0 for r in counted)
    return 8 * sum(r.charged_size for r in counted) / total if total else None


def common_files(by_tool: dict[str, list[FileResult]]) -> set[str]:
    """Files that every tool gave back exactly."""
    sets = [{r.file for r in results if r.ok} for results in by_tool.values()]
    return set.intersection(*sets) if sets else set()


def summarize(
    by_tool: dict[str, list[FileResult]],
    memory: dict[str, MemoryMark],
    subprocess_tools: set[str],
    coefficients: dict[str, int | None],
    baseline: str | None,
) -> dict[str, ToolSummary]:
    common = common_files(by_tool)
    summaries = {}
    for tool, results in by_tool.items():
        accepted = [r for r in results if r.ok]
        failed = [r for r in results if not r.ok]
        mark = memory.get(tool, MemoryMark())
        summaries[tool] = ToolSummary(
            files=len(results),
            accepted=len(accepted),
            failed=len(failed),
            failed_files=[{"file": r.file, "error": r.error or "failed"} for r in failed],
            input_bytes=sum(r.size for r in results),
            output_bytes=sum(r.charged_size for r in results),
            savings=savings(results),
            savings_accepted=savings(accepted),
            savings_common=savings([r for r in results if r.file in common]),
            compress_mb_s_wall=speed(results, "compress_wall_s"),
            compress_mb_s_cpu=speed(results, "compress_cpu_s"),
            decompress_mb_s_wall=speed(results, "decompress_wall_s"),
            decompress_mb_s_cpu=speed(results, "decompress_cpu_s"),
            peak_memory_bytes=peak_memory(mark, tool in subprocess_tools),
            peak_rss_bytes=mark.peak_rss,
            idle_rss_bytes=mark.idle_rss,
            peak_child_rss_bytes=mark.peak_child_rss,
            paths=path_shares(results),
            bits_per_coefficient=bits_per_coefficient(results, coefficients),
        )
    if baseline in by_tool:
        for tool in by_tool:
            summaries[tool].vs_baseline = against(by_tool[tool], by_tool[baseline], summaries[tool], summaries[baseline])
    return summaries


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def against(
    results: list[FileResult], reference: list[FileResult], mine: ToolSummary, theirs: ToolSummary
) -> dict[str, float | None]:
    """Ratios to the baseline tool: output size on files both gave back exactly, and speeds."""
    both = {r.file for r in results if r.ok} & {r.file for r in reference if r.ok}
    own = sum(r.charged_size for r in results if r.file in both)
    ref = sum(r.charged_size for r in reference if r.file in both)
    return {
        "size_ratio_common": ratio(own, ref) if both else None,
        "savings_points": None if mine.savings is None or theirs.savings is None else 100 * (mine.savings - theirs.savings),
        "compress_speed_ratio": ratio(mine.compress_mb_s_wall, theirs.compress_mb_s_wall),
        "decompress_speed_ratio": ratio(mine.decompress_mb_s_wall, theirs.decompress_mb_s_wall),
    }
