"""Coefficient format version 2: bands coded in parallel threads, band geometry, hint_fn, damage."""

import itertools

import numpy as np
import pytest

from jpeg_fixtures import make_jpeg
from mlzip import jpeg
from mlzip.coder import api, bands, decode_coefficients, encode_coefficients
from mlzip.coder.classic import STRONGEST
from mlzip.errors import CorruptMember

Q = np.arange(1, 65, dtype=np.uint16)
S444, S422, S420, S440 = [(1, 1)] * 3, [(2, 1), (1, 1), (1, 1)], [(2, 2), (1, 1), (1, 1)], [(1, 2), (1, 1), (1, 1)]


def _random(shapes, seed=0, lo=-6, hi=7):
    rng = np.random.default_rng(seed)
    return [(rng.integers(lo, hi, (by, bx, 64)) * (rng.random((by, bx, 64)) < 0.3)).astype(np.int16)
            for by, bx in shapes]


def _round_trip(coefs, sampling, threads=(1, 2, 3), **kw):
    """Encodes with each thread count (the bytes must agree), decodes with each; returns the blob."""
    qts = [Q] * len(coefs)
    blobs = {encode_coefficients(coefs, qts, sampling, threads=t, **kw) for t in threads}
    assert len(blobs) == 1
    blob = blobs.pop()
    dec_kw = {k: v for k, v in kw.items() if k in ("hints", "hint_fn")}
    for t in threads:
        back = decode_coefficients(blob, [c.shape[:2] for c in coefs], qts, sampling, threads=t, **dec_kw)
        for a, b in zip(coefs, back):
            assert np.array_equal(a, b)
    return blob


def _all_starts(m):
    """Every way to cut m MCU rows into bands, up to 4 of them (small m only)."""
    for n in range(1, min(m, 4) + 1):
        for cuts in itertools.combinations(range(1, m), n - 1):
            yield [0, *cuts]


@pytest.mark.parametrize("sampling,shapes", [
    (S420, [(9, 14), (5, 7), (5, 7)]),   # odd luma: the last MCU row has one luma block row
    (S422, [(5, 14), (5, 7), (5, 7)]),
    (S440, [(9, 5), (5, 5), (5, 5)]),
    (S444, [(4, 3), (4, 3), (4, 3)]),
    (S420, [(8, 6), (2, 3), (2, 3)]),    # chroma shorter than its share: later bands have none
    (S444, [(2, 4), (6, 4), (6, 4)]),    # luma shorter than chroma: bands without a luma guide
    ([(1, 1)], [(6, 2)]),
])
def test_every_band_split_round_trips(sampling, shapes):
    coefs = _random(shapes, seed=len(shapes[0]) + shapes[0][0])
    m = bands.mcu_rows(shapes, sampling)
    sizes = {}
    for starts in _all_starts(m):
        blob = _round_trip(coefs, sampling, band_starts=starts)
        assert bool(blob[0] & api.FLAG_BANDS) == (len(starts) > 1)
        sizes[tuple(starts)] = len(blob)
    assert len(set(sizes.values())) > 1  # the split is really used


@pytest.mark.parametrize("grid", [(1, 1), (4000, 1), (1, 4000), (300, 2)])
@pytest.mark.parametrize("fill", ["zeros", "max", "min", "random"])
def test_extreme_planes_in_bands(grid, fill):
    rng = np.random.default_rng(1)
    shape = (*grid, 64)
    plane = {"zeros": np.zeros(shape), "max": np.full(shape, 32767), "min": np.full(shape, -32768),
             "random": rng.integers(-32768, 32768, shape)}[fill].astype(np.int16)
    starts = [0, grid[0] // 3, 2 * grid[0] // 3] if grid[0] >= 3 else [0]
    _round_trip([plane], [(1, 1)], band_starts=starts)


@pytest.mark.parametrize("sampling,shapes", [
    (S420, [(9, 14), (5, 7), (5, 7)]),
    (S444, [(2, 4), (6, 4), (6, 4)]),    # luma shorter than chroma: bands without a luma guide
])
@pytest.mark.parametrize("strength", [1, 2, 7, 9])  # STRONG, STRONGEST, STRONGEST2 (the default's), ULTRA4 (levels 7-8)
def test_strong_models_in_bands(sampling, shapes, strength):
    """The strong models read the band's rows of luma and of the previous plane and keep their
    mixer weights per band: same bytes with any thread count, every split decodes."""
    coefs = _random(shapes, seed=strength)
    for starts in _all_starts(bands.mcu_rows(shapes, sampling)):
        blob = _round_trip(coefs, sampling, band_starts=starts, strength=strength)
        assert blob[0] >> 4 == api.FORMAT_VERSION + strength


@pytest.mark.parametrize("subsampling", [0, 1, 2])
@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("size", [(61, 43), (130, 97), (17, 200)])
def test_generated_jpegs_round_trip_in_bands(subsampling, progressive, size):
    img = jpeg.parse(make_jpeg(*size, seed=subsampling, quality=85, subsampling=subsampling,
                               progressive=progressive))
    header, layout = jpeg.to_parts(img)
    info = jpeg.describe(header, layout)
    coefs = [c.coefs for c in img.components]
    sampling = [(c.h, c.v) for c in info]
    m = bands.mcu_rows([c.shape[:2] for c in coefs], sampling)
    for starts in ([0], [0, m // 2], [0, 1, m - 1]):
        if len(set(starts)) == len(starts) and starts[-1] < m:
            _round_trip(coefs, sampling, threads=(1, 2), band_starts=starts)


def test_gray_and_cmyk_jpegs_in_bands():
    for mode in ("L", "CMYK"):
        img = jpeg.parse(make_jpeg(70, 90, seed=3, mode=mode, quality=90))
        info = jpeg.describe(*jpeg.to_parts(img))
        _round_trip([c.coefs for c in img.components], [(c.h, c.v) for c in info], band_starts=[0, 4, 7])


def test_small_images_are_one_band_with_version_1_stream():
    coefs = _random([(4, 4), (2, 2), (2, 2)])
    blob = _round_trip(coefs, S420)
    assert blob[0] >> 4 == 2 and not blob[0] & api.FLAG_BANDS
    assert bands.choose(coefs, S420) == [0]


def test_band_choice_balances_work_and_grows_with_size():
    assert [bands.band_count(n) for n in (0, bands.MIN_BANDED_BLOCKS - 1, bands.MIN_BANDED_BLOCKS)] == [1, 1, 2]
    assert bands.band_count(bands.FOUR_BANDS_BLOCKS - 1) == 2 and bands.band_count(bands.FOUR_BANDS_BLOCKS) == 4
    assert bands.band_count(4 * bands.FOUR_BANDS_BLOCKS) == 8
    assert bands.band_count(1 << 40) == bands.MAX_BANDS
    # a plane whose top half is empty: the cut lands well below the middle
    plane = np.zeros((256, 128, 64), np.int16)
    plane[128:, :, :20] = 3
    starts = bands.choose([plane], [(1, 1)])
    assert len(starts) == 2 and 160 < starts[1] < 230
    assert bands.choose([plane[:1]], [(1, 1)]) == [0]  # one MCU row cannot be split


def test_bands_chosen_by_size_round_trip(monkeypatch):
    monkeypatch.setattr(bands, "MIN_BANDED_BLOCKS", 64)
    coefs = _random([(20, 10), (10, 5), (10, 5)], seed=5)
    blob = _round_trip(coefs, S420)
    assert blob[0] & api.FLAG_BANDS


def test_best_level_codes_one_band(monkeypatch):
    monkeypatch.setattr(bands, "MIN_BANDED_BLOCKS", 64)
    coefs = _random([(20, 10), (10, 5), (10, 5)], seed=6)
    for level in (api.ONE_BAND_LEVEL - 1, api.ONE_BAND_LEVEL):
        blob = _round_trip(coefs, S420, level=level, strength=STRONGEST)
        assert bool(blob[0] & api.FLAG_BANDS) == (level < api.ONE_BAND_LEVEL)


def test_every_level_but_the_best_bands_from_the_same_size(monkeypatch):
    monkeypatch.setattr(bands, "MIN_BANDED_BLOCKS", 64)
    small = _random([(6, 4), (3, 2), (3, 2)], seed=8)  # 48 blocks
    coefs = _random([(20, 10), (10, 5), (10, 5)], seed=7)  # 300 blocks
    for level in (1, 3, 4, 6, 7):
        blob = _round_trip(coefs, S420, level=level, strength=api.strength_for_level(level))
        assert blob[0] & api.FLAG_BANDS
        blob = _round_trip(small, S420, level=level, strength=api.strength_for_level(level))
        assert not blob[0] & api.FLAG_BANDS


def test_row_work_counts_blocks_and_non_zeros():
    plane = np.zeros((4, 3, 64), np.int16)
    plane[1, 0, :5] = 1
    plane[3, 2, 7] = -2
    work = np.zeros(2, np.int64)
    bands._add_row_work(plane.reshape(4, -1), 2, work)  # MCU row = two block rows
    assert work.tolist() == [3 + 3 + 5, 3 + 3 + 1]


def test_threads_setting(monkeypatch):
    monkeypatch.setenv(bands.THREADS_ENV, "3")
    assert bands.thread_count(None, 8) == 3 and bands.thread_count(None, 2) == 2
    assert bands.thread_count(5, 8) == 5
    monkeypatch.setenv(bands.THREADS_ENV, "many")
    assert bands.thread_count(None, 1) == 1
    with pytest.raises(ValueError):
        bands.thread_count(0, 2)


def test_bad_band_starts_are_rejected():
    coefs = _random([(4, 4)])
    for starts in ([1], [0, 0], [0, 4], [0, 2, 1]):
        with pytest.raises(ValueError):
            encode_coefficients(coefs, [Q], [(1, 1)], band_starts=starts)


# --- hints ----------------------------------------------------------------------------------------

def _hint_from_luma(c, planes):
    """Chroma hints from the complete luma plane (what a learned model would do)."""
    if c == 0:
        return None
    luma = planes[0]
    level = np.minimum(np.count_nonzero(luma, axis=2) // 4, 11).astype(np.uint8)
    by, bx = luma.shape[0] // 2, luma.shape[1] // 2
    return np.repeat(level[: 2 * by : 2, : 2 * bx : 2, None], 64, axis=2)


def test_hint_fn_sees_the_same_planes_when_encoding_and_decoding():
    coefs = _random([(8, 8), (4, 4), (4, 4)], seed=9)
    calls = {"enc": [], "dec": []}

    def recorder(side):
        def fn(c, planes):
            calls[side].append((c, [p.tobytes() for p in planes]))
            return _hint_from_luma(c, planes)
        return fn

    qts = [Q] * 3
    blob = encode_coefficients(coefs, qts, S420, hint_fn=recorder("enc"), band_starts=[0, 2], threads=2)
    back = decode_coefficients(blob, [c.shape[:2] for c in coefs], qts, S420, hint_fn=recorder("dec"), threads=2)
    assert all(np.array_equal(a, b) for a, b in zip(coefs, back))
    assert calls["enc"] == calls["dec"] and [c for c, _ in calls["enc"]] == [0, 1, 2]
    assert calls["enc"][2][1][0] == coefs[0].tobytes() and len(calls["enc"][2][1]) == 2
    assert blob != encode_coefficients(coefs, qts, S420, band_starts=[0, 2])  # the hints were used
    with pytest.raises(CorruptMember):  # the blob says hints: decoding without them is refused
        decode_coefficients(blob, [c.shape[:2] for c in coefs], qts, S420)


def test_hint_list_with_none_entries():
    coefs = _random([(6, 6), (6, 6)], seed=4)
    hint = np.random.default_rng(2).integers(0, 12, (6, 6, 64)).astype(np.uint8)
    _round_trip(coefs, [(1, 1)] * 2, hints=[None, hint], band_starts=[0, 3])
    with pytest.raises(ValueError):
        encode_coefficients(coefs, [Q] * 2, [(1, 1)] * 2, hints=[None, hint], hint_fn=_hint_from_luma)
    with pytest.raises(ValueError):
        encode_coefficients(coefs, [Q] * 2, [(1, 1)] * 2, hint_fn=lambda c, p: np.zeros((2, 2, 64), np.uint8))


# --- damage ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def banded():
    coefs = _random([(6, 8), (3, 4), (3, 4)], seed=11)
    return coefs, encode_coefficients(coefs, [Q] * 3, S420, band_starts=[0, 1, 2])


def _decode(blob, coefs):
    return decode_coefficients(blob, [c.shape[:2] for c in coefs], [Q] * 3, S420)


def test_banded_blob_damage_is_detected(banded):
    coefs, blob = banded
    assert blob[0] & api.FLAG_BANDS
    rng = np.random.default_rng(3)
    for pos in list(range(12)) + list(rng.integers(0, len(blob), 60)):
        bad = bytearray(blob)
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        with pytest.raises(CorruptMember):
            _decode(bytes(bad), coefs)
    for cut in range(len(blob)):
        with pytest.raises(CorruptMember):
            _decode(blob[:cut], coefs)
    with pytest.raises(CorruptMember):
        _decode(blob + b"\0", coefs)


def test_band_fields_out_of_range_are_corrupt(banded):
    coefs, blob = banded
    body = blob[5:]
    for fields in (b"\x00", b"\x03\x01\x01\x01", b"\x01\x00", b"\x01\x03", b"\x02\x01\xff\xff\xff\xff\x0f",
                   b"\xff" * 12):
        with pytest.raises(CorruptMember, match="band"):  # refused by the field checks, before decoding
            _decode(blob[:5] + fields + body[3:], coefs)


def test_version_1_blob_with_the_bands_flag_is_corrupt(banded):
    coefs, blob = banded
    with pytest.raises(CorruptMember):
        _decode(bytes([0x10 | (blob[0] & 0xF)]) + blob[1:], coefs)


def test_frozen_banded_file_is_banded():
    """tests/frozen/classic-v2-bands.mlz (decoded with the other frozen files) really has bands."""
    from pathlib import Path

    from mlzip import container

    data = (Path(__file__).parent / "frozen" / "classic-v2-bands.mlz").read_bytes()
    ((_, sections),) = list(container.split_members(data))
    coder_blob = bytes(sections[2])
    assert coder_blob[0] >> 4 == 2 and coder_blob[0] & api.FLAG_BANDS


def test_large_jpeg_is_banded_through_the_api():
    from mlzip import api as mlzip_api
    from mlzip import container

    data = make_jpeg(1400, 1500, seed=6, quality=90, subsampling=2)  # 49k blocks: two bands
    member = mlzip_api.compress(data)
    assert mlzip_api.decompress(member) == data
    ((_, sections),) = list(container.split_members(member))
    assert bytes(sections[2])[0] & api.FLAG_BANDS


def test_the_band_kernel_releases_the_gil():
    from mlzip.coder import classic

    assert classic.code_plane.targetoptions.get("nogil")
