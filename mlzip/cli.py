"""The `mlzip` command: gzip's and zstd's conventions over mlzip.fileops.

Start-up cost matters (shell completion re-runs this program on every TAB, `mlzip d small.mlz` should
feel instant): this module imports neither numpy, numba nor torch, and loads zstd and rich only when
it uses them.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand

from mlzip import __version__
from mlzip.fileops import (
    DEFAULT_SUFFIX,
    Action,
    Outcome,
    Settings,
    Status,
    process_bytes,
    process_path,
    worst,
)

PROG = "mlzip"
STDIN = "-"
EXIT_INTERRUPTED = 130
# A progress bar is worth drawing for several files or for one this large.
PROGRESS_MIN_BYTES = 16 << 20


class LevelCommand(TyperCommand):
    """Accepts gzip's level flags: `-1` ... `-9` (also inside clusters like `-9k`), `--fast`, `--best`.

    Click cannot declare options named by digits, so they are rewritten to `--level N` before parsing;
    the last level given wins, as in gzip.
    """

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._rewrite(args))

    def _rewrite(self, args: list[str]) -> list[str]:
        takes_value = {
            opt[1]
            for param in self.params
            # duck-typed: typer may vendor its own click
            if getattr(param, "param_type_name", "") == "option" and not param.is_flag and not param.count
            for opt in param.opts
            if len(opt) == 2 and opt[0] == "-"
        }
        out: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                return out + args[i:]
            if arg in ("--fast", "--best"):
                out += ["--level", "1" if arg == "--fast" else "9"]
            elif len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and any(c.isdigit() for c in arg):
                out += _split_cluster(arg[1:], takes_value)
            else:
                out.append(arg)
        return out


def _split_cluster(cluster: str, takes_value: set[str]) -> list[str]:
    out: list[str] = []
    for pos, char in enumerate(cluster):
        if char.isdigit():
            out += ["--level", char]
        elif char in takes_value:  # the rest of the cluster is this option's value, as getopt reads it
            out.append("-" + cluster[pos:])
            break
        else:
            out.append("-" + char)
    return out


app = typer.Typer(
    name=PROG,
    help="Lossless JPEG recompressor with the manners of gzip: [bold]mlzip c photo.jpg[/] writes "
    "photo.jpg.mlz, [bold]mlzip d photo.jpg.mlz[/] gives back the identical photo.jpg. Files that are "
    "not JPEG (or that the JPEG path cannot take) are compressed with zstd, or stored.",
    epilog="Exit status: 0 ok, 1 error, 2 warning (the worst wins across files); usage errors exit 2.",
    add_completion=False,
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Lossless JPEG recompressor with the manners of gzip."""


# Options shared by several commands, declared once.
Files = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="FILE", help="Files (or directories with -r); none or '-' means stdin to stdout.", show_default=False
    ),
]
ToStdout = Annotated[bool, typer.Option("--stdout", "-c", help="Write to stdout; keep the input files.")]
Keep = Annotated[bool, typer.Option("--keep/--rm", "-k", help="Keep (-k) or remove (--rm, the default) the inputs.")]
Force = Annotated[
    bool,
    typer.Option(
        "--force", "-f",
        help="Overwrite outputs, follow symbolic links, allow compressed data on a terminal.",
    ),
]
Output = Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (one input only).")]
Suffix = Annotated[str, typer.Option("--suffix", "-S", metavar="SUF", help="Suffix of compressed files.")]
Recursive = Annotated[bool, typer.Option("--recursive", "-r", help="Walk into directories.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="One line per file and a closing summary.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Suppress warnings and progress.")]
Threads = Annotated[
    int, typer.Option("--threads", "-T", metavar="N", min=0, help="Process N files in parallel (0: all cores).")
]
Json = Annotated[bool, typer.Option("--json", help="With list: JSON output.")]


HELP = {
    "compress": "Compress FILES to FILE.mlz (short: c).",
    "decompress": "Decompress FILE.mlz to FILE (short: d).",
    "test": "Test the integrity of .mlz files: decode and check every byte (short: t).",
    "list": "List sizes, savings, mode and model id of .mlz files; reads headers only (short: l).",
}


@app.command("compress", cls=LevelCommand, help=HELP["compress"])
def compress_cmd(
    files: Files = None,
    level: Annotated[
        int,
        typer.Option(
            "--level", "-L", min=1, max=9, metavar="N",
            help="Level 1 (fast) to 9 (best): JPEG coefficient model 1-3 classic, 4-5 STRONG, 6 STRONGEST2, 7-9 ULTRA4 (9: one band, no threads); also -1 ... -9, --fast (= -1), --best (= -9).",
        ),
    ] = 6,
    to_stdout: ToStdout = False,
    keep: Keep = False,
    force: Force = False,
    output: Output = None,
    suffix: Suffix = DEFAULT_SUFFIX,
    recursive: Recursive = False,
    name: Annotated[
        bool, typer.Option("--name/--no-name", "-N/-n", help="Store the original name and mtime (default) or not.")
    ] = True,
    model: Annotated[
        Optional[str], typer.Option("--model", metavar="NAME", help="Model for JPEG files (default: by level).")
    ] = None,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip decoding the output before removing the input (risky).")
    ] = False,
    threads: Threads = 1,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    settings = Settings(
        Action.COMPRESS, level=level, model=model, keep=keep or to_stdout, force=force, to_stdout=to_stdout,
        output=output, suffix=suffix, verify=not no_verify, name=name,
    )
    _run(settings, files, recursive=recursive, verbose=verbose, quiet=quiet, threads=threads)


@app.command("decompress", help=HELP["decompress"])
def decompress_cmd(
    files: Files = None,
    to_stdout: ToStdout = False,
    keep: Keep = False,
    force: Force = False,
    output: Output = None,
    suffix: Suffix = DEFAULT_SUFFIX,
    recursive: Recursive = False,
    name: Annotated[
        bool,
        typer.Option("--name/--no-name", "-N/-n", help="Restore the stored name and mtime, or not (default)."),
    ] = False,
    test: Annotated[bool, typer.Option("--test", "-t", help="Test integrity instead (like the test command).")] = False,
    list_: Annotated[bool, typer.Option("--list", "-l", help="List contents instead (like the list command).")] = False,
    json_out: Json = False,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="Do not read the written output back.")] = False,
    threads: Threads = 1,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    action = Action.LIST if list_ else Action.TEST if test else Action.DECOMPRESS
    keep = keep or to_stdout or action is not Action.DECOMPRESS
    settings = Settings(
        action, keep=keep, force=force, to_stdout=to_stdout, output=output, suffix=suffix, verify=not no_verify,
        name=name,
    )
    _run(settings, files, recursive=recursive, verbose=verbose, quiet=quiet, threads=threads, json_out=json_out)


@app.command("test", help=HELP["test"])
def test_cmd(
    files: Files = None,
    force: Force = False,
    suffix: Suffix = DEFAULT_SUFFIX,
    recursive: Recursive = False,
    threads: Threads = 1,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    settings = Settings(Action.TEST, keep=True, force=force, suffix=suffix)
    _run(settings, files, recursive=recursive, verbose=verbose, quiet=quiet, threads=threads)


@app.command("list", help=HELP["list"])
def list_cmd(
    files: Files = None,
    force: Force = False,
    suffix: Suffix = DEFAULT_SUFFIX,
    recursive: Recursive = False,
    json_out: Json = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="One row per member.")] = False,
    quiet: Quiet = False,
) -> None:
    settings = Settings(Action.LIST, keep=True, force=force, suffix=suffix)
    _run(settings, files, recursive=recursive, verbose=verbose, quiet=quiet, threads=1, json_out=json_out)


# gzip-style short names; hidden so that --help lists each command once.
app.command("c", cls=LevelCommand, hidden=True, help=HELP["compress"])(compress_cmd)
app.command("d", hidden=True, help=HELP["decompress"])(decompress_cmd)
app.command("t", hidden=True, help=HELP["test"])(test_cmd)
app.command("l", hidden=True, help=HELP["list"])(list_cmd)

# Commands that live in their own packages register themselves here (their heavy imports stay lazy).
from mlzip.bench import register as _register_bench  # noqa: E402
from mlzip.cli_models import register as _register_models  # noqa: E402
from mlzip.cli_train import register as _register_train  # noqa: E402

_register_bench(app)
_register_train(app)
_register_models(app)


def _run(
    settings: Settings,
    files: list[str] | None,
    *,
    recursive: bool,
    verbose: bool,
    quiet: bool,
    threads: int,
    json_out: bool = False,
) -> None:
    inputs = list(_expand(files or [STDIN], settings, recursive))
    _check_usage(settings, inputs, files or [STDIN])
    refusal = _terminal_refusal(settings, inputs)
    if refusal:
        _say(f"{PROG}: {refusal}")
        raise typer.Exit(Status.ERROR)
    _configure_logging(verbose)
    report = Report(settings, verbose=verbose, quiet=quiet, json_out=json_out)
    try:
        with report.progress(inputs):
            for outcome in _outcomes(inputs, settings, threads=threads, verbose=verbose):
                report.add(outcome)
    except KeyboardInterrupt:  # temporary files are already gone (fileops.write_atomic); inputs untouched
        _say(f"{PROG}: interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    report.finish()
    raise typer.Exit(report.status)


def _expand(files: list[str], settings: Settings, recursive: bool) -> Iterator[str | Outcome]:
    """Inputs in command-line order; directories are walked (sorted) with -r, or refused."""
    for item in files:
        if item == STDIN or not os.path.isdir(item):
            yield item
        elif not recursive:
            yield Outcome(item, Status.WARNING, "is a directory -- ignored")
        else:
            for root, dirs, names in os.walk(item):
                dirs.sort()
                for base in sorted(names):
                    path = os.path.join(root, base)
                    if not os.path.islink(path) and _wanted(base, settings):
                        yield path


def _wanted(base: str, settings: Settings) -> bool:
    has_suffix = base.endswith(settings.suffix)
    return not has_suffix if settings.action is Action.COMPRESS else has_suffix


def _check_usage(settings: Settings, inputs: list[str | Outcome], given: list[str]) -> None:
    if not settings.suffix or os.sep in settings.suffix:
        raise typer.BadParameter("must be non-empty and free of path separators", param_hint="'-S'")
    if settings.output is None:
        return
    if settings.to_stdout:
        raise typer.BadParameter("-o and -c exclude each other", param_hint="'-o'")
    if len(given) != 1 or len(inputs) != 1 or isinstance(inputs[0], Outcome):
        raise typer.BadParameter("takes exactly one input file", param_hint="'-o'")


def _terminal_refusal(settings: Settings, inputs: list[str | Outcome]) -> str | None:
    if settings.force:
        return None
    from_stdin = STDIN in inputs
    if settings.action is Action.COMPRESS:
        to_stdout = settings.to_stdout or (from_stdin and settings.output is None)
        if to_stdout and _is_terminal(sys.stdout):
            return "compressed data not written to a terminal (use -f to force)"
    elif from_stdin and _is_terminal(sys.stdin):
        return "compressed data not read from a terminal (use -f to force)"
    return None


def _is_terminal(stream: Any) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _outcomes(inputs: list[str | Outcome], settings: Settings, *, threads: int, verbose: bool) -> Iterator[Outcome]:
    """Outcomes in input order; files run in a process pool when -T asks for it (same bytes either way)."""
    paths = [i for i in inputs if isinstance(i, str) and i != STDIN]
    workers = min(threads or os.cpu_count() or 1, len(paths))
    if workers <= 1:
        for item in inputs:
            yield _process(item, settings)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold threads (progress bar) and, later, numba state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(verbose,)) as pool:
        done = iter(pool.map(_work, paths, [settings] * len(paths)))
        try:
            for item in inputs:
                yield next(done) if isinstance(item, str) and item != STDIN else _process(item, settings)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _process(item: str | Outcome, settings: Settings) -> Outcome:
    if isinstance(item, Outcome):
        return item
    if item != STDIN:
        return process_path(item, settings)
    from mlzip import limits

    data = sys.stdin.buffer.read(limits.MAX_INPUT_BYTES + 1)
    if len(data) > limits.MAX_INPUT_BYTES:
        return Outcome("stdin", Status.ERROR, f"input is past the limit of {limits.MAX_INPUT_BYTES} bytes")
    return process_bytes(data, settings)


_worker_interrupted = False


def _worker_init(verbose: bool) -> None:
    signal.signal(signal.SIGTERM, _worker_interrupt)
    signal.signal(signal.SIGINT, _worker_interrupt)
    _configure_logging(verbose)


def _worker_interrupt(signum: int, frame: Any) -> None:
    # The file in hand is abandoned cleanly (fileops removes its temporary file); queued files are skipped.
    global _worker_interrupted
    _worker_interrupted = True
    raise KeyboardInterrupt


def _work(path: str, settings: Settings) -> Outcome:
    if _worker_interrupted:
        return Outcome(path, Status.ERROR, "interrupted")
    return process_path(path, settings)


def _configure_logging(verbose: bool) -> None:
    logger = logging.getLogger(PROG)
    logger.propagate = False
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.ERROR)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Report:
    """Everything the user sees: stdout data, per-file lines, progress, listing, summary, exit status."""

    def __init__(self, settings: Settings, *, verbose: bool, quiet: bool, json_out: bool) -> None:
        self.settings = settings
        self.verbose = verbose
        self.quiet = quiet
        self.json_out = json_out
        self.status = Status.OK
        self.outcomes: list[Outcome] = []
        self.started = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None
        self._sizes: dict[str, int] = {}
        self._files = 0

    def progress(self, inputs: list[str | Outcome]) -> Any:
        from contextlib import nullcontext

        paths = [i for i in inputs if isinstance(i, str) and i != STDIN]
        sizes = [_size(p) for p in paths]
        wanted = len(paths) > 1 or sum(sizes) >= PROGRESS_MIN_BYTES
        if self.quiet or not wanted or not _is_terminal(sys.stderr):
            return nullcontext()
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self._sizes = dict(zip(paths, sizes))
        self._files = len(paths)
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[files]}"), DownloadColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._task = self._bar.add_task(self.settings.action.value, total=sum(sizes), files=f"0/{len(paths)} files")
        return self._bar

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.status = worst([self.status, outcome.status])
        if outcome.data is not None and outcome.status is not Status.ERROR:
            _write_stdout(outcome.data)
        if outcome.message and (outcome.status is Status.ERROR or not self.quiet):
            self._line(f"{PROG}: {outcome.source}: {outcome.message}")
        elif outcome.status is Status.OK and self.verbose and self.settings.action is not Action.LIST:
            self._line(_file_line(outcome, self.settings))
        if self._bar is not None:
            done = sum(1 for o in self.outcomes if o.source in self._sizes)
            self._bar.update(
                self._task, advance=self._sizes.get(outcome.source, 0), description=self._savings(),
                files=f"{done}/{self._files} files",
            )

    def finish(self) -> None:
        if self.settings.action is Action.LIST:
            from mlzip.cli_list import render_listing

            text = render_listing(
                [o for o in self.outcomes if o.status is Status.OK], self.settings, verbose=self.verbose,
                json_out=self.json_out,
            )
            _write_stdout(text.encode())
        elif self.verbose and self.settings.action is not Action.TEST:
            self._line(self._summary())

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            _say(text)

    def _totals(self) -> tuple[int, int, int]:
        done = [o for o in self.outcomes if o.status is not Status.ERROR and o.bytes_in]
        return len(done), sum(o.bytes_in for o in done), sum(o.bytes_out for o in done)

    def _savings(self) -> str:
        _, total_in, total_out = self._totals()
        original, compressed = _original_compressed(self.settings, total_in, total_out)
        return f"{self.settings.action.value}: {_saved(original, compressed)} saved"

    def _summary(self) -> str:
        count, total_in, total_out = self._totals()
        original, compressed = _original_compressed(self.settings, total_in, total_out)
        seconds = max(time.perf_counter() - self.started, 1e-9)
        return (
            f"{PROG}: {count} file{'s' if count != 1 else ''}, {total_in:,} -> {total_out:,} bytes, "
            f"{_saved(original, compressed)} saved, {original / seconds / 1e6:.1f} MB/s"
        )


def _original_compressed(settings: Settings, total_in: int, total_out: int) -> tuple[int, int]:
    return (total_in, total_out) if settings.action is Action.COMPRESS else (total_out, total_in)


def _saved(original: int, compressed: int) -> str:
    return f"{1 - compressed / original:.1%}" if original else "0.0%"


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _file_line(outcome: Outcome, settings: Settings) -> str:
    if settings.action is Action.TEST:
        return f"{outcome.source}: OK"
    original, compressed = _original_compressed(settings, outcome.bytes_in, outcome.bytes_out)
    modes = sorted({m.mode for m in outcome.members})
    line = f"{outcome.source}: {_saved(original, compressed)} saved ({', '.join(modes)})"
    if outcome.target:
        line += f" -- {'replaced with' if outcome.removed_input else 'created'} {outcome.target}"
    return line


def _write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


class _NoBlasProbe(importlib.abc.MetaPathFinder):
    """Lets numba import its array functions without their probe of scipy's BLAS.

    numba imports scipy.linalg on its first compiled call only to learn whether np.dot can be
    compiled: 0.16 s of the ~0.65 s that `mlzip c` of a small file spends starting up, and mlzip's
    kernels call no BLAS. While ``numba.np.arraymath`` (the prober) executes, scipy's BLAS module
    is marked unimportable; afterwards it imports as usual. Installed by the command only (a process
    mlzip owns; a program that imports mlzip as a library keeps numba's probe), and lazily: nothing
    is imported until numba is.
    """

    TARGET = "numba.np.arraymath"
    BLOCKED = "scipy.linalg.cython_blas"

    def find_spec(self, name, path, target=None):
        if name != self.TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None and self.BLOCKED not in sys.modules:
            spec.loader = _BlockDuring(spec.loader, self.BLOCKED)
        return spec


class _BlockDuring(importlib.abc.Loader):
    """The module's own loader, with ``blocked`` unimportable while the module executes."""

    def __init__(self, loader, blocked: str) -> None:
        self.loader, self.blocked = loader, blocked

    def __getattr__(self, name: str):  # get_source, get_filename, ...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        sys.modules[self.blocked] = None  # type: ignore[assignment]  # its import raises ImportError
        try:
            self.loader.exec_module(module)
        finally:
            if sys.modules.get(self.blocked, 0) is None:
                del sys.modules[self.blocked]


def main() -> None:
    """Entry point of the `mlzip` script and of `python -m mlzip`."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not any(isinstance(f, _NoBlasProbe) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoBlasProbe())
    if os.environ.get("_MLZIP_COMPLETE"):
        from typer.completion import completion_init

        completion_init()  # typer's completion classes; add_completion=False leaves them out
    # click turns a broken stdout pipe (`mlzip d -c x.mlz | head`) into a quiet exit 1
    app(prog_name=PROG)
