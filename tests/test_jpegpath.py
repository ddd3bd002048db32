"""The JPEG coefficient path end to end: header coder + JPEG layer + coefficient coder in a container."""

import pytest

from mlzip import api, container, jpegpath
from mlzip.errors import CorruptMember, ModelError
from tests.jpeg_fixtures import exif_icc_jpeg, make_jpeg

CASES = {
    "q75-420": dict(quality=75),
    "q100-444": dict(quality=100, subsampling=0),
    "q20-422": dict(quality=20, subsampling=1),
    "progressive": dict(quality=85, progressive=True),
    "optimized-restarts": dict(quality=60, optimize=True, restart_marker_blocks=3),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_jpegs_take_the_model_path_and_come_back_exactly(case):
    data = make_jpeg(67, 45, seed=len(case), **CASES[case])
    blob = api.compress(data)
    (info,) = api.inspect(blob)
    assert (info.mode, info.model_id) == ("model", jpegpath.CLASSIC_MODEL_ID)
    assert len(blob) < len(data)
    assert api.decompress(blob) == data


def test_grayscale_cmyk_and_metadata_round_trip():
    for data in (make_jpeg(33, 17, mode="L"), make_jpeg(24, 16, mode="CMYK"), exif_icc_jpeg()):
        blob = api.compress(data)
        assert api.inspect(blob)[0].mode == "model"
        assert api.decompress(blob) == data


def test_plain_model_codes_coefficients_with_zstd():
    data = make_jpeg(40, 40, quality=90)
    blob = api.compress(data, model="plain")
    (info,) = api.inspect(blob)
    assert (info.mode, info.model_id) == ("jpeg-plain", jpegpath.PLAIN_MODEL_ID)
    assert api.decompress(blob) == data


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        api.compress(make_jpeg(), model="nope")


def test_not_really_a_jpeg_falls_back_to_zstd():
    data = b"\xff\xd8\xff" + bytes(5000)
    blob = api.compress(data)
    assert api.inspect(blob)[0].mode == "zstd"
    assert api.decompress(blob) == data


def test_damaged_sections_are_corruption_never_wrong_bytes():
    data = make_jpeg(48, 32, quality=80)
    mode, model_id, sections = jpegpath.encode(data, 6, None)
    assert jpegpath.decode(mode, model_id, sections, len(data)) == data
    for index, section in enumerate(sections):
        for pos in (0, len(section) // 2, len(section) - 1):
            bad = list(sections)
            damaged = bytearray(section)
            damaged[pos] ^= 0x5A
            bad[index] = bytes(damaged)
            member = container.encode_member(mode, model_id, data, bad)
            try:
                out = api.decompress(member)
            except CorruptMember:
                continue
            assert out == data  # a flip the coder happens to absorb must still give the exact bytes
    with pytest.raises(CorruptMember):
        jpegpath.decode(mode, model_id, sections[:2], len(data))
    with pytest.raises(ModelError):
        jpegpath.decode(mode, 4242, sections, len(data))
