"""Blob layout: one mode byte, then the mode's data. Tries every mode and keeps the shortest.

    byte 0: bits 0-1 mode, bits 2-3 flags, bits 4-7 zstd dictionary id (0 = none)
    mode 0 (stored):     the header bytes follow as they are
    mode 1 (zstd):       a magicless zstd frame of the header bytes follows
    mode 2 (structured): [raw-section length (LEB128), raw section]  when flag bit 2 is set,
                         then the bit stream of structured.py to the end of the blob;
                         flag bit 3 set: the raw section is a magicless zstd frame
Decoding checks everything it reads and raises CorruptMember (never another exception).
"""

from __future__ import annotations

from mlzip.errors import CorruptMember
from mlzip.header import dictionary
from mlzip.header.bits import BitReader
from mlzip.header.markers import SOI, join_segments, split_segments
from mlzip.header.segment_codecs import HeaderState
from mlzip.header.structured import decode_structured, encode_structured
from mlzip.limits import MAX_JPEG_BYTES

MODE_STORED, MODE_ZSTD, MODE_STRUCTURED = 0, 1, 2
_HAS_RAW, _RAW_ZSTD = 4, 8
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


def _leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_leb128(blob: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(blob) or shift > 35:
            raise CorruptMember("header blob has a damaged length")
        byte = blob[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def _structured_blob(bits: bytes, raw_parts: list[bytes]) -> bytes:
    raw = b"".join(raw_parts)
    if not raw:
        return bytes([MODE_STRUCTURED]) + bits
    dict_id, packed = _zstd(raw)
    if len(packed) < len(raw):
        head = MODE_STRUCTURED | _HAS_RAW | _RAW_ZSTD | dict_id << 4
        raw = packed
    else:
        head = MODE_STRUCTURED | _HAS_RAW
    return bytes([head]) + _leb128(len(raw)) + raw + bits


def candidates(data: bytes, with_soi: bool, context_state: HeaderState) -> list[bytes]:
    """The blobs worth trying for `data`; the caller keeps the shortest that decodes.

    Two structured variants (odd tables coded as residuals, or left raw for zstd to match, e.g.
    against the Exif thumbnail's copy); whole-header zstd and stored only where the header does
    not parse (whole-header zstd was never more than a few bytes better and doubles the time)."""
    body = data[2:] if with_soi else data
    segments = split_segments(body) if (data[:2] == SOI or not with_soi) else None
    if segments is None:
        dict_id, packed = _zstd(data)
        return [bytes([MODE_ZSTD | dict_id << 4]) + packed, bytes([MODE_STORED]) + data]
    coded = encode_structured(segments, context_state.copy(), with_soi)
    blobs = [_structured_blob(*coded)]
    if len(blobs[0]) > _SMALL_ENOUGH:
        raw_tables = encode_structured(segments, context_state.copy(raw_tables=True), with_soi)
        if raw_tables[1] != coded[1]:
            blobs.append(_structured_blob(*raw_tables))
        blobs.append(bytes([MODE_STORED]) + data)
    return blobs


def decode(blob: bytes, with_soi: bool, context_state: HeaderState) -> bytes:
    if not blob:
        raise CorruptMember("header blob is empty")
    head = blob[0]
    mode, flags, dict_id = head & 3, head & 12, head >> 4
    if mode == MODE_STORED and head == MODE_STORED:
        return blob[1:]
    if mode == MODE_ZSTD and not flags:
        return dictionary.decompress(dict_id, blob[1:], MAX_JPEG_BYTES)
    if mode != MODE_STRUCTURED or flags == _RAW_ZSTD or (dict_id and not flags & _RAW_ZSTD):
        raise CorruptMember("header blob has an unknown mode")
    pos = 1
    raw = b""
    if flags & _HAS_RAW:
        size, pos = _read_leb128(blob, pos)
        raw, pos = blob[pos:pos + size], pos + size
        if len(raw) != size:
            raise CorruptMember("header blob is truncated")
    segments = decode_structured(BitReader(blob[pos:]), context_state.copy(), with_soi)
    raw_total = sum(p for _, p in segments if isinstance(p, int))
    if raw_total > MAX_JPEG_BYTES:
        raise CorruptMember("header blob claims more raw bytes than any JPEG holds")
    if flags & _RAW_ZSTD:
        raw = dictionary.decompress(dict_id, raw, raw_total)
    if len(raw) != raw_total or (flags & _HAS_RAW and not raw_total):
        raise CorruptMember("header blob's raw section does not match its segments")
    filled, offset = [], 0
    for marker, payload in segments:
        if isinstance(payload, int):
            payload, offset = raw[offset:offset + payload], offset + payload
        filled.append((marker, payload))
    return (SOI if with_soi else b"") + join_segments(filled)
