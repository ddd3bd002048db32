"""The awkward files real collections contain: each must round-trip exactly (or be refused by name)."""

from __future__ import annotations

import numpy as np
import pytest

from jpeg_fixtures import make_jpeg
from mlzip.errors import UnsupportedJpeg
from mlzip.jpeg import describe, from_parts, parse, to_parts
from mlzip.jpeg.layout import Layout

RESTARTS = make_jpeg(72, 56, seed=11, quality=85, restart_marker_blocks=2)
PROGRESSIVE = make_jpeg(96, 80, seed=12, quality=90, progressive=True)


def round_trip(data: bytes) -> Layout:
    img = parse(data)
    assert img.encode() == data
    header, layout = to_parts(img)
    assert from_parts(header, layout, [c.coefs for c in img.components]).encode() == data
    return Layout.from_bytes(layout)


def scan_start(data: bytes) -> int:
    sos = data.index(b"\xff\xda")
    return sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")


def test_zero_pad_bits():
    img = parse(RESTARTS)
    img._s.layout.codings[0].pad = 0  # an encoder that pads with 0 bits
    data = img.encode()
    assert data != RESTARTS
    layout = round_trip(data)
    assert layout.codings[0].pad == 0 and layout.codings[0].cut is None


def test_wrong_restart_number():
    data = bytearray(RESTARTS)
    rst = data.index(b"\xff\xd1", scan_start(RESTARTS))
    data[rst + 1] = 0xD5
    layout = round_trip(bytes(data))
    assert layout.codings[0].cut is None  # decoding goes on: only the marker byte is recorded
    assert layout.codings[0].odd_rst == [(1, 0xD5)]


def test_missing_restart_marker():
    start = scan_start(RESTARTS)
    rst = RESTARTS.index(b"\xff\xd2", start)
    layout = round_trip(RESTARTS[:rst] + RESTARTS[rst + 2 :])
    assert layout.codings[0].cut is None and layout.codings[0].odd_rst == [(2, 0)]


def test_fill_bytes_before_markers():
    start = scan_start(RESTARTS)
    rst = RESTARTS.index(b"\xff\xd0", start)
    data = RESTARTS[:rst] + b"\xff\xff" + RESTARTS[rst:]  # fill before RST0
    round_trip(data)
    data = RESTARTS[:-2] + b"\xff\xff\xff" + RESTARTS[-2:]  # fill before EOI
    round_trip(data)
    dqt = RESTARTS.index(b"\xff\xdb")
    round_trip(RESTARTS[:dqt] + b"\xff\xff" + RESTARTS[dqt:])  # fill in the header


def test_stray_bytes_in_header():
    dqt = RESTARTS.index(b"\xff\xdb")
    round_trip(RESTARTS[:dqt] + b"\xff\x00\x00\x02" + RESTARTS[dqt:])


def test_truncated_progressive_keeps_earlier_scans():
    data = PROGRESSIVE[: len(PROGRESSIVE) * 3 // 4]
    layout = round_trip(data)
    assert layout.suffix == b"" and layout.codings[-1].cut is not None
    assert np.any(parse(data).components[0].coefs[..., 0])


def test_non_standard_eob_runs_are_recorded():
    original = make_jpeg(160, 120, seed=14, quality=40, progressive=True)
    img = parse(original)
    codings = img._s.layout.codings
    i = next(i for i, c in enumerate(codings) if c.runs is not None and len(c.runs) and c.runs.max() > 2)
    runs = codings[i].runs
    j = int(np.argmax(runs))
    codings[i].runs = np.concatenate([runs[:j], [1, runs[j] - 1], runs[j + 1 :]]).astype(np.int64)
    codings[i].runs_standard = False
    data = img.encode()  # an encoder that ends one EOB run early
    assert data != original
    layout = round_trip(data)
    assert layout.codings[i].runs is not None and not layout.codings[i].runs_standard
    assert sum(c.runs is not None for c in round_trip(original).codings) == 0


def test_dqt_between_scans_does_not_change_first_table():
    img = parse(PROGRESSIVE)
    q0 = img.components[0].qtable.copy()
    second_sos = PROGRESSIVE.index(b"\xff\xda", scan_start(PROGRESSIVE))
    dqt = b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65))
    data = PROGRESSIVE[:second_sos] + dqt + PROGRESSIVE[second_sos:]
    round_trip(data)
    assert np.array_equal(parse(data).components[0].qtable, q0)
    header, layout = to_parts(parse(data))
    assert np.array_equal(describe(header, layout)[0].qtable, q0)


def test_repeated_huffman_symbol():
    data = bytearray(make_jpeg(64, 64, seed=13, quality=95))
    dht = data.index(b"\xff\xc4")
    # first table of the DHT: make its last symbol a copy of its first one
    counts = data[dht + 5 : dht + 21]
    last = dht + 21 + sum(counts) - 1
    data[last] = data[dht + 21]
    round_trip(bytes(data))


def with_dnl(data: bytes) -> bytes:
    """The same JPEG with height 0 in its frame header and a DNL segment after the first scan."""
    sof = next(data.index(m) for m in (b"\xff\xc0", b"\xff\xc2") if m in data)
    height = data[sof + 5 : sof + 7]
    start = scan_start(data)
    end = next(i for i in range(start, len(data) - 1) if data[i] == 0xFF and data[i + 1] not in (0, *range(0xD0, 0xD8)))
    return data[: sof + 5] + b"\0\0" + data[sof + 7 : end] + b"\xff\xdc\x00\x04" + height + data[end:]


@pytest.mark.parametrize("original", [RESTARTS, PROGRESSIVE], ids=["baseline", "progressive"])
def test_height_from_dnl(original):
    data = with_dnl(original)
    round_trip(data)
    img, ref = parse(data), parse(original)
    assert img.height == ref.height
    for a, b in zip(img.components, ref.components):
        assert np.array_equal(a.coefs, b.coefs)
    header, layout = to_parts(img)
    assert describe(header, layout).height == ref.height


def test_missing_dnl_refused():
    data = bytearray(RESTARTS)
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 7] = b"\x00\x00"
    with pytest.raises(UnsupportedJpeg, match="DNL"):
        parse(bytes(data))


def test_garbage_between_images_and_second_image():
    data = RESTARTS + b"\x00" * 100 + PROGRESSIVE  # like an MPO file
    layout = round_trip(data)
    assert layout.suffix.endswith(PROGRESSIVE)


def test_header_walk_cache_keeps_files_apart():
    # describe/from_parts reuse the walk of a header they saw before: the DNL's height must not
    # leak into the cached frame, and different headers must keep their own frames and tables
    dnl = with_dnl(RESTARTS)
    shorter = with_dnl(make_jpeg(72, 40, seed=11, quality=85, restart_marker_blocks=2))
    assert to_parts(parse(dnl))[0] == to_parts(parse(shorter))[0]  # one header, two heights
    others = [RESTARTS, PROGRESSIVE, make_jpeg(40, 24, seed=3, quality=60)]
    for _ in range(2):
        for data in [dnl, shorter, *others, dnl]:
            img = parse(data)
            header, layout = to_parts(img)
            info = describe(header, layout)
            assert (info.width, info.height) == (img.width, img.height)
            for got, comp in zip(info, img.components):
                assert np.array_equal(got.qtable, comp.qtable) and (got.h, got.v) == (comp.h, comp.v)
            assert info.rebuild([c.coefs for c in img.components]).encode() == data
    assert describe(*to_parts(parse(dnl))).height == parse(RESTARTS).height
