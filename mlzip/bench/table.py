"""The human views of a bench run: a rich table on the terminal and the same rows as Markdown."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mlzip.bench.harness import BenchRun
from mlzip.bench.machine import load_average, usable_cores

MB = 1_000_000
FAILURES_SHOWN = 12
# Rich falls back to 80 columns when stdout is not a terminal: too narrow for this table in a log.
PIPE_WIDTH = 200


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def times(value: float | None) -> str:
    return "—" if value is None else f"×{value:.2f}"


def headers(run: BenchRun) -> list[str]:
    base = f"vs {run.baseline}: size / dec" if run.baseline else "vs baseline"
    return [
        "tool", "exact", "failed", "saved", "saved (exact)", "saved (all-exact)",
        "comp MB/s wall / cpu", "dec MB/s wall / cpu", "peak MB", "bits/coef", base, "mlzip paths",
    ]


def rows(run: BenchRun) -> list[list[str]]:
    """One row per available tool, in the order requested."""
    table = []
    for entry in run.tools:
        s = entry.summary
        if s is None:
            continue
        vs = s.vs_baseline or {}
        table.append([
            entry.codec.name,
            str(s.accepted),
            str(s.failed),
            percent(s.savings),
            percent(s.savings_accepted),
            percent(s.savings_common),
            f"{number(s.compress_mb_s_wall)} / {number(s.compress_mb_s_cpu)}",
            f"{number(s.decompress_mb_s_wall)} / {number(s.decompress_mb_s_cpu)}",
            number(None if s.peak_memory_bytes is None else s.peak_memory_bytes / MB, 1),
            number(s.bits_per_coefficient, 3),
            f"{times(vs.get('size_ratio_common'))} / {times(vs.get('decompress_speed_ratio'))}" if vs else "—",
            ", ".join(f"{mode} {100 * share:.0f} %" for mode, share in (s.paths or {}).items()),
        ])
    return table


def title(run: BenchRun) -> str:
    load = load_average()
    context = f" ({usable_cores()} cores, load {load[0]:.1f})" if load else ""
    return f"mlzip bench: {len(run.files)} files, {sum(f.size for f in run.files) / MB:.1f} MB{context}"


def unavailable_lines(run: BenchRun) -> list[str]:
    return [f"{e.codec.name}: unavailable ({e.unavailable_reason})" for e in run.tools if e.summary is None]


def failure_lines(run: BenchRun) -> list[str]:
    lines = []
    for entry in run.tools:
        s = entry.summary
        if s and s.failed_files:
            shown = "; ".join(f"{f['file']} ({f['error']})" for f in s.failed_files[:FAILURES_SHOWN])
            more = len(s.failed_files) - FAILURES_SHOWN
            lines.append(f"{entry.codec.name} failed {s.failed}: {shown}" + (f"; and {more} more (see --json)" if more > 0 else ""))
    return lines


def build_table(run: BenchRun) -> Table:
    table = Table(title=title(run), title_justify="left")
    for index, header in enumerate(headers(run)):
        table.add_column(header, justify="left" if index in (0, 11) else "right")
    for row in rows(run):
        table.add_row(*row)
    return table


def print_report(run: BenchRun, console: Console | None = None) -> None:
    console = console or Console(width=None if Console().is_terminal else PIPE_WIDTH)
    console.print(build_table(run))
    for line in unavailable_lines(run) + failure_lines(run):
        console.print(line, highlight=False, markup=False)


def markdown(run: BenchRun) -> str:
    """The table as GitHub Markdown (for a README), with the unavailable tools under it."""
    head = headers(run)
    lines = [f"**{title(run)}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(run)]
    lines += [""] + [f"- {line}" for line in unavailable_lines(run)]
    return "\n".join(lines) + "\n"
