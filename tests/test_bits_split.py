"""tools/bits_split.py on generated JPEGs: the parts add up and react to what they measure."""

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("jpeglib")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import bits_split  # noqa: E402
import family_study  # noqa: E402

from tests.jpeg_fixtures import make_jpeg  # noqa: E402


def test_split_adds_up_and_headers_are_counted(tmp_path):
    cifar = tmp_path / "cifar10-jpeg" / "train"
    for cls in ("cat", "ship"):
        (cifar / cls).mkdir(parents=True)
        for n in (4500, 4501):
            (cifar / cls / f"{n:04d}.jpg").write_bytes(make_jpeg(32, 32, n, quality=75, subsampling=2))
    out = tmp_path / "split.json"
    assert bits_split.main(["--cifar", str(cifar.parent), "--cifar-per-class", "2", "--out", str(out)]) == 0
    figures = json.loads(out.read_text())["cifar-val"]["classic"]
    assert all(figures[p] > 0 for p in ("dc", "low_ac", "high_ac", "headers"))
    assert figures["total"] == pytest.approx(sum(figures[p] for p in ("dc", "low_ac", "high_ac", "headers")),
                                             abs=1e-3)
    # finer quantization leaves more AC to code: the AC parts grow, the headers do not
    fine = bits_split.split([family_study._load("q95", make_jpeg(64, 64, 2, quality=95))], None)
    coarse = bits_split.split([family_study._load("q20", make_jpeg(64, 64, 2, quality=20))], None)
    assert fine["high_ac"] > 2 * coarse["high_ac"] and fine["low_ac"] > coarse["low_ac"]
