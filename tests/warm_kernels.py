"""Compile (into numba's on-disk cache) the kernels one coder level uses: a small and a large JPEG
through compress and decompress. Run by conftest.py before the test workers start; not a test."""

import io
import sys

import numpy as np
from PIL import Image

from mlzip import api


def _jpeg(width: int, height: int) -> bytes:
    pixels = (np.random.default_rng(0).random((height, width, 3)) * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=80)
    return out.getvalue()


def main(level: int) -> int:
    # 32x32: the small images' coder (with its change log); 1200x900: the large images' one, in bands
    for data in (_jpeg(32, 32), _jpeg(1200, 900)):
        if api.decompress(api.compress(data, level)) != data:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1])))
