"""Wall and CPU time of mlzip.api.compress / decompress with 1 thread and with N, on the same files.

    PYTHONPATH=. python tools/threads_bench.py FILE... [--threads 2] [--repeat 5]

Each step is timed --repeat times per setting (settings interleaved) and the best kept: on a shared
machine the best is the least disturbed run. CPU time counts every thread of the process, so with
N threads wall < CPU shows the parallel part; the bytes are the same for every thread count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlzip import api  # noqa: E402
from mlzip.coder import bands  # noqa: E402


def _time(fn, arg):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(arg)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    datas = [p.read_bytes() for p in args.files]
    api.decompress(api.compress(datas[0]))  # compile / load numba's cache outside the timings
    settings = [1, args.threads]
    best: dict[tuple[int, int], list[float]] = {}
    sizes = {}
    for _ in range(args.repeat):
        for threads in settings:
            os.environ[bands.THREADS_ENV] = str(threads)
            for i, data in enumerate(datas):
                member, cw, cc = _time(api.compress, data)
                back, dw, dc = _time(api.decompress, member)
                assert back == data, args.files[i]
                sizes[threads, i] = len(member)
                old = best.get((threads, i))
                best[threads, i] = [cw, cc, dw, dc] if old is None else [min(a, b) for a, b in zip(old, [cw, cc, dw, dc])]
    total = sum(map(len, datas)) / 1e6
    for threads in settings:
        cw, cc, dw, dc = (sum(best[threads, i][k] for i in range(len(datas))) for k in range(4))
        size = sum(sizes[threads, i] for i in range(len(datas)))
        print(f"threads {threads}: {size} bytes | compress wall {cw:.3f} s ({total / cw:.2f} MB/s) cpu {cc:.3f} s"
              f" | decompress wall {dw:.3f} s ({total / dw:.2f} MB/s) cpu {dc:.3f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
