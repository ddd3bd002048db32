"""Round trips of mlzip.coder on generated coefficient images and Pillow JPEGs."""

import os
import subprocess
import sys

import numpy as np
import pytest

from mlzip.coder import api, decode_coefficients, encode_coefficients
from mlzip.errors import CorruptMember

SAMPLING = {"444": [(1, 1), (1, 1), (1, 1)], "422": [(2, 1), (1, 1), (1, 1)],
            "420": [(2, 2), (1, 1), (1, 1)]}


def _round_trip(coefs, qts, sampling, **kw):
    blob = encode_coefficients(coefs, qts, sampling, **kw)
    back = decode_coefficients(blob, [c.shape[:2] for c in coefs], qts, sampling,
                               hints=kw.get("hints"))
    assert len(back) == len(coefs)
    for a, b in zip(coefs, back):
        assert b.dtype == np.int16 and b.shape == a.shape
        assert np.array_equal(a, b)
    return blob


def _planes(shapes, fill):
    return [np.ascontiguousarray(fill(s + (64,))).astype(np.int16) for s in shapes]


def _q(n, step=1):
    return [np.full(64, step, np.uint16) for _ in range(n)]


def _shapes(by, bx, sampling):
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    return [(max(1, by * v // vmax), max(1, bx * h // hmax)) for h, v in sampling]


RNG = np.random.default_rng(0)
FILLS = {
    "zeros": lambda s: np.zeros(s),
    "random_small": lambda s: RNG.integers(-3, 4, s),
    "random_full": lambda s: RNG.integers(-32768, 32768, s),
    "max": lambda s: np.full(s, 32767),
    "min": lambda s: np.full(s, -32768),
    "alternating_extremes": lambda s: np.where(RNG.random(s) < 0.5, -32768, 32767),
    "checkerboard": lambda s: np.where((np.indices(s).sum(axis=0) % 2) == 0, 1000, -1000),
}


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("grid", [(1, 1), (3, 5), (1, 40), (40, 1)])
def test_extreme_images_round_trip(fill, grid):
    coefs = _planes([grid], FILLS[fill])
    _round_trip(coefs, _q(1), [(1, 1)])


@pytest.mark.parametrize("step", [1, 16, 255, 65535])
def test_extremes_with_any_quantizer(step):
    coefs = _planes([(4, 4)] * 3, FILLS["alternating_extremes"])
    _round_trip(coefs, _q(3, step), SAMPLING["444"])


@pytest.mark.parametrize("layout", sorted(SAMPLING))
def test_subsampled_three_components(layout):
    samp = SAMPLING[layout]
    coefs = _planes(_shapes(6, 8, samp), FILLS["random_small"])
    _round_trip(coefs, [np.arange(1, 65, dtype=np.uint16)] * 3, samp)


@pytest.mark.parametrize("n", [1, 4])
def test_gray_and_cmyk(n):
    coefs = _planes([(5, 7)] * n, FILLS["random_small"])
    _round_trip(coefs, _q(n, 3), [(1, 1)] * n)


@pytest.mark.slow
def test_long_thin_grids():
    for grid in [(4000, 1), (1, 4000)]:
        _round_trip(_planes([grid], FILLS["random_full"]), _q(1), [(1, 1)])
        _round_trip(_planes([grid], FILLS["zeros"]), _q(1), [(1, 1)])


def test_long_thin_grid_quick():
    _round_trip(_planes([(4000, 1)], FILLS["random_small"]), _q(1, 2), [(1, 1)])


def test_empty_component_list_and_empty_grid():
    _round_trip([], [], [])
    _round_trip([np.zeros((0, 3, 64), np.int16)], _q(1), [(1, 1)])


def test_zeros_compress_to_almost_nothing():
    blob = _round_trip(_planes([(100, 100)], FILLS["zeros"]), _q(1), [(1, 1)])
    assert len(blob) < 200


def test_hints_round_trip_and_are_required():
    coefs = _planes([(6, 6)] * 2, FILLS["random_small"])
    hints = [RNG.integers(0, 12, (6, 6, 64)).astype(np.uint8) for _ in range(2)]
    blob = _round_trip(coefs, _q(2), [(1, 1)] * 2, hints=hints)
    with pytest.raises(CorruptMember):
        decode_coefficients(blob, [(6, 6)] * 2, _q(2), [(1, 1)] * 2)
    plain = encode_coefficients(coefs, _q(2), [(1, 1)] * 2)
    with pytest.raises(CorruptMember):
        decode_coefficients(plain, [(6, 6)] * 2, _q(2), [(1, 1)] * 2, hints=hints)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        encode_coefficients([np.zeros((2, 2, 64), np.int32)], _q(1), [(1, 1)])
    with pytest.raises(ValueError):
        encode_coefficients([np.zeros((2, 2, 63), np.int16)], _q(1), [(1, 1)])
    with pytest.raises(ValueError):
        encode_coefficients([np.zeros((2, 2, 64), np.int16)], _q(2), [(1, 1)])
    with pytest.raises(ValueError):
        encode_coefficients([np.zeros((2, 2, 64), np.int16)], _q(1), [(1, 1)], level=0)


def test_every_level_round_trips():
    coefs = _planes([(3, 3)], FILLS["random_small"])
    blobs = {_round_trip(coefs, _q(1), [(1, 1)], level=level) for level in range(1, 10)}
    assert len(blobs) == 1  # format version 1 has one setting


# --- real JPEG coefficients (Pillow writes, jpeglib reads) ---------------------------------------

def _photo_like(h, w, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(x / 17.0) * np.cos(y / 23.0) + 30 * np.sin((x + y) / 7.0)
    img = np.stack([base, base[::-1], base[:, ::-1]], axis=-1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _jpeg_coefficients(tmp_path, quality, subsampling, mode="RGB", size=(75, 101)):
    jpeglib = pytest.importorskip("jpeglib")
    from PIL import Image

    img = Image.fromarray(_photo_like(*size)).convert(mode)
    path = tmp_path / f"q{quality}_{subsampling}_{mode}.jpg"
    kw = {"subsampling": subsampling} if mode == "RGB" else {}
    img.save(path, quality=quality, **kw)
    im = jpeglib.read_dct(str(path))
    planes = [im.Y] + ([im.Cb, im.Cr] if im.Cb is not None else [])
    if getattr(im, "has_black", False):
        planes.append(im.K)
    coefs = [np.ascontiguousarray(p.reshape(p.shape[0], p.shape[1], 64), np.int16) for p in planes]
    qts = [im.qt[im.quant_tbl_no[i]].reshape(64).astype(np.uint16) for i in range(len(coefs))]
    samp = [tuple(int(v) for v in im.samp_factor[i]) for i in range(len(coefs))]
    return coefs, qts, samp, path.stat().st_size


@pytest.mark.parametrize("quality", [1, 50, 100])
@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_pillow_jpegs_round_trip(tmp_path, quality, subsampling):
    coefs, qts, samp, size = _jpeg_coefficients(tmp_path, quality, subsampling)
    blob = _round_trip(coefs, qts, samp)
    assert len(blob) < size  # the coefficients cost less than the whole JPEG


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_pillow_gray_and_cmyk(tmp_path, mode):
    coefs, qts, samp, _ = _jpeg_coefficients(tmp_path, 85, 0, mode=mode)
    assert len(coefs) == (1 if mode == "L" else 4)
    _round_trip(coefs, qts, samp)


@pytest.mark.slow
def test_large_photo_round_trip(tmp_path):
    for quality in (75, 95):
        coefs, qts, samp, size = _jpeg_coefficients(tmp_path, quality, 2, size=(1200, 1600))
        blob = _round_trip(coefs, qts, samp)
        assert len(blob) < 0.85 * size


# --- damage ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_blob():
    rng = np.random.default_rng(7)
    coefs = _planes([(8, 9)] * 3, lambda s: rng.integers(-3, 4, s))
    return coefs, encode_coefficients(coefs, _q(3, 2), SAMPLING["444"])


def _decode(blob, coefs):
    return decode_coefficients(blob, [c.shape[:2] for c in coefs], _q(3, 2), SAMPLING["444"])


@pytest.mark.parametrize("cut", [0, 1, 4, 5, 10, -1])
def test_truncated_blob_is_corrupt(sample_blob, cut):
    coefs, blob = sample_blob
    with pytest.raises(CorruptMember):
        _decode(blob[:cut] if cut >= 0 else blob[:-1], coefs)


def test_flipped_bits_are_corrupt(sample_blob):
    coefs, blob = sample_blob
    rng = np.random.default_rng(5)
    for pos in [0, 1, 3, 6, len(blob) // 2, len(blob) - 1] + list(rng.integers(0, len(blob), 100)):
        bad = bytearray(blob)
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        with pytest.raises(CorruptMember):
            _decode(bytes(bad), coefs)


def test_garbage_and_appended_bytes_are_corrupt(sample_blob):
    coefs, blob = sample_blob
    for bad in [blob + b"\0", blob + b"xyz", bytes(len(blob)), b"\xff" * 100, b"\x10" + bytes(50)]:
        with pytest.raises(CorruptMember):
            _decode(bad, coefs)


@pytest.mark.parametrize("level", [1, 6, 9])
@pytest.mark.parametrize("damage", ["cut", "zeros"])
def test_decoder_stops_at_the_damage(level, damage, monkeypatch):
    """A decoder that meets damage stops at the next block (the rest stays zero) instead of decoding
    garbage to the end before the checksum says no: a cut stream is read far past its end; a stream
    of zeros decodes every decision as 1, a value outside int16 at the first coefficient."""
    coefs = _planes([(24, 24), (12, 12), (12, 12)], FILLS["random_small"])
    strength = api.strength_for_level(level)
    blob = encode_coefficients(coefs, _q(3, 2), SAMPLING["420"], level=level, strength=strength, threads=1)
    bad = blob[: len(blob) // 3] if damage == "cut" else blob[:5] + bytes(len(blob) - 5)
    seen = []
    code_plane = api.classic.code_plane

    def spy(plane, q, hints, use_hints, guide, use_guide, set_base, rc, out, *rest):
        result = code_plane(plane, q, hints, use_hints, guide, use_guide, set_base, rc, out, *rest)
        seen.append((int(rc[api.rangecoder.DAMAGED]), int(rc[api.rangecoder.POS]) - out.size, plane.copy()))
        return result

    monkeypatch.setattr(api.classic, "code_plane", spy)
    with pytest.raises(CorruptMember):
        decode_coefficients(bad, [c.shape[:2] for c in coefs], _q(3, 2), SAMPLING["420"], threads=1)
    assert [damaged for damaged, _, _ in seen] == [1, 1, 1]
    luma, overrun = seen[0][2], seen[0][1]
    assert not luma[-4:].any() and coefs[0][-4:].any()  # luma stopped early
    assert not any(plane.any() for _, _, plane in seen[1:])  # chroma stopped at its first block
    if damage == "zeros":
        assert overrun < 0 and luma[0, 0].any() and not luma[0, 1:].any() and not luma[1:].any()
    else:
        assert overrun > api.rangecoder.OVERRUN_BYTES


def test_wrong_shapes_are_corrupt(sample_blob):
    coefs, blob = sample_blob
    with pytest.raises(CorruptMember):
        decode_coefficients(blob, [(8, 8)] * 3, _q(3, 2), SAMPLING["444"])


# --- determinism ----------------------------------------------------------------------------------

_THREADS_SCRIPT = """
import sys, hashlib, numpy as np, numba
numba.set_num_threads(int(sys.argv[1]))
from mlzip.coder import encode_coefficients
rng = np.random.default_rng(3)
coefs = [rng.integers(-50, 51, (20, 30, 64)).astype(np.int16) for _ in range(3)]
qts = [np.arange(1, 65, dtype=np.uint16)] * 3
print(hashlib.sha256(encode_coefficients(coefs, qts, [(1, 1)] * 3)).hexdigest())
"""


def test_same_bytes_with_one_and_two_threads():
    digests = [subprocess.run([sys.executable, "-c", _THREADS_SCRIPT, str(n)], capture_output=True,
                              text=True, check=True, env={**os.environ, "NUMBA_NUM_THREADS": "2",
                                                          "PYTHONPATH": "."}).stdout
               for n in (1, 2)]
    assert digests[0] == digests[1] and len(digests[0].strip()) == 64


def test_blob_without_prior_round_trips(monkeypatch):
    from mlzip.coder import api

    coefs = _planes([(5, 6)] * 3, FILLS["random_small"])
    with_prior = encode_coefficients(coefs, _q(3, 4), SAMPLING["444"])
    monkeypatch.setattr(api, "USE_PRIOR", False)
    flat = _round_trip(coefs, _q(3, 4), SAMPLING["444"])
    assert flat[0] & api.FLAG_PRIOR == 0 and with_prior[0] & api.FLAG_PRIOR
    assert flat != with_prior


def test_prior_pack_round_trip():
    from mlzip.coder import prior, rangecoder

    model = rangecoder.new_contexts(1000)
    model[::7] = (40000 << 8) | 200
    back = prior.unpack(prior.pack(model), 1000)
    assert np.array_equal(back[1::7], model[1::7])  # untouched contexts stay at 1/2, count 0
    assert np.all((back[::7] >> 8) >> 8 == 40000 >> 8) and np.all(back[::7] & 0xFF == prior.PRIOR_COUNT)


def test_damaged_prior_file_is_a_model_error(monkeypatch, tmp_path):
    from mlzip.coder import prior
    from mlzip.errors import ModelError

    bad = tmp_path / prior.CLASSIC
    bad.write_bytes((prior.PRIOR_DIR / prior.CLASSIC).read_bytes()[:-1] + b"\0")
    monkeypatch.setattr(prior, "PRIOR_DIR", tmp_path)
    prior._load.cache_clear()
    api.forget_starting_contexts()
    try:
        with pytest.raises(ModelError):
            encode_coefficients(_planes([(1, 1)], FILLS["zeros"]), _q(1), [(1, 1)])
    finally:
        prior._load.cache_clear()
        api.forget_starting_contexts()


def test_hints_for_some_components_only():
    """A model may hint chroma only: luma (None) keeps the classic buckets, same bytes as no hints."""
    coefs = [RNG.integers(-3, 4, (6, 6, 64)).astype(np.int16) for _ in range(2)]
    chroma = RNG.integers(0, 12, (6, 6, 64)).astype(np.uint8)
    blob = _round_trip(coefs, _q(2), [(1, 1)] * 2, hints=[None, chroma])
    classic_only = encode_coefficients(coefs, _q(2), [(1, 1)] * 2)
    assert blob != classic_only
    _round_trip(coefs, _q(2), [(1, 1)] * 2, hints=[None, None])


@pytest.mark.parametrize("strength", [0, 1, 2])
def test_bits_per_part_are_measured_without_changing_the_bytes(strength):
    rng = np.random.default_rng(7)
    coefs = [rng.integers(-6, 7, (12, 16, 64)).astype(np.int16) for _ in range(3)]
    coefs[0][..., 0] = rng.integers(-500, 500, (12, 16))  # noisy DC: a large DC share
    stats = {}
    blob = encode_coefficients(coefs, _q(3), SAMPLING["444"], strength=strength, stats=stats,
                               band_starts=[0, 5])
    assert blob == encode_coefficients(coefs, _q(3), SAMPLING["444"], strength=strength, band_starts=[0, 5])
    assert set(stats) == {"high_ac", "low_ac", "dc"} and all(v > 0 for v in stats.values())
    # the parts add up to the stream (framing bytes and the coders' final bytes aside)
    assert abs(sum(stats.values()) - 8 * len(blob)) < 8 * 32
    # 49 of 63 AC values per block are in the 7x7 part, 14 on the edges
    assert stats["high_ac"] > stats["low_ac"] > 0
    zero_dc = [c.copy() for c in coefs]
    zero_dc[0][..., 0] = 0
    quiet = {}
    encode_coefficients(zero_dc, _q(3), SAMPLING["444"], strength=strength, stats=quiet, band_starts=[0, 5])
    assert quiet["dc"] < stats["dc"]  # noise in DC shows up in the DC part only
    assert abs(quiet["high_ac"] - stats["high_ac"]) < 0.01 * stats["high_ac"]


def _reused_arrays_are_pristine() -> bool:
    pool = api._reused.__dict__.get("arrays", {})
    return bool(pool) and all(np.array_equal(m, api._pristine(kind)) and log[0] == 0 for kind, (m, log) in pool.items())


@pytest.mark.parametrize("strength", [0, 1, 2, 3])
def test_small_images_reuse_contexts_with_the_same_bytes(strength, monkeypatch):
    """Small images start from a reused context array restored through the change log: the bytes
    are those of a fresh copy, the array is pristine after every run, damaged or not."""
    coefs = _planes([(4, 6), (2, 3), (2, 3)], FILLS["random_small"])
    hints = [None] + [RNG.integers(0, 13, (2, 3, 64)).astype(np.uint8)] * 2 if strength == 3 else None
    shapes = [c.shape[:2] for c in coefs]
    reused = [encode_coefficients(coefs, _q(3, 2), SAMPLING["420"], hints=hints, strength=strength) for _ in range(2)]
    assert reused[0] == reused[1] and _reused_arrays_are_pristine()
    decode_coefficients(reused[0], shapes, _q(3, 2), SAMPLING["420"], hints=hints)
    with pytest.raises(CorruptMember):  # a damaged stream: the decoder stops early or the checksum says no
        decode_coefficients(reused[0][:5] + bytes(b ^ 0x5A for b in reused[0][5:]), shapes, _q(3, 2),
                            SAMPLING["420"], hints=hints)
    assert _reused_arrays_are_pristine()
    monkeypatch.setattr(api, "LOG_CAPACITY", 8)  # a log that overflows: the restore copies everything
    api.forget_starting_contexts()
    assert encode_coefficients(coefs, _q(3, 2), SAMPLING["420"], hints=hints, strength=strength) == reused[0]
    assert _reused_arrays_are_pristine()
    monkeypatch.setattr(api, "SMALL_BLOCKS", 0)  # fresh copies
    assert encode_coefficients(coefs, _q(3, 2), SAMPLING["420"], hints=hints, strength=strength) == reused[0]
