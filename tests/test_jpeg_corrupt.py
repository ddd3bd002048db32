"""Damaged JPEGs: only UnsupportedJpeg (or an exact round trip), never another exception, never a hang."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jpeg_fixtures import make_jpeg
from mlzip.errors import CorruptMember, UnsupportedJpeg
from mlzip.jpeg import describe, from_parts, parse, to_parts

BASELINE = make_jpeg(72, 56, seed=7, quality=85)
PROGRESSIVE = make_jpeg(72, 56, seed=8, quality=85, progressive=True)
RESTARTS = make_jpeg(72, 56, seed=9, quality=85, restart_marker_blocks=2)


def check(data: bytes) -> bool:
    """True for an exact round trip (also through the parts), False for a clean refusal."""
    try:
        img = parse(data)
    except UnsupportedJpeg as exc:
        assert not str(exc).startswith("internal error"), str(exc)
        return False
    assert img.encode() == data
    header, layout = to_parts(img)
    assert from_parts(header, layout, [c.coefs for c in img.components]).encode() == data
    return True


@pytest.mark.parametrize("data", [BASELINE, PROGRESSIVE, RESTARTS], ids=["baseline", "progressive", "restarts"])
def test_truncated_every_percent(data):
    check(data[: len(data) // 2])  # compiles the kernels outside the timed part
    start = time.perf_counter()
    kept = 0
    for pct in range(1, 100):
        kept += check(data[: len(data) * pct // 100])
    assert kept > 50  # truncated inside the scans: still transcoded
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("data", [BASELINE, PROGRESSIVE, RESTARTS], ids=["baseline", "progressive", "restarts"])
def test_flipped_bytes(data):
    rng = np.random.default_rng(1)
    for pos in rng.integers(0, len(data), 120):
        bad = bytearray(data)
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        check(bytes(bad))


def test_bad_huffman_codes_in_scan():
    sos = BASELINE.index(b"\xff\xda")
    body = sos + 2 + int.from_bytes(BASELINE[sos + 2 : sos + 4], "big")
    bad = bytearray(BASELINE)
    bad[body + 20 : body + 40] = b"\xfe" * 20  # long runs of 1 bits: codes no table has
    assert check(bytes(bad))  # the scan is cut where decoding fails, the rest kept raw


def test_truncated_scan_keeps_decoded_coefficients():
    data = BASELINE[: len(BASELINE) * 2 // 3]
    img = parse(data)
    assert img.encode() == data
    y = img.components[0].coefs
    assert np.any(y[0] != 0) and not np.any(y[-1])


def test_oversized_dimensions_refused():
    data = bytearray(BASELINE)
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = b"\xff\xff\xff\xff"  # 65535 x 65535
    with pytest.raises(UnsupportedJpeg, match="limit"):
        parse(bytes(data))


def test_not_a_jpeg():
    for data in (b"", b"\xff", b"\xff\xd8", b"hello world", b"\xff\xd8\xff\xe0\x00"):
        with pytest.raises(UnsupportedJpeg):
            parse(data)


def test_damaged_parts_raise_only_our_errors():
    img = parse(PROGRESSIVE)
    header, layout = to_parts(img)
    coefs = [c.coefs for c in img.components]
    rng = np.random.default_rng(2)
    for _ in range(200):
        h, lay = bytearray(header), bytearray(layout)
        target = h if rng.random() < 0.5 else lay
        if target:
            target[int(rng.integers(0, len(target)))] ^= 0xFF
        cut = rng.random() < 0.3
        try:
            info = describe(bytes(h), bytes(lay[: len(lay) // 2] if cut else lay))
            from_parts(bytes(h), bytes(lay), coefs).encode()
            assert len(info) == 3
        except (CorruptMember, UnsupportedJpeg):
            pass
    with pytest.raises(CorruptMember):
        from_parts(header, layout, coefs[:2])
    with pytest.raises(CorruptMember):
        from_parts(header, layout, [c[:1] for c in coefs])


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([BASELINE, PROGRESSIVE, RESTARTS]),
       st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
       st.floats(0.05, 1.0))
def test_mutated_jpegs(data, edits, keep):
    bad = bytearray(data)
    for where, value in edits:
        bad[int(where * len(bad))] = value
    check(bytes(bad[: max(1, int(len(bad) * keep))]))


def _pollute(n_coefs: int) -> None:
    """Leave freed buffers of the coefficient buffer's size full of non-zero bytes (parse allocates
    its sequential buffer without zeroing it, so every block it does not write would show)."""
    for _ in range(8):
        junk = np.empty(n_coefs, np.int16)
        junk.fill(0x5A5A)
        del junk


def _non_interleaved(data: bytes) -> tuple[bytes, list[np.ndarray]]:
    """The same image as three single-component sequential scans (its luma has MCU padding that
    such scans do not code), rebuilt through from_parts; and the coefficients it must parse to."""
    from mlzip.jpeg.layout import Layout, ScanCoding

    img = parse(data)
    sos = data.index(b"\xff\xda")
    n = data[sos + 4]
    sel = data[sos + 5 : sos + 5 + 2 * n]
    tail = data[sos + 5 + 2 * n : sos + 8 + 2 * n]  # Ss, Se, Ah/Al
    one = [b"\xff\xda\x00\x08\x01" + sel[2 * i : 2 * i + 2] + tail for i in range(n)]
    header = data[:sos] + one[0]
    layout = Layout(betweens=one[1:], codings=[ScanCoding() for _ in range(n)]).to_bytes()
    expected = [c.coefs.copy() for c in img.components]
    rows, cols = img._s.frame.coded_blocks(0)
    expected[0][rows:] = 0
    expected[0][:, cols:] = 0
    return from_parts(header, layout, expected).encode(), expected


@pytest.mark.parametrize("cut", [None, 2 / 3, 1 / 3])
def test_sequential_blocks_are_all_written(cut):
    """Blocks past a cut, MCU padding outside single-component scans and components never scanned
    come out zero, whatever the memory parse gets held before."""
    data, expected = _non_interleaved(BASELINE)
    assert parse(data).encode() == data
    if cut is not None:
        data = data[: int(len(data) * cut)]
    total = sum(c.size for c in expected)
    for _ in range(2):
        _pollute(total)
        img = parse(data)
        assert img.encode() == data
        for got, want in zip(img.components, expected):
            kept = got.coefs.reshape(-1, 64).any(axis=1)
            # blocks decoded are the original ones; every other block is zero
            assert np.array_equal(got.coefs.reshape(-1, 64)[kept], want.reshape(-1, 64)[kept])
        if cut is None:
            assert all(np.array_equal(c.coefs, w) for c, w in zip(img.components, expected))
        else:
            assert not img.components[-1].coefs.any()  # the last scan lies past the cut
