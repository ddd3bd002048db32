"""Header coding figures for a set of JPEG files: mean header bytes before and after, time per header.

    python -m mlzip.header.bench DIR [DIR ...] [--first-index 4500]

Every *.jpg/*.jpeg/*.mpo file below the directories (sorted) is read, its header (SOI .. end of the
first SOS) coded, decoded and compared. --first-index N keeps only files whose name is a number >= N
(the CIFAR-10 validation split is 4500-4999 of each class).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mlzip.header import decode_header, encode_header
from mlzip.header.extract import jpeg_header

_SUFFIXES = (".jpg", ".jpeg", ".mpo")


def select(directories: list[Path], first_index: int | None) -> list[Path]:
    files = sorted(p for d in directories for p in d.rglob("*") if p.suffix.lower() in _SUFFIXES)
    if first_index is not None:
        files = [p for p in files if p.stem.isdigit() and int(p.stem) >= first_index]
    return files


def measure(files: list[Path]) -> dict[str, float]:
    before = after = count = 0
    encode_s = decode_s = 0.0
    for path in files:
        header = jpeg_header(path.read_bytes())
        if header is None:
            continue
        start = time.perf_counter()
        blob = encode_header(header)
        middle = time.perf_counter()
        if decode_header(blob) != header:
            raise SystemExit(f"{path}: header does not round-trip")
        decode_s += time.perf_counter() - middle
        encode_s += middle - start
        before, after, count = before + len(header), after + len(blob), count + 1
    return {"headers": count, "mean_before": before / count, "mean_after": after / count,
            "saved": 1 - after / before, "encode_us": 1e6 * encode_s / count, "decode_us": 1e6 * decode_s / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", type=Path, nargs="+")
    parser.add_argument("--first-index", type=int, default=None)
    args = parser.parse_args()
    result = measure(select(args.directories, args.first_index))
    print(f"{result['headers']} headers: {result['mean_before']:.1f} -> {result['mean_after']:.2f} bytes "
          f"({100 * result['saved']:.2f} % saved); encode {result['encode_us']:.0f} us, "
          f"decode {result['decode_us']:.0f} us per header")


if __name__ == "__main__":
    main()
