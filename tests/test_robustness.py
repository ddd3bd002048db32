"""mlzip never loses data: round trips of every JPEG flavour and of damaged JPEGs, damaged members,
hostile sizes. The standalone, longer version of the same checks is tools/fuzz_roundtrip.py.

A verdict from `run_case` lists problems: a lost round trip, an exception out of compress, or the JPEG
path needing api's safety net (a non-MlzError out of the coder, or bytes that failed verification).
"""

from __future__ import annotations

import io
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jpeg_fixtures import exif_icc_jpeg, make_jpeg
from mlzip import api, container
from mlzip.errors import CorruptMember, ModelError, UnsupportedJpeg, UnsupportedVersion
from tools import fuzz_roundtrip as fz

# Errors a damaged member may raise (man/mlzip.5, "READING A MEMBER").
DAMAGE_ERRORS = (CorruptMember, UnsupportedVersion, ModelError)
TOLERATED = DAMAGE_ERRORS

FLAVOURS = {
    "q1": dict(quality=1),
    "q100-444": dict(quality=100, subsampling=0),
    "q50-422": dict(quality=50, subsampling=1),
    "q75-420-optimize": dict(quality=75, subsampling=2, optimize=True),
    "progressive": dict(quality=85, progressive=True),
    "progressive-q100": dict(quality=100, progressive=True, subsampling=0),
    "restart-blocks": dict(quality=80, restart_marker_blocks=1),
    "restart-rows": dict(quality=80, restart_marker_rows=1, progressive=True),
    "keep-rgb": dict(quality=90, keep_rgb=True),
    "step1-tables": dict(qtables=[[1] * 64, [1] * 64]),
}
SIZES = [(1, 1), (7, 3), (17, 9), (64, 48)]


def assert_clean(verdict: dict) -> None:
    assert verdict["problems"] == [], verdict


def jpeg_seeds() -> list[bytes]:
    out = [make_jpeg(w, h, seed=i, **args) for i, args in enumerate(FLAVOURS.values()) for w, h in SIZES[2:]]
    out += [make_jpeg(24, 16, mode="L", quality=60), make_jpeg(24, 16, mode="CMYK", quality=70), exif_icc_jpeg()]
    return out


SEEDS = jpeg_seeds()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", FLAVOURS)
def test_pillow_flavours_take_the_jpeg_path_exactly(name, size):
    data = make_jpeg(*size, seed=len(name), **FLAVOURS[name])
    verdict = fz.run_case(data)
    assert_clean(verdict)
    assert verdict["mode"] == "model"


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_gray_cmyk_and_metadata_take_the_jpeg_path(mode):
    for data in (make_jpeg(9, 13, mode=mode, quality=30), make_jpeg(40, 8, mode=mode, progressive=True)):
        verdict = fz.run_case(data)
        assert_clean(verdict)
        assert verdict["mode"] == "model"
    assert fz.run_case(exif_icc_jpeg())["mode"] == "model"


# Huge declared dimensions included: the declared-size rule (mlzip.limits) refuses them before any
# plane is allocated, so they are quick now.
QUICK_MUTATORS = list(fz.MUTATORS)


@given(st.integers(0, 2**32), st.integers(0, len(SEEDS) - 1), st.integers(1, 9))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_jpegs_round_trip(seed, index, level):
    rng = random.Random(seed)
    data = SEEDS[index]
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(QUICK_MUTATORS)(data, rng)
    assert_clean(fz.run_case(data, level=level))


@given(st.integers(0, 2**32), st.integers(0, len(SEEDS) - 1), st.sampled_from([3, 6, 9]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_jpegs_round_trip_with_a_learned_model(seed, index, level):
    """The hinted coder paths (buckets replaced at level 3, mixed from 6) on mutated inputs, their
    members damaged too: exact bytes or a clean error."""
    rng = random.Random(seed)
    data = rng.choice(QUICK_MUTATORS)(SEEDS[index], rng)
    assert_clean(fz.run_case(data, rng.randrange(1 << 30), SEEDS[0], level=level, model="cnn-xs-v1"))


HOSTILE = {
    "garbage-before-soi": lambda d: b"\x00garbage" + d,
    "second-soi": lambda d: b"\xff\xd8" + d,
    "garbage-after-eoi": lambda d: d + b"trailing bytes \xff\xd9\xff",
    "two-images": lambda d: d + d,
    "no-eoi": lambda d: d[:-2],
    "only-header": lambda d: d[: fz.scan_start(d)],
    "soi-only": lambda d: d[:2],
    "soi-eoi": lambda d: b"\xff\xd8\xff\xd9",
    "rst-in-baseline": lambda d: fz.extra_rst(d, random.Random(1)),
    "dri-0": lambda d: fz.set_dri(d, 0),
    "dri-1": lambda d: fz.set_dri(d, 1),
    "dri-65535": lambda d: fz.set_dri(d, 65535),
    "duplicate-segments": lambda d: _each_segment_twice(d),
    "no-dht": lambda d: _without(d, 0xC4),
    "no-dqt": lambda d: _without(d, 0xDB),
    "no-sof": lambda d: _without(d, 0xC0),
    "zero-height": lambda d: fz.set_dimensions(d, 0, 16),
    "sampling-4x4": lambda d: fz.set_sampling(d, 0, 0x44),
    "sampling-0": lambda d: fz.set_sampling(d, 0, 0x00),
    "scan-of-ff": lambda d: d[: fz.scan_start(d)] + b"\xff" * 300 + b"\xff\xd9",
    "scan-of-ff00": lambda d: d[: fz.scan_start(d)] + b"\xff\x00" * 300 + b"\xff\xd9",
    "eoi-in-scan": lambda d: d[: fz.scan_start(d) + 5] + b"\xff\xd9" + d[fz.scan_start(d) + 5 :],
}


def _each_segment_twice(data: bytes) -> bytes:
    out = data
    for start, end, _ in reversed(fz.header_segments(data)[:-1]):
        out = out[:end] + data[start:end] + out[end:]
    return out


def _without(data: bytes, marker: int) -> bytes:
    for start, end, code in fz.header_segments(data):
        if code == marker:
            return data[:start] + data[end:]
    return data


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("base", ["baseline", "progressive", "restarts"])
def test_hostile_structures_round_trip(name, base):
    args = {"baseline": {}, "progressive": {"progressive": True}, "restarts": {"restart_marker_blocks": 2}}[base]
    data = HOSTILE[name](make_jpeg(40, 24, seed=5, quality=70, **args))
    assert_clean(fz.run_case(data))


def crafted_gray(dc_values: list[int], ac_values: list[int] | None = None) -> bytes:
    """A one-row grayscale baseline JPEG written by hand, so coefficients can be anything a stream can
    say: DC differences and one AC value per block of any category 0-15 (past what 8-bit allows), steps 1.
    Both tables give every symbol a 5-bit code (no all-ones code, as libjpeg demands)."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body

    def value_bits(v: int) -> str:
        size = abs(v).bit_length()
        return format(v if v > 0 else v + (1 << size) - 1, f"0{size}b") if size else ""

    five_bit_codes = bytes([0, 0, 0, 0, 16] + [0] * 11)
    header = b"\xff\xd8" + segment(0xDB, b"\x00" + bytes([1] * 64))
    header += segment(0xC0, b"\x08\x00\x08" + (8 * len(dc_values)).to_bytes(2, "big") + b"\x01\x01\x11\x00")
    header += segment(0xC4, b"\x00" + five_bit_codes + bytes(range(16)))  # DC: category c has code c
    header += segment(0xC4, b"\x10" + five_bit_codes + bytes(range(16)))  # AC: EOB 0, run 0 category c
    header += segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    bits, previous = [], 0
    for i, dc in enumerate(dc_values):
        bits += [format(abs(dc - previous).bit_length(), "05b"), value_bits(dc - previous)]
        previous = dc
        ac = ac_values[i] if ac_values else 0
        if ac:
            bits += [format(abs(ac).bit_length(), "05b"), value_bits(ac)]
        bits.append("00000")  # EOB
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    scan = bytes(int(stream[i : i + 8], 2) for i in range(0, len(stream), 8)).replace(b"\xff", b"\xff\x00")
    return header + scan + b"\xff\xd9"


CRAFTED = {
    "dc-sum-past-int16": ([2047 * i for i in range(20)], None),
    "dc-sum-below-int16": ([-2047 * i for i in range(20)], None),
    "dc-category-15": ([16383, -16384, 16383, 0], None),
    "ac-category-15": ([0, 0, 0, 0], [32767, -32767, 16384, 1]),
    "plain": ([0, 10, 20, -5], [3, 0, -1, 0]),
}


@pytest.mark.parametrize("name", CRAFTED)
def test_extreme_coefficients_round_trip(name):
    data = crafted_gray(*CRAFTED[name])
    verdict = fz.run_case(data)
    assert_clean(verdict)
    assert verdict["mode"] == "model"


def test_crafted_jpeg_is_a_real_jpeg():
    from PIL import Image

    img = Image.open(io.BytesIO(crafted_gray(*CRAFTED["plain"])))
    img.load()
    assert img.size == (32, 8)


# ---------------------------------------------------------------- damaged members


def small_members() -> list[tuple[bytes, bytes]]:
    originals = [make_jpeg(24, 16, seed=3, quality=80), make_jpeg(16, 16, seed=4, progressive=True, mode="L")]
    originals += [b"text " * 40, bytes(range(200))]
    return [(d, api.compress(d)) for d in originals]


MEMBERS = small_members()


def decode_damaged(bad: bytes, original: bytes, limit_s: float = 5.0) -> str:
    """Decode a damaged stream: a TOLERATED error or the exact original; fast either way."""
    start = time.perf_counter()
    try:
        out = api.decompress(bad)
    except TOLERATED as exc:
        result = type(exc).__name__
    else:
        assert out == original, "damaged member decoded to other bytes"
        result = "decoded"
    assert time.perf_counter() - start < limit_s
    return result


def test_member_modes_cover_the_jpeg_path():
    assert [api.inspect(m)[0].mode for _, m in MEMBERS] == ["model", "model", "zstd", "stored"]


@pytest.mark.parametrize("index", range(len(MEMBERS)))
def test_every_byte_altered_is_caught(index):
    original, member = MEMBERS[index]
    caught = 0
    for pos in range(len(member)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(member)
            bad[pos] ^= mask
            caught += decode_damaged(bytes(bad), original) != "decoded"
    assert caught >= 3 * len(member) - 4  # a flipped unused bit may still decode exactly


def test_damaged_jpeg_header_section_is_corruption():
    original, member = MEMBERS[1]
    ((head, sections),) = container.split_members(member)
    for pos in range(head.header_size, head.header_size + len(sections[0])):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(member)
            bad[pos] ^= mask
            assert decode_damaged(bytes(bad), original) != "UnsupportedJpeg"


@pytest.mark.parametrize("index", range(len(MEMBERS)))
def test_every_truncation_is_caught(index):
    original, member = MEMBERS[index]
    for cut in range(len(member)):  # cut 0: an empty file is refused too
        assert decode_damaged(member[:cut], original) == "CorruptMember"
    assert decode_damaged(member, original) == "decoded"


def test_sections_swapped_between_members_are_caught():
    jpegs = [m for m in MEMBERS if api.inspect(m[1])[0].mode == "model"]
    extra = [make_jpeg(24, 16, seed=9, quality=80), make_jpeg(24, 16, seed=3, quality=81)]
    jpegs += [(d, api.compress(d)) for d in extra]
    for original, member in jpegs:
        ((head, sections),) = container.split_members(member)
        for _, other in jpegs:
            if other == member:
                continue
            ((_, other_sections),) = container.split_members(other)
            for i in range(3):
                swapped = [bytes(s) for s in sections]
                swapped[i] = bytes(other_sections[i])
                if swapped == [bytes(s) for s in sections]:
                    continue
                assert decode_damaged(fz.member_claiming(head, swapped), original) != "decoded"


def test_members_spliced_from_other_files():
    rng = random.Random(7)
    for _ in range(200):
        (a, ma), (b, mb) = rng.sample(MEMBERS, 2)
        bad = fz.splice(ma, mb, rng)
        try:
            out = api.decompress(bad)
        except TOLERATED:
            continue
        assert out in (a, b, a + b, b""), "a splice decoded to other bytes"


@given(st.integers(0, 2**32))
@settings(max_examples=60, deadline=None)
def test_random_damage_never_escapes(seed):
    rng = random.Random(seed)
    (original, member), (other, other_member) = rng.sample(MEMBERS, 2)
    bad, how = fz.damage_member(member, other_member, rng)
    try:
        out = api.decompress(bad)
    except TOLERATED:
        return
    assert out in (original, other, original + other, b""), how


# ---------------------------------------------------------------- sizes


def test_compress_never_expands_past_stored():
    data = fz.set_dimensions(make_jpeg(16, 16, quality=75), 4000, 4000)
    member = api.compress(data)
    assert api.decompress(member) == data
    stored = container.encode_member(container.MODE_STORED, 0, data, [data])
    assert len(member) <= len(stored)


# ---------------------------------------------------------------- the harness itself can fail


def test_run_case_reports_a_jpeg_path_that_needs_the_safety_net(monkeypatch):
    from mlzip import jpegpath

    data = make_jpeg(16, 16)
    real_decode = jpegpath.decode
    monkeypatch.setattr(jpegpath, "decode", lambda *a: real_decode(*a)[:-1] + b"\x00")
    assert [p.split(":")[0] for p in fz.run_case(data)["problems"]] == ["jpeg-unverified"]

    def broken(*args):
        raise IndexError("bug")

    monkeypatch.setattr(jpegpath, "encode", broken)
    assert [p.split(":")[0] for p in fz.run_case(data)["problems"]] == ["jpeg-bug"]


def test_run_case_reports_lost_data(monkeypatch):
    monkeypatch.setattr(api, "_decodes_to", lambda member, original: True)  # past compress's own check
    monkeypatch.setattr(api, "decompress", lambda blob: b"other")
    assert fz.run_case(b"some bytes")["problems"][0].startswith("LOST")


def test_every_mutator_changes_or_keeps_a_jpeg_deterministically():
    data = SEEDS[0]
    for mutator in fz.MUTATORS:
        rng = random.Random(5)
        out = mutator(data, rng)
        assert isinstance(out, bytes)
        if mutator not in (fz.flip_bits, fz.insert_bytes, fz.garbage_before_soi, fz.garbage_after_eoi, fz.fill_scan):
            assert out == mutator(data, random.Random(5)), mutator.__name__  # os.urandom aside, seeded
