"""EOB runs of progressive AC scans: parse decides whether the file's runs are the ones libjpeg's
encoder emits (then the layout omits them) while decoding; the decision must be the one the
encoder itself reaches by re-encoding the scan, for standard runs and for runs ended elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from jpeg_fixtures import jpeg_bytes, make_jpeg
from mlzip import jpeg
from mlzip.jpeg.layout import Layout
from mlzip.jpeg.tables import ZIGZAG


def decisions(data: bytes) -> tuple[list, list]:
    """(what parse decided, what re-encoding decides) for each scan with EOB runs."""
    img = jpeg.parse(data)
    codings = img._s.layout.codings
    by_parse = [c.runs_standard for c in codings if c.runs is not None]
    for c in codings:
        if c.runs is not None:
            c.runs_standard = None  # unknown: to_parts re-encodes the scan to decide
    header, layout = jpeg.to_parts(img)
    by_encoding = [c.runs_standard for c in codings if c.runs is not None]
    assert jpeg.from_parts(header, layout, [c.coefs for c in img.components]).encode() == data
    return by_parse, by_encoding


FORCED_RUN = 25  # blocks in a run of the tiled fixture's refinement scans (39 bits each: 25 x 39 > 937)


def tiled_jpeg() -> bytes:
    """Every block the same, 39 non-zero AC coefficients of magnitude 4 or more: the refinement scans
    code no symbols at all, only correction bits, so libjpeg ends their EOB runs when 937 bits wait."""
    tile = np.random.default_rng(16).integers(0, 256, (8, 8), dtype=np.uint8)
    qtable = np.ones(64, int)
    qtable[ZIGZAG[40:]] = 255  # these coefficients quantize to 0
    data = jpeg_bytes(Image.fromarray(np.tile(tile, (32, 32)), "L"), progressive=True, qtables=[qtable.tolist()])
    coefs = jpeg.parse(data).components[0].coefs.reshape(-1, 64)
    assert (coefs == coefs[0]).all() and not np.isin(np.abs(coefs[:, 1:]), [1, 2, 3]).any()
    assert np.count_nonzero(coefs[0, 1:]) == 39
    return data


def with_runs(data: bytes, change) -> bytes:
    """data re-encoded with the EOB runs of each AC scan replaced by change(runs) (None: as they are)."""
    img = jpeg.parse(data)
    header, layout = jpeg.to_parts(img)
    lay = Layout.from_bytes(layout)
    for c, original in zip(lay.codings, img._s.layout.codings):
        runs = None if original.runs is None else change(original.runs.tolist())
        if runs is not None:
            c.runs, c.runs_standard = np.array(runs, np.int64), False
    return jpeg.from_parts(header, lay.to_bytes(), [c.coefs for c in img.components]).encode()


@pytest.mark.parametrize("make", [
    lambda: make_jpeg(64, 48, progressive=True, quality=90),
    lambda: make_jpeg(33, 17, mode="L", progressive=True, quality=5),
    lambda: make_jpeg(40, 40, progressive=True, restart_marker_blocks=3),
    lambda: make_jpeg(48, 32, mode="CMYK", progressive=True, quality=98),
    lambda: jpeg_bytes(Image.new("RGB", (64, 64), (10, 200, 30)), progressive=True, quality=100),
])
def test_pillow_runs_are_standard(make):
    by_parse, by_encoding = decisions(make())
    assert by_parse and by_parse == by_encoding == [True] * len(by_parse)


def test_runs_ended_by_correction_bits_are_standard():
    data = tiled_jpeg()
    img = jpeg.parse(data)
    refine = [c.runs for s, c in zip(img._s.scans, img._s.layout.codings) if s.kind == 4]
    assert refine and all(r.tolist() == [FORCED_RUN] * 40 + [24] for r in refine)  # 1024 blocks
    by_parse, by_encoding = decisions(data)
    assert by_parse == by_encoding == [True] * len(by_parse)


def test_runs_of_the_longest_length_are_standard():
    data = jpeg_bytes(Image.new("L", (2048, 1024), 77), progressive=True)  # 32768 blocks, no AC coefficient
    img = jpeg.parse(data)
    assert any(c.runs is not None and c.runs.tolist() == [0x7FFF, 1] for c in img._s.layout.codings)
    by_parse, by_encoding = decisions(data)
    assert by_parse == by_encoding == [True] * len(by_parse)


def _split_first(runs: list[int]) -> list[int] | None:
    i = next((i for i, r in enumerate(runs) if r > 1), None)
    return None if i is None else runs[:i] + [1, runs[i] - 1] + runs[i + 1 :]


def _runs_of_tiled(runs: list[int]):
    """The tiled fixture's forced runs replaced by `runs` (all in one EOB category: 16 to 31 blocks)."""
    assert sum(runs) == 1024 and all(16 <= r <= 31 for r in runs)
    return lambda old: runs if old and old[0] == FORCED_RUN else None


@pytest.mark.parametrize("source, change", [
    (lambda: make_jpeg(64, 48, progressive=True, quality=90), _split_first),  # ended before a block without symbols
    (lambda: jpeg_bytes(Image.new("L", (2048, 1024), 77), progressive=True), _split_first),
    (tiled_jpeg, _runs_of_tiled([24] * 42 + [16])),  # ended before blocks without symbols
    (tiled_jpeg, _runs_of_tiled([26] * 37 + [31, 31])),  # not ended when the correction bits force it
])
def test_runs_ended_elsewhere_are_kept_explicitly(source, change):
    original = source()
    data = with_runs(original, change)
    assert data != original
    by_parse, by_encoding = decisions(data)
    assert by_parse == by_encoding and False in by_parse
    img = jpeg.parse(data)
    header, layout = jpeg.to_parts(img)
    assert jpeg.from_parts(header, layout, [c.coefs for c in img.components]).encode() == data
