"""Compile (into numba's on-disk cache) the kernels one coder level uses: a small and a large JPEG
through compress and decompress. Run by conftest.py before the test workers start; not a test."""

import sys

from jpeg_fixtures import make_jpeg

from mlzip import api


def main(level: int) -> int:
    # 32x32: the small images' coder (with its change log); 1200x900: the large images' (without it)
    for data in (make_jpeg(32, 32), make_jpeg(1200, 900)):
        if api.decompress(api.compress(data, level)) != data:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1])))
