"""The `bench` command: options in, table and files out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console

from mlzip.bench.errors import BenchError

if TYPE_CHECKING:  # the heavy modules load only when the command runs
    from mlzip.bench.codecs import Codec
    from mlzip.bench.corpus import CorpusFile
    from mlzip.bench.harness import BenchRun

TOOLS_HELP = (
    "Comma-separated tools: mlzip-1 … mlzip-9, mlzip:<model> (either with -noverify: compress "
    "without the closing decode-and-compare), lepton, lepton-verify (compress, decompress, compare), "
    "jxl, zstd, xz, brotli, lepton-cli, packjpg, paq8px, cjxl, brunsli. Default: mlzip-1,mlzip-6,"
    "mlzip-9 and every peer (unavailable ones are listed as such)."
)


def bench(
    dirs: Annotated[list[Path], typer.Argument(metavar="DIR...", help="Directories to bench (searched recursively).", exists=True, file_okay=False, dir_okay=True)],
    tools: Annotated[Optional[str], typer.Option("--tools", "-t", help=TOOLS_HELP)] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write every figure to this JSON file (schema: mlzip/bench/output.py).", dir_okay=False)] = None,
    csv_path: Annotated[Optional[Path], typer.Option("--csv", help="Write one row per tool and file to this CSV file.", dir_okay=False)] = None,
    plot_path: Annotated[Optional[Path], typer.Option("--plot", help="Draw savings against decompress speed into this PNG file.", dir_okay=False)] = None,
    markdown_path: Annotated[Optional[Path], typer.Option("--markdown", help="Write the table as Markdown (for a README) to this file.", dir_okay=False)] = None,
    repeat: Annotated[int, typer.Option("--repeat", "-r", min=1, help="Time each step N times and keep the median.")] = 1,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Files in flight at once (timings then include the contention).")] = 1,
    baseline: Annotated[Optional[str], typer.Option("--baseline", help="Tool the ratios refer to. Default: lepton when available.")] = None,
    include: Annotated[Optional[list[str]], typer.Option("--include", "-i", help="Only relative paths matching this fnmatch pattern (repeatable), e.g. '*/4[5-9]??.jpg'. Default: *.jpg, *.jpeg, *.jpe, *.jfif, *.mpo.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Only the first N files after sorting.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds one tool may take on one file before it is killed and the file failed.")] = 600.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Measure mlzip and its peers on every file: savings, speed, peak memory, exactness."""
    from mlzip.bench.corpus import collect
    from mlzip.bench.harness import default_settings
    from mlzip.bench.registry import parse_tools

    try:
        codecs = parse_tools(tools)
    except BenchError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tools") from None
    if baseline is not None and baseline not in [c.name for c in codecs]:
        raise typer.BadParameter(f"{baseline!r} is not in --tools", param_hint="--baseline")
    for option, target in (("--json", json_path), ("--csv", csv_path), ("--plot", plot_path), ("--markdown", markdown_path)):
        if target is not None and not target.resolve().parent.is_dir():
            raise typer.BadParameter(f"folder {target.parent} does not exist", param_hint=option)
    err = Console(stderr=True)
    files = collect(dirs, include or (), limit)
    if not files:
        err.print(f"mlzip: bench: no files matched in {', '.join(map(str, dirs))}", highlight=False)
        raise typer.Exit(code=1)
    settings = default_settings(dirs, include or (), limit, repeat, jobs, timeout, [c.name for c in codecs])
    try:
        run = run_with_progress(codecs, files, repeat, jobs, baseline, timeout, settings, quiet or not err.is_terminal, err)
    except BenchError as exc:
        err.print(f"mlzip: bench: {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    from mlzip.bench.table import print_report

    print_report(run)
    try:
        write_outputs(run, json_path, csv_path, plot_path, markdown_path)
    except OSError as exc:
        err.print(f"mlzip: bench: {exc.filename or ''}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(code=1) from None


def run_with_progress(
    codecs: list[Codec], files: list[CorpusFile], repeat: int, jobs: int, baseline: str | None,
    timeout: float, settings: dict[str, Any], quiet: bool, console: Console,
) -> BenchRun:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mlzip.bench.harness import execute

    if quiet:
        return execute(codecs, files, repeat=repeat, jobs=jobs, baseline=baseline, timeout=timeout, settings=settings)
    columns = (TextColumn("bench"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(files) * sum(c.available() for c in codecs))
        return execute(
            codecs, files, repeat=repeat, jobs=jobs, baseline=baseline, timeout=timeout, settings=settings,
            on_result=lambda r: progress.update(task, advance=1, description=f"{r.tool} {r.file}"),
        )


def write_outputs(
    run: BenchRun, json_path: Path | None, csv_path: Path | None, plot_path: Path | None, markdown_path: Path | None = None
) -> None:
    from mlzip.bench.harness import build_report
    from mlzip.bench.output import write_csv, write_json

    if json_path:
        write_json(build_report(run, sys.argv), json_path)
    if csv_path:
        write_csv(run.results, csv_path)
    if plot_path:
        from mlzip.bench.plot import write_plot

        write_plot(run, plot_path)
    if markdown_path:
        from mlzip.bench.table import markdown

        markdown_path.write_text(markdown(run))
