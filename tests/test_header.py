"""mlzip.header: exact round trips of JPEG headers, compact codes for standard ones, damaged blobs."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mlzip.errors import CorruptMember, MlzError
from mlzip.header import blob as blob_module
from mlzip.header import decode_header, decode_segments, encode_header, encode_segments
from mlzip.header.extract import jpeg_header
from mlzip.header.markers import split_segments
from mlzip.header.segment_codecs import HeaderState


def _jpeg(mode: str = "RGB", size: tuple[int, int] = (16, 16), **options) -> bytes:
    rng = np.random.default_rng(sum(map(ord, mode)) + size[0])
    channels = {"L": 1, "RGB": 3, "CMYK": 4}[mode]
    pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, mode)
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def _header(**options) -> bytes:
    header = jpeg_header(_jpeg(**options))
    assert header is not None
    return header


def _round_trip(header: bytes) -> bytes:
    blob = encode_header(header)
    assert decode_header(blob) == header
    return blob


@pytest.mark.parametrize("quality", range(1, 101))
def test_every_pillow_quality_costs_a_handful_of_bytes(quality):
    assert len(_round_trip(_header(quality=quality))) <= 9


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_modes_and_subsampling(mode, subsampling):
    header = _header(mode=mode, subsampling=subsampling, quality=80)
    blob = _round_trip(header)
    assert len(blob) <= 10, (mode, subsampling, len(header), len(blob))


@pytest.mark.parametrize("size", [(1, 1), (31, 17), (4000, 1), (300, 200)])
def test_dimensions(size):
    assert len(_round_trip(_header(size=size))) <= 10


def test_optimized_and_progressive_tables_are_coded_compactly():
    for options in ({"optimize": True}, {"progressive": True}, {"progressive": True, "quality": 95}):
        header = _header(size=(64, 48), **options)
        blob = _round_trip(header)
        _every_candidate_round_trips(header)
        assert len(blob) < len(header) / 3, (options, len(header), len(blob))


def test_sixteen_bit_and_custom_quantization_tables():
    steep = [list(range(300, 364)), [1 + (i * 7) % 200 for i in range(64)]]
    _round_trip(_header(qtables=steep))
    shifted = [[v + 1 for v in table] for table in Image.open(io.BytesIO(_jpeg(quality=60))).quantization.values()]
    blob = _round_trip(_header(qtables=shifted))
    assert len(blob) < 60


def test_exif_icc_comment_dpi_restart():
    exif = Image.Exif()
    exif[0x010F] = "mlzip camera"
    exif[0x0132] = "2026:11:25 04:00:00"
    header = _header(exif=exif.tobytes(), icc_profile=b"\x00" * 100 + bytes(range(256)) * 4,
                     comment=b"made by a test", dpi=(300, 300), restart_marker_blocks=2)
    assert len(_round_trip(header)) < len(header)


def test_progressive_scan_segments_with_context():
    data = _jpeg(size=(40, 40), progressive=True)
    header = jpeg_header(data)
    later = _segments_between_scans(data, len(header))
    assert len(later) > 2
    for chunk in later:
        blob = encode_segments(chunk, header)
        assert decode_segments(blob, header) == chunk
        assert len(blob) < len(chunk)


def _segments_between_scans(data: bytes, start: int) -> list[bytes]:
    """The DHT/SOS runs that follow each scan's entropy-coded data (markers found by byte scan)."""
    chunks, pos = [], start
    while True:
        pos = data.find(b"\xff", pos)
        while pos >= 0 and (data[pos + 1] == 0 or 0xD0 <= data[pos + 1] <= 0xD7):
            pos = data.find(b"\xff", pos + 2)
        if pos < 0 or data[pos + 1] == 0xD9:
            return chunks
        end = pos
        while data[end + 1] != 0xDA:
            end += 2 + int.from_bytes(data[end + 2:end + 4], "big")
        end += 2 + int.from_bytes(data[end + 2:end + 4], "big")
        chunks.append(data[pos:end])
        pos = end


def test_not_a_header_takes_the_fallback():
    for data in (b"", b"\xff", b"\xff\xd8", b"hello world" * 50, b"\xff\xd8\xff\xff\xff\xdb\x00\x02"):
        _round_trip(data)
    assert encode_segments(b"") != b""
    assert decode_segments(encode_segments(b"\x00\x01")) == b"\x00\x01"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_round_trip(data):
    _round_trip(data)
    _round_trip(b"\xff\xd8" + data)


_MARKERS = st.sampled_from([0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDA, 0xDD, 0xE0, 0xE1, 0xFE, 0xCF, 0xD0, 0xFF])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_MARKERS, st.binary(max_size=140)), max_size=8))
def test_random_segment_sequences_round_trip(segments):
    body = b"".join(bytes([0xFF, m, (len(p) + 2) >> 8, (len(p) + 2) & 255]) + p for m, p in segments)
    _every_candidate_round_trips(b"\xff\xd8" + body)
    blob = encode_segments(body, b"")
    assert decode_segments(blob) == body


_REAL = [_header(), _header(mode="L", optimize=True), _header(progressive=True, quality=90),
         _header(mode="CMYK", qtables=[list(range(300, 364))])]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_REAL),
       st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_real_headers_round_trip(header, edits):
    mutated = bytearray(header)
    for position, value in edits:
        mutated[position % len(mutated)] = value
    _every_candidate_round_trips(bytes(mutated))


def _every_candidate_round_trips(header: bytes) -> None:
    """Not only the chosen blob: every compact code the encoder tried must be exact by itself."""
    _round_trip(header)
    for candidate in blob_module.candidates(header, True, HeaderState()):
        assert blob_module.decode(candidate, True, HeaderState()) == header


def _assert_corrupt_or_bytes(blob: bytes) -> None:
    try:
        assert isinstance(decode_header(blob), bytes)
    except CorruptMember:
        pass


def test_truncated_blobs_raise_corrupt_member():
    for header in _REAL + [_header(exif=b"Exif\x00\x00" + bytes(range(200)))]:
        blob = encode_header(header)
        for cut in range(len(blob)):
            with pytest.raises(CorruptMember):
                decode_header(blob[:cut])


def test_damaged_blobs_raise_only_corrupt_member():
    rng = random.Random(4)
    blobs = [encode_header(h) for h in _REAL] + [encode_header(bytes(range(256)) * 8), b"\x01" + bytes(40)]
    for blob in blobs:
        for _ in range(300):
            damaged = bytearray(blob)
            for _ in range(rng.randint(1, 3)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            _assert_corrupt_or_bytes(bytes(damaged))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200),
       st.sampled_from(_REAL + [b"", b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x07"]))
def test_arbitrary_blobs_raise_only_corrupt_member(blob, context):
    _assert_corrupt_or_bytes(blob)
    try:
        decode_segments(blob, context)
    except CorruptMember:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120), st.binary(max_size=40))
def test_segments_round_trip_with_any_context(sos_like, context):
    for data in (sos_like, b"\xff\xda" + bytes([0, len(sos_like) + 2]) + sos_like if len(sos_like) < 250 else b""):
        for ctx in (context, b"\xff\xd8" + context, _REAL[3]):
            assert decode_segments(encode_segments(data, ctx), ctx) == data


def test_unknown_mode_and_dictionary_are_corrupt():
    # empty; mode 3; zstd with flag bits; zstd with dictionary 15 (unknown); raw section
    # without zstd naming a dictionary; raw section missing; stored with a nonzero byte 0
    for blob in (b"", b"\xc0abc", b"\x50abc", b"\x4fabc", b"\xa1\x01a", b"\xb1", b"\x01abc"):
        with pytest.raises(CorruptMember):
            decode_header(blob)


def test_encoding_is_deterministic_and_records_the_dictionary():
    header = _header(exif=b"Exif\x00\x00" + b"mlzip " * 40)
    blob = encode_header(header)
    assert blob == encode_header(header)
    assert blob[0] == 0b10_1_1_0001  # structured, raw section zstd'd with dictionary 1


def test_blob_never_exceeds_stored_size_by_more_than_one_byte():
    for header in _REAL + [bytes(range(256))]:
        assert len(encode_header(header)) <= len(header) + 1


def test_errors_are_mlz_errors():
    assert issubclass(CorruptMember, MlzError)
    assert split_segments(b"\xff\xdb\x00") is None


def test_a_stream_of_cheap_tables_cannot_build_an_overlong_segment():
    from mlzip.header.bits import BitWriter

    stream = BitWriter()
    stream.bits(0b100, 3)  # structured, no raw section
    stream.flag(False)
    stream.bits(2, 4)  # a DQT segment (APP0 was predicted)
    stream.flag(True)
    stream.bits(74, 7)  # default table, quality 75
    for _ in range(1100):  # 1100 more tables of 65 bytes each: 3 bits apiece
        stream.bits(0b111, 3)
    stream.flag(False)
    with pytest.raises(CorruptMember, match="overlong"):
        decode_header(stream.getvalue())


def test_encode_header_cache_keeps_headers_apart():
    # encode_header memoizes small headers by their bytes: headers differing in one table, one
    # dimension or by a memoryview must each get their own blob, before and after the other
    headers = [_header(quality=75), _header(quality=76), _header(size=(16, 17)), _header(quality=75, progressive=True)]
    assert len(set(headers)) == len(headers)
    first = [encode_header(h) for h in headers]
    assert len(set(first)) == len(headers)
    for h, b in zip(reversed(headers), reversed(first)):
        assert encode_header(memoryview(h)) == b
        assert decode_header(b) == h


def test_small_blob_decodes_are_cached_and_damage_still_raises():
    header = _header(quality=80)
    blob = encode_header(header)
    assert decode_header(blob) == header == decode_header(bytearray(blob)) == decode_header(memoryview(blob))
    for damaged in (b"", b"\xff", b"\xff"):  # the second b"\xff" would be a cached error, if errors were cached
        with pytest.raises(CorruptMember):
            decode_header(damaged)
