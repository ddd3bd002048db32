"""The bench's files: JSON (schema below, versioned) and CSV (one row per tool and file).

JSON schema, ``schema_version`` 1. Keys are stable: a new key may be added without a bump, renaming or
removing one bumps ``schema_version``; tests/test_bench.py pins every key.

* ``schema`` "mlzip-bench", ``schema_version`` 1, ``created_utc`` ISO 8601, ``command`` argv list.
* ``machine``: cpu_model, logical_cores, usable_cores, physical_cores, memory_bytes, platform, python,
  load_average (1/5/15 min, taken when the run ends).
* ``settings``: dirs, include, limit, repeat, jobs, baseline, timeout_s, tools_requested,
  coefficient_counter ("mlzip.jpeg" | "jpeglib" | null).
* ``definitions``: one sentence per figure, saying how it was measured.
* ``corpus``: files, bytes, coefficients (sum over files whose coefficients could be counted),
  input_bits_per_coefficient (8·bytes/coefficients over those files).
* ``tools``: one object per requested tool: name, description, version, available, unavailable_reason,
  summary (null when unavailable; else the ``SUMMARY_KEYS`` below).
* ``files``: path (label), size, coefficients (null when unknown).
* ``results``: one object per available tool and file, ``RESULT_KEYS``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlzip.bench.runner import FileResult

SCHEMA = "mlzip-bench"
SCHEMA_VERSION = 1

DEFINITIONS = {
    "savings": "1 - sum(output bytes) / sum(input bytes); a failed file is charged its full input size",
    "savings_accepted": "savings over the files this tool gave back byte for byte",
    "savings_common": "savings over the files that every available tool gave back byte for byte",
    "failed": "the tool raised, exited non-zero, timed out, crashed, or gave back other bytes",
    "mb_s": "MB (10**6 bytes) of original file per second over accepted files: sum of sizes / sum of "
    "per-file median times over --repeat runs; wall = perf_counter, cpu = process + child CPU time",
    "peak_memory_bytes": "in-process tools: rise of the tool's own worker process RSS high-water "
    "(ru_maxrss) above its RSS after importing the tool; command-line tools: ru_maxrss of the largest "
    "program run; max over lanes and restarts. The in-process figure includes the copies the harness "
    "holds for one round trip (input, output, restored bytes: about 3x the largest file). The high-water "
    "is VmHWM on Linux (ru_maxrss would also count the bench's own pages the worker was forked with); "
    "the first file is coded once in a throwaway process before the measured worker starts, so that a "
    "cold numba cache is compiled there",
    "peak_rss_bytes": "the worker process's whole RSS high-water, Python interpreter included",
    "paths": "share of accepted files per mlzip container mode (from mlzip.api.inspect)",
    "bits_per_coefficient": "8 * sum(output bytes) / sum(quantized DCT coefficients) over accepted "
    "files whose coefficients could be counted (whole file: headers included)",
    "vs_baseline": "size_ratio_common: sum(output)/sum(baseline output) on files both gave back; "
    "savings_points: difference in savings, percentage points; speed ratios: wall MB/s over baseline's",
}

RESULT_KEYS = (
    "tool",
    "file",
    "size",
    "status",
    "compressed_size",
    "charged_size",
    "error",
    "compress_wall_s",
    "compress_cpu_s",
    "decompress_wall_s",
    "decompress_cpu_s",
    "mode",
    "model_id",
)


def result_row(result: FileResult) -> dict[str, Any]:
    return {
        "tool": result.tool,
        "file": result.file,
        "size": result.size,
        "status": "ok" if result.ok else "failed",
        "compressed_size": result.compressed_size,
        "charged_size": result.charged_size,
        "error": result.error,
        "compress_wall_s": result.compress_wall_s,
        "compress_cpu_s": result.compress_cpu_s,
        "decompress_wall_s": result.decompress_wall_s,
        "decompress_cpu_s": result.decompress_cpu_s,
        "mode": result.info.get("mode"),
        "model_id": result.info.get("model_id"),
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")


def write_csv(results: Sequence[FileResult], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_KEYS)
        writer.writeheader()
        for result in results:
            writer.writerow(result_row(result))
