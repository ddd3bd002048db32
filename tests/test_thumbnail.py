"""A JPEG embedded in the header (an Exif thumbnail) is coded as a JPEG in a fourth section."""

import pytest

from mlzip import api, container, thumbnail
from mlzip.errors import CorruptMember
from tests.jpeg_fixtures import jpeg_bytes, photo

MAIN = jpeg_bytes(photo(160, 120, 1), quality=90)
THUMB = jpeg_bytes(photo(80, 60, 2), quality=85)


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + app1 + jpeg[2:]


def exif_with(thumb: bytes) -> bytes:
    return b"Exif\0\0MM\0*\0\0\0\x08" + bytes(40) + thumb + b"trailing Exif bytes"


def section_counts(blob: bytes) -> list[int]:
    return [len(sections) for _, sections in container.split_members(blob)]


def test_an_exif_thumbnail_is_coded_apart_and_comes_back(monkeypatch):
    data = with_app1(MAIN, exif_with(THUMB))
    blob = api.compress(data)
    assert section_counts(blob) == [4] and api.decompress(blob) == data
    monkeypatch.setattr(thumbnail, "split", lambda header, level: None)
    whole = api.compress(data)
    assert section_counts(whole) == [3] and len(blob) < len(whole) - len(THUMB) // 10


def test_every_copy_of_the_thumbnail_is_cut_out():
    data = with_app1(with_app1(MAIN, exif_with(THUMB)), b"Photoshop 3.0\0" + THUMB)
    blob = api.compress(data)
    assert section_counts(blob) == [4] and api.decompress(blob) == data
    _, sections = next(container.split_members(blob))
    assert bytes(sections[3][:1]) == b"\x02"  # two copies


def test_small_or_missing_thumbnails_stay_in_the_header():
    small = jpeg_bytes(photo(8, 8, 3), quality=50)
    assert len(small) < thumbnail.MIN_BYTES
    not_coded = b"\xff\xd8\xff\xda\x00\x02" + bytes(i * 7 % 255 for i in range(3000)) + b"\xff\xd9"  # no frame
    assert thumbnail.span(not_coded) is None and thumbnail.span(b"\xff\xd8" + not_coded) == (2, len(not_coded) + 2)
    for data in (MAIN, with_app1(MAIN, exif_with(small)), with_app1(MAIN, exif_with(THUMB[:-2])),
                 with_app1(MAIN, exif_with(not_coded))):
        blob = api.compress(data)
        assert section_counts(blob) == [3] and api.decompress(blob) == data


def test_a_thumbnail_inside_the_thumbnail_stays_in_its_header():
    inner = with_app1(THUMB, exif_with(jpeg_bytes(photo(48, 40, 4), quality=80)))
    data = with_app1(MAIN, exif_with(inner))
    assert thumbnail.span(data[:-10]) is not None
    blob = api.compress(data)
    assert api.decompress(blob) == data
    _, sections = next(container.split_members(blob))
    (inner_member,) = container.split_members(bytes(sections[3][2:]))  # after count and offset varints
    assert len(inner_member[1]) == 3


def test_join_refuses_what_split_never_writes():
    header = b"\xff\xd8" + bytes(len(THUMB)) + b"rest"
    section = b"\x01\x02" + api.compress(THUMB)
    assert thumbnail.join(header, section) == b"\xff\xd8" + THUMB + b"rest"
    with pytest.raises(CorruptMember):  # the image's place holds other bytes than zeros
        thumbnail.join(header.replace(b"\0", b"\1", 1), section)
    with pytest.raises(CorruptMember):  # past the end of the header
        thumbnail.join(header, b"\x01\x10" + api.compress(THUMB))
    with pytest.raises(CorruptMember):  # a second copy that does not fit
        thumbnail.join(header, b"\x02\x02\x00" + api.compress(THUMB))
    for bad in (b"\x01\x02", b"\x00\x02" + api.compress(THUMB), b"\x7f\x02" + api.compress(THUMB)):
        with pytest.raises(CorruptMember):
            thumbnail.join(header, bad)
    with thumbnail._inside(), pytest.raises(CorruptMember):  # no fourth section below the top level
        thumbnail.join(header, section)
