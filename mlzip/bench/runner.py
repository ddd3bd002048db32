"""Run every tool on every file, interleaved file by file, each tool in its own worker process.

Interleaving (file 1 through every tool, then file 2, with the tool order rotated per file) spreads the
noise of a shared machine over all tools alike. ``jobs`` lanes work on different files at once, each
with its own set of workers; with more than one lane the timings include the contention.
"""

from __future__ import annotations

import multiprocessing
import queue
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlzip.bench.codecs import Codec
from mlzip.bench.corpus import CorpusFile
from mlzip.bench.worker import serve

# A worker that has not said "ready" by then is dead or wedged (mlzip's numba cache load is the slowest).
STARTUP_TIMEOUT_S = 300.0


@dataclass
class FileResult:
    tool: str
    file: str
    size: int
    ok: bool
    compressed_size: int | None
    error: str | None
    compress_wall_s: float | None = None
    compress_cpu_s: float | None = None
    decompress_wall_s: float | None = None
    decompress_cpu_s: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def charged_size(self) -> int:
        """What the file costs in the totals: its output when exact, its full size when failed."""
        return self.compressed_size if self.ok and self.compressed_size is not None else self.size


@dataclass
class MemoryMark:
    """High-water marks of one tool over all its worker processes (lanes and restarts)."""

    idle_rss: int | None = None
    peak_rss: int | None = None
    peak_child_rss: int | None = None

    def update(self, report: dict[str, Any], *, idle: bool = False) -> None:
        if idle and report.get("idle_rss") is not None:
            self.idle_rss = max(self.idle_rss or 0, report["idle_rss"])
        for key in ("peak_rss", "peak_child_rss"):
            if report.get(key) is not None:
                setattr(self, key, max(getattr(self, key) or 0, report[key]))


class ToolWorker:
    """The parent's handle on one tool's child process; restarts it after a crash or a timeout."""

    def __init__(self, codec: Codec, log_dir: Path, lane: int, memory: MemoryMark) -> None:
        self.codec = codec
        self.log_path = log_dir / f"{codec.name.replace(':', '_').replace('/', '_')}-lane{lane}.log"
        self.memory = memory
        self.process: Any = None
        self.conn: Any = None
        self.warm = False
        self.primed = False

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a clean process: no memory inherited from us
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=serve, args=(child_end, self.codec, str(self.log_path)), daemon=True
        )
        self.process.start()
        child_end.close()
        hello = self.receive(STARTUP_TIMEOUT_S)
        if not hello.get("ready"):
            raise RuntimeError(hello.get("error") or "worker did not start")
        self.memory.update(hello, idle=True)

    def receive(self, timeout: float | None) -> dict[str, Any]:
        if not self.conn.poll(timeout):
            self.stop(wedged=True)
            return {"ok": False, "error": f"no answer within {timeout:g} s (killed)"}
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            self.stop()
            return {"ok": False, "error": f"tool process died (exit code {code}){self.log_tail()}"}

    def log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return f": {lines[-1][:200]}" if lines else ""

    def prime(self, path: str, timeout: float | None) -> None:
        """Code the first file once in a throwaway process before the measured worker starts: what a
        first run leaves on disk (mlzip's numba cache, compiled when it is cold: about 3 GB at its
        peak, and kept by the process that compiled it) then costs the measured worker neither time
        nor memory."""
        self.primed = True
        measured, self.memory = self.memory, MemoryMark()
        try:
            self.run(path, 1, timeout)
        finally:
            self.stop()
            self.memory = measured

    def run(self, path: str, repeat: int, timeout: float | None) -> dict[str, Any]:
        if not self.primed:
            self.prime(path, timeout)
        if self.process is None:
            try:
                self.start()
            except Exception as exc:
                self.stop()
                return {"ok": False, "error": f"tool process did not start: {exc}"}
        warm_up = not self.warm
        self.conn.send((path, repeat, warm_up))
        self.warm = True
        # the warm-up pass runs the same file once more: give it the time of two
        answer = self.receive(2 * timeout if warm_up and timeout is not None else timeout)
        self.memory.update(answer)
        return answer

    def stop(self, wedged: bool = False) -> None:
        if self.process is not None:
            if self.process.is_alive() and not wedged:
                try:
                    self.conn.send(None)
                except (OSError, ValueError):
                    pass
                self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.process = None
        self.warm = False
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def to_result(codec: Codec, file: CorpusFile, answer: dict[str, Any]) -> FileResult:
    ok = bool(answer.get("ok"))
    return FileResult(
        tool=codec.name,
        file=file.label,
        size=file.size,
        ok=ok,
        compressed_size=answer.get("compressed_size"),
        error=None if ok else (answer.get("error") or "failed"),
        compress_wall_s=answer.get("compress_wall_s"),
        compress_cpu_s=answer.get("compress_cpu_s"),
        decompress_wall_s=answer.get("decompress_wall_s"),
        decompress_cpu_s=answer.get("decompress_cpu_s"),
        info=answer.get("info") or {},
    )


def run_bench(
    codecs: Sequence[Codec],
    files: Sequence[CorpusFile],
    *,
    repeat: int = 1,
    jobs: int = 1,
    timeout: float | None = 600.0,
    on_result: Callable[[FileResult], None] | None = None,
) -> tuple[list[FileResult], dict[str, MemoryMark]]:
    """Results in (file, tool) order and each tool's memory marks. ``codecs`` must all be available."""
    memory = {codec.name: MemoryMark() for codec in codecs}
    slots: list[list[FileResult | None]] = [[None] * len(codecs) for _ in files]
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(files)):
        todo.put(index)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def lane(number: int, log_dir: Path) -> None:
        workers = [ToolWorker(codec, log_dir, number, memory[codec.name]) for codec in codecs]
        try:
            while not errors:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                shift = index % len(codecs)  # rotate the tool order so none always runs first
                for k in list(range(shift, len(codecs))) + list(range(shift)):
                    answer = workers[k].run(files[index].path, repeat, timeout)
                    result = to_result(codecs[k], files[index], answer)
                    with lock:
                        slots[index][k] = result
                        if on_result:
                            on_result(result)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            for worker in workers:
                worker.stop()

    with tempfile.TemporaryDirectory(prefix="mlzip-bench-logs-") as logs:
        lanes = [
            threading.Thread(target=lane, args=(n, Path(logs)), daemon=True)
            for n in range(max(1, min(jobs, len(files))))
        ]
        for thread in lanes:
            thread.start()
        for thread in lanes:
            thread.join()
    if errors:
        raise errors[0]
    return [r for row in slots for r in row if r is not None], memory
