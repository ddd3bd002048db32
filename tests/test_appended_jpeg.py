"""JPEGs that follow each other in one file (MPO, gain maps) are coded as one member each."""

import pytest

from mlzip import api
from tests.jpeg_fixtures import jpeg_bytes, photo

FIRST = jpeg_bytes(photo(96, 64, 1), quality=85)
SECOND = jpeg_bytes(photo(128, 96, 2), quality=75, progressive=True)
THIRD = jpeg_bytes(photo(120, 80, 3), quality=90, subsampling=0)


@pytest.mark.parametrize("gap", [b"", b"\0", b"\0" * api.MAX_GAP])
def test_each_appended_image_takes_the_coefficient_path(gap):
    data = FIRST + gap + SECOND + THIRD
    blob = api.compress(data, 6, name="pond.mpo", mtime=7)
    members = api.inspect(blob)
    assert [m.mode for m in members] == ["model"] * 3
    assert [m.original_size for m in members] == [len(FIRST) + len(gap), len(SECOND), len(THIRD)]
    assert (members[0].name, members[0].mtime) == ("pond.mpo", 7) and members[1].name is None
    assert api.decompress(blob) == data
    assert len(blob) < len(api._compress_member(data, 6, None, True, None, None))  # one member: a zstd'd suffix


@pytest.mark.parametrize("tail", [
    b"\1" + SECOND,  # not zero padding
    b"\0" * (api.MAX_GAP + 1) + SECOND,  # too far
    SECOND[:api.APPENDED_JPEG_MIN - 1],  # too small to pay for a member
    b"garbage after EOI" * 100,
])
def test_other_trailing_bytes_stay_in_the_first_member(tail):
    data = FIRST + tail
    blob = api.compress(data)
    assert len(api.inspect(blob)) == 1 and api.decompress(blob) == data


def test_a_thumbnail_in_the_header_is_no_appended_image():
    """An EXIF-like APP1 holding a whole JPEG (EOI then SOI inside it) comes before the first SOS."""
    thumb = SECOND + THIRD
    app1 = b"\xff\xe1" + (len(thumb) + 2).to_bytes(2, "big") + thumb
    data = FIRST[:2] + app1 + FIRST[2:]
    assert api._image_spans(data) == [(0, len(data))]
    assert api.decompress(api.compress(data)) == data


def test_non_jpeg_and_truncated_headers_are_not_split():
    assert api._image_spans(b"") == [(0, 0)]
    assert api._image_spans(b"\xff\xd8\xff\xe0\x00") == [(0, 5)]
    data = b"x" * 10 + FIRST + SECOND
    assert api._image_spans(data) == [(0, len(data))]


def test_image_end_reads_segment_lengths_and_fill_bytes():
    from mlzip.jpeg_bounds import image_end

    assert image_end(FIRST, 0) == len(FIRST)
    filled = FIRST[:2] + b"\xff\xff" + FIRST[2:]  # fill bytes before a marker
    assert image_end(filled, 0) == len(filled)
    assert image_end(b"junk" + FIRST + SECOND, 4) == 4 + len(FIRST)
    sos = FIRST.index(b"\xff\xda")
    assert image_end(FIRST[:sos], 0) is None  # the header ends before its SOS
    assert image_end(FIRST[:-2], 0) is None  # no EOI
    assert image_end(FIRST, 1) is None
