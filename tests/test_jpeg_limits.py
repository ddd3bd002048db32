"""The declared-size rule (mlzip.limits.max_jpeg_blocks): a JPEG may declare at most a free allowance
plus JPEG_BLOCKS_PER_BYTE blocks per byte of the file. Compress refuses more (zstd path), decode calls a
member that declares more than JPEG_DECODE_BLOCKS_PER_BYTE allow corruption; both before anything of the
declared size is allocated."""

from __future__ import annotations

import pytest
from PIL import Image

from jpeg_fixtures import jpeg_bytes, make_jpeg
from mlzip import api, container, jpeg, jpegpath, limits
from mlzip.errors import CorruptMember, UnsupportedJpeg
from tools import fuzz_roundtrip as fz


def blocks_of(data: bytes) -> int:
    return sum(c.coefs.shape[0] * c.coefs.shape[1] for c in jpeg.parse(data).components)


def with_comment(data: bytes, size: int) -> bytes:
    """data with a COM segment of `size` payload bytes right after SOI (more bytes, same image)."""
    return data[:2] + b"\xff\xfe" + (size + 2).to_bytes(2, "big") + bytes(size) + data[2:]


def test_allowance_grows_with_the_input():
    assert limits.max_jpeg_blocks(0) == limits.JPEG_FREE_BLOCKS
    assert limits.max_jpeg_blocks(1000) == limits.JPEG_FREE_BLOCKS + 1000 * limits.JPEG_BLOCKS_PER_BYTE
    # decoding allows more: members written under the earlier bound of 16 blocks per byte must decode
    assert limits.max_decoded_jpeg_blocks(1000) == limits.JPEG_FREE_BLOCKS + 16_000 >= limits.max_jpeg_blocks(1000)


def test_parse_refuses_one_block_past_the_allowance(monkeypatch):
    data = make_jpeg(64, 48, mode="L")
    blocks = blocks_of(data)  # 48
    monkeypatch.setattr(limits, "JPEG_FREE_BLOCKS", blocks - limits.JPEG_BLOCKS_PER_BYTE * len(data))
    assert jpeg.parse(data).encode() == data  # exactly at the allowance
    monkeypatch.setattr(limits, "JPEG_FREE_BLOCKS", blocks - limits.JPEG_BLOCKS_PER_BYTE * len(data) - 1)
    with pytest.raises(UnsupportedJpeg, match="declares 48 blocks"):
        jpeg.parse(data)


def test_flat_images_are_far_inside_the_rule_without_the_free_allowance(monkeypatch):
    """The most blocks per byte honest encoders give (a flat image, quality 1, optimized or
    progressive: about 4 per byte) must pass with room to spare."""
    monkeypatch.setattr(limits, "JPEG_FREE_BLOCKS", 0)
    for mode in ("L", "RGB"):
        flat = Image.new(mode, (512, 512), 128 if mode == "L" else (90, 140, 200))
        for args in ({}, {"optimize": True}, {"progressive": True}, {"subsampling": 0, "optimize": True}):
            data = jpeg_bytes(flat, quality=1, **args)
            assert blocks_of(data) <= limits.JPEG_BLOCKS_PER_BYTE * len(data) // 2, (mode, args)


def test_small_file_declaring_a_large_image_takes_zstd():
    data = fz.set_dimensions(make_jpeg(16, 16, mode="L"), 4000, 4000)  # 250k blocks from a few hundred bytes
    with pytest.raises(UnsupportedJpeg, match="too many for a file"):
        jpeg.parse(data)
    blob = api.compress(data)
    assert api.inspect(blob)[0].mode in ("zstd", "stored")
    assert api.decompress(blob) == data
    padded = with_comment(data, (250_000 - limits.JPEG_FREE_BLOCKS) // limits.JPEG_BLOCKS_PER_BYTE)
    assert jpeg.parse(padded).width == 4000  # the same header in a file big enough for it is taken


def test_decode_checks_declared_blocks_against_the_original_size(monkeypatch):
    data = make_jpeg(64, 48, mode="L", quality=80)
    mode, model_id, sections = jpegpath.encode(data, 6, None)
    assert jpegpath.decode(mode, model_id, sections, len(data)) == data
    monkeypatch.setattr(limits, "JPEG_FREE_BLOCKS", 0)
    monkeypatch.setattr("mlzip.coder.decode_coefficients", lambda *a: pytest.fail("planes allocated"))
    with pytest.raises(CorruptMember, match="declares 48 blocks, too many for 2 bytes"):
        jpegpath.decode(mode, model_id, sections, 2)


def test_member_whose_header_declares_a_large_image_is_corrupt(monkeypatch):
    from mlzip.header import decode_header, encode_header

    small = make_jpeg(16, 16, mode="L", quality=75)
    ((head, secs),) = container.split_members(api.compress(small))
    header = fz.set_dimensions(decode_header(bytes(secs[0])), 8000, 8000)
    member = fz.member_claiming(head, [encode_header(header), bytes(secs[1]), bytes(secs[2])])
    monkeypatch.setattr("mlzip.coder.decode_coefficients", lambda *a: pytest.fail("planes allocated"))
    with pytest.raises(CorruptMember, match="1000000 blocks"):
        api.decompress(member)
