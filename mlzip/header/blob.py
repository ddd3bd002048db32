"""Blob layout: a mode in the top two bits of byte 0, then the mode's data. The shortest candidate wins.

    byte 0 = MM R Z DDDD (bits 7..0)
    MM = 0 (stored):     byte 0 is 0x00; the header bytes follow as they are
    MM = 1 (zstd):       R Z = 0 0, DDDD = dictionary id (0 = none); a magicless zstd frame follows
    MM = 2 (structured): R = 0: no raw section; the bit stream of structured.py starts right after
                         the R bit (bit 4 of byte 0), so a standard header fits in a few bytes;
                         R = 1: Z = raw section zstd'd, DDDD = its dictionary id; then the raw section
                         length (LEB128), the raw section, and the bit stream from the next byte on
Bit streams end with zero padding to a byte. Decoding checks everything it reads and raises
CorruptMember (never another exception).
"""

from __future__ import annotations

from mlzip import varint
from mlzip.errors import CorruptMember
from mlzip.header import dictionary
from mlzip.header.bits import BitReader, BitWriter
from mlzip.header.markers import SOI, Segment, join_segments, split_segments
from mlzip.header.segment_codecs import HeaderState
from mlzip.header.structured import decode_structured, encode_structured
from mlzip.limits import MAX_JPEG_BYTES

MODE_STORED, MODE_ZSTD, MODE_STRUCTURED = 0, 1, 2
# zstd level by input size: the strongest level is cheap on the few KB most headers hold.
_LEVELS = ((1 << 16, 19), (1 << 20, 12))
_FAST_LEVEL = 6
# A structured blob this short is kept without trying the others.
_SMALL_ENOUGH = 16


def _level(size: int) -> int:
    return next((level for limit, level in _LEVELS if size <= limit), _FAST_LEVEL)


def _zstd(data: bytes) -> tuple[int, bytes]:
    dict_id = dictionary.CURRENT_ID
    return dict_id, dictionary.compressor(dict_id, _level(len(data))).compress(data)


def _structured_blob(segments: list[Segment], state: HeaderState, with_soi: bool) -> tuple[bytes, list[bytes]]:
    """The structured blob, and its raw parts (to tell the variants apart)."""
    head = BitWriter()
    head.bits(MODE_STRUCTURED, 2)
    stream = BitWriter()
    raw_parts = encode_structured(segments, state, with_soi, stream)
    raw = b"".join(raw_parts)
    if not raw:
        head.flag(False)
        head.extend(stream)
        return head.getvalue(), raw_parts
    dict_id, packed = _zstd(raw)
    use_zstd = len(packed) < len(raw)
    head.flag(True)
    head.flag(use_zstd)
    head.bits(dict_id if use_zstd else 0, 4)
    raw = packed if use_zstd else raw
    return head.getvalue() + varint.encode(len(raw)) + raw + stream.getvalue(), raw_parts


def candidates(data: bytes, with_soi: bool, context_state: HeaderState) -> list[bytes]:
    """The blobs worth trying for `data`; the caller keeps the shortest that decodes.

    Two structured variants (odd tables coded as residuals, or left raw for zstd to match, e.g.
    against the Exif thumbnail's copy) and stored; whole-header zstd only where the header does not
    parse (elsewhere it was never more than a few bytes better, and it doubles the time)."""
    body = data[2:] if with_soi else data
    segments = split_segments(body) if (data[:2] == SOI or not with_soi) else None
    if segments is None:
        dict_id, packed = _zstd(data)
        return [bytes([MODE_ZSTD << 6 | dict_id]) + packed, bytes([MODE_STORED << 6]) + data]
    blob, raw_parts = _structured_blob(segments, context_state.copy(), with_soi)
    blobs = [blob]
    if len(blob) > _SMALL_ENOUGH:
        state = context_state.copy(raw_tables=True)
        if encode_structured(segments, state.copy(), with_soi, BitWriter()) != raw_parts:
            blobs.append(_structured_blob(segments, state, with_soi)[0])
        blobs.append(bytes([MODE_STORED << 6]) + data)
    return blobs


def decode(blob: bytes, with_soi: bool, context_state: HeaderState) -> bytes:
    if not blob:
        raise CorruptMember("header blob is empty")
    mode, has_raw, raw_zstd, dict_id = blob[0] >> 6, blob[0] >> 5 & 1, blob[0] >> 4 & 1, blob[0] & 15
    if mode == MODE_STORED and blob[0] == 0:
        return blob[1:]
    if mode == MODE_ZSTD and blob[0] >> 4 == MODE_ZSTD << 2:
        return dictionary.decompress(dict_id, blob[1:], MAX_JPEG_BYTES)
    if not has_raw:  # the Z and DDDD bits are the start of the bit stream
        raw_zstd = dict_id = 0
    if mode != MODE_STRUCTURED or (dict_id and not raw_zstd):
        raise CorruptMember("header blob has an unknown mode")
    raw = b""
    if has_raw:
        size, pos = varint.decode(blob, 1, "header blob")
        raw, pos = blob[pos:pos + size], pos + size
        if len(raw) != size or not size:
            raise CorruptMember("header blob is truncated")
        bits = BitReader(blob[pos:])
    else:
        bits = BitReader(blob)
        bits.bits(3)
    segments = decode_structured(bits, context_state.copy(), with_soi)
    raw_total = sum(p for _, p in segments if isinstance(p, int))
    if has_raw and not raw_total:
        raise CorruptMember("header blob's raw section does not match its segments")
    if raw_zstd:
        raw = dictionary.decompress(dict_id, raw, raw_total)
    if len(raw) != raw_total:
        raise CorruptMember("header blob's raw section does not match its segments")
    filled, offset = [], 0
    for marker, payload in segments:
        if isinstance(payload, int):
            payload, offset = raw[offset:offset + payload], offset + payload
        filled.append((marker, payload))
    return (SOI if with_soi else b"") + join_segments(filled)
