"""The child process that runs one tool: round trips, timings and that process's memory high-water.

Each tool gets its own process so that its peak memory is its own: ``ru_maxrss`` of the worker (and,
for command-line tools, of the largest program it started) is a high-water mark no other tool touched.
The parent sends file paths; the worker answers with one result dict per file.
"""

from __future__ import annotations

import os
import statistics
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from mlzip.bench.codecs import Codec

try:
    import resource
except ImportError:  # not Unix: memory figures stay unknown
    resource = None  # type: ignore[assignment]


def cpu_seconds() -> float:
    """CPU time of this process (all its threads) plus that of the programs it has waited for.

    process_time and getrusage have microsecond resolution; os.times() counts 10 ms ticks, too coarse
    for one small file.
    """
    if resource is None:
        return time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def current_rss() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:
        return None


def _own_high_water() -> int | None:
    """This process's VmHWM (Linux): the peak of its own memory since exec. ru_maxrss also counts the
    pages it was forked with before exec, that is, the RSS of the bench process that started it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_high_water() -> dict[str, int | None]:
    """Peak RSS of this worker and of its largest child program so far (Linux: VmHWM, else
    ru_maxrss in KiB)."""
    if resource is None:
        return {"peak_rss": None, "peak_child_rss": None}
    own = _own_high_water() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"peak_rss": own, "peak_child_rss": children or None}


def timed(call: Any, arg: bytes, repeat: int) -> tuple[bytes, float, float]:
    """Run ``call(arg)`` ``repeat`` times; the last output and the median wall and CPU seconds."""
    walls, cpus = [], []
    out = b""
    for _ in range(repeat):
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        out = call(arg)
        walls.append(time.perf_counter() - wall0)
        cpus.append(cpu_seconds() - cpu0)
    return bytes(out), statistics.median(walls), statistics.median(cpus)


def error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def round_trip(codec: Codec, path: str, repeat: int) -> dict[str, Any]:
    """Compress, decompress and compare one file; any error or other bytes is a failure."""
    result: dict[str, Any] = {"ok": False, "error": None, "compressed_size": None}
    try:
        data = Path(path).read_bytes()
        packed, result["compress_wall_s"], result["compress_cpu_s"] = timed(codec.compress, data, repeat)
        result["compressed_size"] = len(packed)
        restored, result["decompress_wall_s"], result["decompress_cpu_s"] = timed(
            codec.decompress, packed, repeat
        )
        if restored != data:
            result["error"] = f"round trip gave other bytes ({len(restored)} bytes back for {len(data)})"
            return result
    except Exception as exc:  # a peer's refusal is a measured outcome, not a crash of the bench
        result["error"] = error_text(exc)
        return result
    result["ok"] = True
    try:
        result["info"] = codec.describe(packed)
    except Exception as exc:  # the bytes came back exactly: a broken inspector shows up as a path instead
        result["info"] = {"mode": f"describe failed: {error_text(exc)}"}
    return result


def serve(conn: Connection, codec: Codec, log_path: str) -> None:
    """Worker main loop: prepare the tool, report idle memory, then answer (path, repeat, warm_up)."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)  # native libraries' chatter goes to the log, not over the bench's table
    try:
        codec.prepare()
    except Exception as exc:
        conn.send({"ready": False, "error": error_text(exc)})
        return
    conn.send({"ready": True, "idle_rss": current_rss(), **memory_high_water()})
    while True:
        request = conn.recv()
        if request is None:
            return
        path, repeat, warm_up = request
        if warm_up:  # one untimed pass first: lazy library set-up and JIT loading are not the tool's speed
            round_trip(codec, path, 1)
        result = round_trip(codec, path, repeat)
        result.update(memory_high_water())
        conn.send(result)
