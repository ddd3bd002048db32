"""Exact round trips of Pillow-made JPEGs, and coefficients checked against jpeglib (libjpeg)."""

from __future__ import annotations

import itertools

import jpeglib
import numpy as np
import pytest

from jpeg_fixtures import exif_icc_jpeg, make_jpeg
from mlzip.errors import UnsupportedJpeg
from mlzip.jpeg import coefficient_planes, describe, from_parts, parse, to_parts


def assert_exact(data: bytes) -> None:
    img = parse(data)
    assert img.encode() == data
    header, layout = to_parts(img)
    assert data.startswith(header) or header in data
    info = describe(header, layout)
    assert [(c.blocks_y, c.blocks_x) for c in info] == [c.coefs.shape[:2] for c in img.components]
    for ci, comp in zip(info, img.components):
        assert np.array_equal(ci.qtable, comp.qtable)
    rebuilt = from_parts(header, layout, [c.coefs.copy() for c in img.components])
    assert rebuilt.encode() == data


QUICK = [
    dict(quality=q, subsampling=s, progressive=p, optimize=o)
    for q, s, p, o in [(75, 2, False, False), (95, 0, False, True), (40, 1, True, False), (100, 2, True, True),
                       (5, 0, True, False), (85, 1, False, False)]
]


@pytest.mark.parametrize("args", QUICK, ids=str)
def test_quick_matrix_round_trips(args):
    assert_exact(make_jpeg(61, 43, seed=1, **args))


@pytest.mark.slow
@pytest.mark.parametrize("quality", [1, 10, 25, 50, 70, 90, 97, 100])
def test_full_matrix_round_trips(quality):
    for sub, prog, opt in itertools.product((0, 1, 2), (False, True), (False, True)):
        for w, h in ((33, 17), (130, 97)):
            assert_exact(make_jpeg(w, h, seed=quality, quality=quality, subsampling=sub, progressive=prog, optimize=opt))


@pytest.mark.parametrize("size", [(1, 1), (17, 17), (4000, 1), (1, 300), (8, 8), (16, 16)])
@pytest.mark.parametrize("progressive", [False, True])
def test_odd_sizes(size, progressive):
    assert_exact(make_jpeg(*size, seed=2, quality=80, progressive=progressive))


@pytest.mark.parametrize("mode", ["L", "CMYK"])
@pytest.mark.parametrize("progressive", [False, True])
def test_grayscale_and_cmyk(mode, progressive):
    data = make_jpeg(45, 38, seed=4, mode=mode, quality=70, progressive=progressive)
    assert len(parse(data).components) == (1 if mode == "L" else 4)
    assert_exact(data)


@pytest.mark.parametrize("blocks", [1, 3, 7])
@pytest.mark.parametrize("progressive", [False, True])
def test_restart_markers(blocks, progressive):
    data = make_jpeg(70, 50, seed=5, quality=85, restart_marker_blocks=blocks, progressive=progressive)
    assert b"\xff\xdd" in data
    assert_exact(data)


def test_exif_and_icc():
    data = exif_icc_jpeg()
    assert b"Exif" in data and b"ICC_PROFILE" in data
    assert_exact(data)


def test_ordinary_file_has_tiny_layout():
    img = parse(make_jpeg(64, 64, quality=90))
    header, layout = to_parts(img)
    assert len(layout) <= 8


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("kind", ["444", "420", "422-restarts", "gray"])
def test_coefficients_match_jpeglib(tmp_path, progressive, kind):
    args = {"444": dict(subsampling=0), "420": dict(subsampling=2), "gray": dict(mode="L"),
            "422-restarts": dict(subsampling=1, restart_marker_blocks=3)}[kind]
    data = make_jpeg(83, 57, seed=6, quality=80, progressive=progressive, **args)
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    ref = jpeglib.read_dct(str(path))
    img = parse(data)
    planes = [ref.Y] if kind == "gray" else [ref.Y, ref.Cb, ref.Cr]
    assert len(img.components) == len(planes)
    for comp, plane in zip(img.components, planes):
        by, bx = plane.shape[:2]
        ours = comp.coefs[:by, :bx].reshape(by, bx, 8, 8)
        assert np.array_equal(ours, plane)
    assert np.array_equal(img.components[0].qtable.reshape(8, 8), ref.qt[0])


def test_bytes_before_soi_and_after_eoi():
    data = b"junk before" + make_jpeg(30, 20, quality=60) + b"\x00trailing garbage\xff\xd9"
    assert_exact(data)


def test_unsupported_kinds_are_named():
    data = bytearray(make_jpeg(16, 16, quality=60))
    sof = data.index(b"\xff\xc0")
    for marker, word in ((0xC9, "arithmetic"), (0xC3, "lossless"), (0xC5, "hierarchical")):
        bad = bytearray(data)
        bad[sof + 1] = marker
        with pytest.raises(UnsupportedJpeg, match=word):
            parse(bytes(bad))
    bad = bytearray(data)
    bad[sof + 4] = 12  # precision
    with pytest.raises(UnsupportedJpeg, match="12-bit"):
        parse(bytes(bad))


def test_from_parts_uses_coefficient_planes_in_place():
    data = make_jpeg(61, 43, seed=2, quality=80, subsampling=2, progressive=True)
    img = parse(data)
    header, layout = to_parts(img)
    planes = coefficient_planes([c.coefs.shape[:2] for c in img.components])
    assert all(not p.any() for p in planes)
    for plane, comp in zip(planes, img.components):
        plane[...] = comp.coefs
    rebuilt = from_parts(header, layout, planes)
    assert all(np.shares_memory(p, c.coefs) for p, c in zip(planes, rebuilt.components))
    assert rebuilt.encode() == data
    # the same planes in another order, or not contiguous, are copied: still exact or refused
    swapped = [planes[0].copy(), *planes[1:]]
    assert not np.shares_memory(from_parts(header, layout, swapped).components[0].coefs, planes[0])
    assert from_parts(header, layout, swapped).encode() == data
    strided = [np.asfortranarray(p) for p in planes]
    assert from_parts(header, layout, strided).encode() == data
