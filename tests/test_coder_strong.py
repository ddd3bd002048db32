"""The strong coefficient models (strength 1 to 7): round trips, levels, flags."""

import numpy as np
import pytest

from jpeg_fixtures import make_jpeg
from mlzip import api as mlzip_api
from mlzip.coder import api, decode_coefficients, encode_coefficients, strength_for_level
from mlzip.coder.classic import HINTS_MIXED, HINTS_MIXED2, STRONG, STRONGEST, STRONGEST2, ULTRA, ULTRA2, ULTRA3, ULTRA4
from mlzip.errors import CorruptMember
from test_coder import FILLS, RNG, SAMPLING, _jpeg_coefficients, _planes, _q, _round_trip, _shapes

STRENGTHS = [STRONG, STRONGEST, HINTS_MIXED, ULTRA, ULTRA2, ULTRA3, STRONGEST2, HINTS_MIXED2, ULTRA4]


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("grid", [(1, 1), (3, 5), (1, 40), (40, 1)])
def test_extreme_images_round_trip(strength, fill, grid):
    blob = _round_trip(_planes([grid], FILLS[fill]), _q(1), [(1, 1)], strength=strength)
    assert blob[0] >> 4 == api.FORMAT_VERSION + strength  # the format version names the model


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("step", [1, 16, 255, 65535])
def test_extremes_with_any_quantizer(strength, step):
    for fill in ("random_full", "alternating_extremes", "checkerboard"):
        _round_trip(_planes([(4, 4)] * 2, FILLS[fill]), _q(2, step), [(1, 1)] * 2, strength=strength)


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("layout", sorted(SAMPLING))
def test_subsampled_three_components(strength, layout):
    """Chroma reads the co-located luma block (STRONGEST): every subsampling must agree."""
    coefs = _planes(_shapes(7, 9, SAMPLING[layout]), FILLS["random_small"])
    _round_trip(coefs, _q(3, 3), SAMPLING[layout], strength=strength)


@pytest.mark.parametrize("strength", STRENGTHS)
def test_gray_cmyk_and_hints(strength):
    for n in (1, 4):
        _round_trip(_planes([(5, 4)] * n, FILLS["random_small"]), _q(n, 2), [(1, 1)] * n, strength=strength)
    coefs = _planes([(6, 6)] * 2, FILLS["random_small"])
    hints = [RNG.integers(0, 12, (6, 6, 64)).astype(np.uint8), None]
    _round_trip(coefs, _q(2), [(1, 1)] * 2, hints=hints, strength=strength)


@pytest.mark.parametrize("quality", [1, 50, 100])
@pytest.mark.parametrize("subsampling", [0, 2])
def test_pillow_jpegs_round_trip_and_shrink(tmp_path, quality, subsampling):
    # (sizes against the classic model are a benchmark matter: on this synthetic image they tie)
    coefs, qts, samp, size = _jpeg_coefficients(tmp_path, quality, subsampling, size=(120, 150))
    for strength in STRENGTHS:
        assert len(_round_trip(coefs, qts, samp, strength=strength)) < size


@pytest.mark.parametrize("level", [1, 6, 9])
@pytest.mark.parametrize("args", [dict(quality=75), dict(quality=95, subsampling=0, progressive=True),
                                  dict(quality=30, subsampling=1)], ids=str)
def test_jpegs_round_trip_at_each_strength(level, args):
    data = make_jpeg(61, 43, seed=level, **args)
    assert mlzip_api.decompress(mlzip_api.compress(data, level)) == data


def test_level_mapping():
    assert [strength_for_level(level) for level in range(1, 10)] == [0] * 3 + [STRONG] * 2 + [STRONGEST2] + [ULTRA4] * 3
    with pytest.raises(ValueError):
        strength_for_level(10)
    coefs = _planes([(3, 3)], FILLS["random_small"])
    blobs = [encode_coefficients(coefs, _q(1), [(1, 1)], level=lv, strength=strength_for_level(lv))
             for lv in range(1, 10)]
    assert len(set(blobs[:3])) == 1 and len(set(blobs[3:5])) == 1 and len(set(blobs[6:])) == 1 and len(set(blobs)) == 4
    assert blobs[6][0] >> 4 == api.FORMAT_VERSION + ULTRA4
    assert blobs[5][0] >> 4 == api.FORMAT_VERSION + STRONGEST2
    assert blobs[0] == encode_coefficients(coefs, _q(1), [(1, 1)])  # strength 0 is the default
    # a learned model's hints are mixed from level 6 (9 included); below, they replace buckets as before
    assert ([strength_for_level(level, learned=True) for level in range(1, 10)]
            == [0] * 3 + [STRONG] * 2 + [HINTS_MIXED2] * 4)


@pytest.mark.parametrize("mixing, base", [(HINTS_MIXED, STRONGEST), (HINTS_MIXED2, STRONGEST2)])
def test_mixed_hints_change_the_stream_and_round_trip(mixing, base):
    coefs = _planes([(9, 11)] * 3, FILLS["random_small"])
    hints = [None] + [RNG.integers(0, 13, (9, 11, 64)).astype(np.uint8) for _ in range(2)]
    mixed = _round_trip(coefs, _q(3, 2), [(1, 1)] * 3, hints=hints, strength=mixing)
    replaced = _round_trip(coefs, _q(3, 2), [(1, 1)] * 3, hints=hints, strength=base)
    assert mixed[0] >> 4 == api.FORMAT_VERSION + mixing and mixed[5:] != replaced[5:]
    # without hints HINTS_MIXED(2) codes exactly as STRONGEST(2) (only the version, and so the CRC, differ)
    plain = encode_coefficients(coefs, _q(3, 2), [(1, 1)] * 3, strength=mixing)
    assert plain[5:] == encode_coefficients(coefs, _q(3, 2), [(1, 1)] * 3, strength=base)[5:]
    # decoding a mixed stream without its hints, or as the bucket model, is detected
    with pytest.raises(CorruptMember):
        decode_coefficients(mixed, [(9, 11)] * 3, _q(3, 2), [(1, 1)] * 3)
    as_strongest = bytes([(api.FORMAT_VERSION + base) << 4 | (mixed[0] & 0xF)]) + mixed[1:]
    with pytest.raises(CorruptMember):
        decode_coefficients(as_strongest, [(9, 11)] * 3, _q(3, 2), [(1, 1)] * 3, hints=hints)


def test_unknown_strength_is_refused():
    coefs = _planes([(3, 3)], FILLS["random_small"])
    with pytest.raises(ValueError):
        encode_coefficients(coefs, _q(1), [(1, 1)], strength=api.MAX_STRENGTH + 1)
    blob = encode_coefficients(coefs, _q(1), [(1, 1)], strength=STRONGEST)
    bad = bytes([(api.FORMAT_VERSION + api.MAX_STRENGTH + 1) << 4 | (blob[0] & 0xF)]) + blob[1:]  # no such model
    with pytest.raises(CorruptMember):
        decode_coefficients(bad, [(3, 3)], _q(1), [(1, 1)])
    # the strength is part of the checksummed settings: flipping it is detected
    other = bytes([(api.FORMAT_VERSION + STRONG) << 4 | (blob[0] & 0xF)]) + blob[1:]
    with pytest.raises(CorruptMember):
        decode_coefficients(other, [(3, 3)], _q(1), [(1, 1)])


def test_strong_blob_without_prior_round_trips(monkeypatch):
    coefs = _planes([(5, 6)] * 3, FILLS["random_small"])
    with_prior = encode_coefficients(coefs, _q(3, 4), SAMPLING["444"], strength=STRONG)
    monkeypatch.setattr(api, "USE_PRIOR", False)
    flat = _round_trip(coefs, _q(3, 4), SAMPLING["444"], strength=STRONG)
    assert flat[0] & api.FLAG_PRIOR == 0 and flat != with_prior


@pytest.mark.parametrize("args", [dict(quality=85, subsampling=2), dict(quality=60, subsampling=0),
                                  dict(quality=90, mode="L"), dict(quality=75, subsampling=1)], ids=str)
@pytest.mark.parametrize("size", [(1, 1), (7, 5), (16, 16), (97, 71)])
@pytest.mark.parametrize("strength", [ULTRA, ULTRA2, ULTRA3, STRONGEST2, ULTRA4])
def test_ultra_round_trips_pillow_jpegs(tmp_path, args, size, strength):
    """ULTRA, ULTRA2, ULTRA3, STRONGEST2 (which shares ULTRA3's continuity predictions) and ULTRA4 on Pillow-made
    JPEGs: 4:2:0, 4:4:4 and 4:2:2 colour, grayscale, tiny and odd sizes."""
    jpeglib = pytest.importorskip("jpeglib")
    data = make_jpeg(*size, seed=size[0], **args)
    path = tmp_path / "ultra.jpg"
    path.write_bytes(data)
    im = jpeglib.read_dct(str(path))
    planes = [im.Y] + ([im.Cb, im.Cr] if im.Cb is not None else [])
    coefs = [np.ascontiguousarray(p.reshape(p.shape[0], p.shape[1], 64), np.int16) for p in planes]
    qts = [im.qt[im.quant_tbl_no[i]].reshape(64).astype(np.uint16) for i in range(len(coefs))]
    samp = [tuple(int(v) for v in im.samp_factor[i]) for i in range(len(coefs))]
    blob = _round_trip(coefs, qts, samp, level=9, strength=strength)
    assert blob[0] >> 4 == api.FORMAT_VERSION + strength
    assert mlzip_api.decompress(mlzip_api.compress(data, 9)) == data


def test_ultra_is_smaller_than_strongest_on_a_photo_like_image(tmp_path):
    coefs, qts, samp, _ = _jpeg_coefficients(tmp_path, 90, 2, size=(256, 320))
    strongest = _round_trip(coefs, qts, samp, level=9, strength=STRONGEST)
    ultra = _round_trip(coefs, qts, samp, level=9, strength=ULTRA)
    assert len(ultra) < len(strongest)
    # the 7x7 coefficients' pixel-continuity predictions (ULTRA3) against ULTRA2 without them
    ultra2 = _round_trip(coefs, qts, samp, level=9, strength=ULTRA2)
    assert len(_round_trip(coefs, qts, samp, level=9, strength=ULTRA3)) < len(ultra2)
    # the signs' continuity contexts alone (STRONGEST2) against STRONGEST
    assert len(_round_trip(coefs, qts, samp, level=9, strength=STRONGEST2)) < len(strongest)
    # the APMs (ULTRA4) against ULTRA3 without them
    assert len(_round_trip(coefs, qts, samp, level=9, strength=ULTRA4)) < len(
        _round_trip(coefs, qts, samp, level=9, strength=ULTRA3))
    # and through the levels: 9 (ULTRA4) against 6 (STRONGEST2)
    assert len(encode_coefficients(coefs, qts, samp, level=9, strength=strength_for_level(9))) < len(
        encode_coefficients(coefs, qts, samp, level=6, strength=strength_for_level(6)))


@pytest.mark.parametrize("strength", [ULTRA, ULTRA2, ULTRA3, ULTRA4])
def test_ultra_with_hints_round_trips(strength):
    """ULTRA(2, 3, 4) is not chosen with a learned model, but a caller may give hints: they replace buckets."""
    coefs = _planes([(6, 7)] * 3, FILLS["random_small"])
    hints = [None] + [RNG.integers(0, 13, (6, 7, 64)).astype(np.uint8) for _ in range(2)]
    _round_trip(coefs, _q(3, 2), [(1, 1)] * 3, hints=hints, strength=strength)


def test_continuity_buckets_without_dividing_equal_the_divided_ones():
    """STRONGEST2 buckets its continuity predictions by comparison (_cp_bucket_of); ULTRA3 divides first
    and buckets the quotient: for every positive divisor the two must agree."""
    from mlzip.coder.classic import _cp_bucket, _cp_bucket_of, div_round

    for b in (1, 2, 3, 7, 306, 2896, 2896 * 255, 5792 * 65535):
        for a in list(range(-60 * b, 60 * b + 1, max(b // 8, 1)))[:4000] + [-(1 << 40), 1 << 40, b // 2, -(b // 2)]:
            assert _cp_bucket_of(a, b) == _cp_bucket(div_round(a, b)), (a, b)
