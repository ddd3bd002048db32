"""Speed and coverage of the JPEG layer: python -m mlzip.jpeg.bench DIR [DIR...]

For each file: parse MB/s, encode MB/s (CPU time of this process, i.e. per core), whether encode()
gives back the file exactly and whether the parts (header, layout, coefficients) do, or why the file
is refused. Then totals and peak memory.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from mlzip.errors import MlzError
from mlzip.jpeg import from_parts, parse, to_parts


def _warm_up() -> None:
    """Load the numba kernels before timing anything (first use compiles or reads the cache)."""
    import io

    import numpy as np
    from PIL import Image

    for progressive in (False, True):
        buf = io.BytesIO()
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buf, "JPEG", progressive=progressive)
        parse(buf.getvalue()).encode()


def bench(paths: list[Path]) -> int:
    _warm_up()
    total = exact = 0
    parse_bytes = parse_s = encode_s = 0.0
    refused: list[tuple[str, str]] = []
    biggest = 0  # largest input + coefficient arrays of one file, to compare peak memory with
    print(f"{'file':60s} {'KB':>8s} {'parse MB/s':>10s} {'enc MB/s':>9s}  result")
    for path in paths:
        data = path.read_bytes()
        total += 1
        t0 = time.process_time()
        try:
            img = parse(data)
        except MlzError as exc:
            refused.append((path.name, str(exc)))
            print(f"{path.name[:60]:60s} {len(data) / 1e3:8.1f} {'':>10s} {'':>9s}  refused: {exc}")
            continue
        t1 = time.process_time()
        biggest = max(biggest, len(data) + sum(c.coefs.nbytes for c in img.components))
        out = img.encode()
        t2 = time.process_time()
        header, layout = to_parts(img)
        rebuilt = from_parts(header, layout, [c.coefs for c in img.components]).encode()
        ok = out == data and rebuilt == data
        if ok:
            exact += 1
            parse_bytes += len(data)
            parse_s += t1 - t0
            encode_s += t2 - t1
        else:
            refused.append((path.name, "re-encoding differs"))
        mb = len(data) / 1e6
        print(f"{path.name[:60]:60s} {len(data) / 1e3:8.1f} {mb / (t1 - t0):10.1f} {mb / (t2 - t1):9.1f}  "
              f"{'exact' if ok else 'DIFFERS'} layout={len(layout)}B")
    print(f"\n{exact}/{total} exact; over those: parse {parse_bytes / 1e6 / max(parse_s, 1e-9):.1f} MB/s, "
          f"encode {parse_bytes / 1e6 / max(encode_s, 1e-9):.1f} MB/s ({parse_bytes / 1e6:.1f} MB)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak RSS of this process {peak / 1e6:.0f} MB; largest input + coefficients {biggest / 1e6:.0f} MB")
    for name, reason in refused:
        print(f"  refused {name}: {reason}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m mlzip.jpeg.bench DIR [DIR...]", file=sys.stderr)
        return 2
    paths = []
    for a in args:
        p = Path(a)
        paths += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in (".jpg", ".jpeg", ".mpo", ".jfif")) if p.is_dir() else [p]
    return bench(paths)


if __name__ == "__main__":
    sys.exit(main())
