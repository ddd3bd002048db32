"""Compact codes for the payloads of the segments every JPEG header has.

Each `encode_*` either writes the payload exactly into the bit stream and returns True, or writes
nothing and returns False (the caller then stores the segment raw). Each `decode_*` reads what its
encoder wrote and returns the payload, raising CorruptMember on anything its encoder never writes.
"Default" flags stand for what libjpeg writes (and so Pillow, cjpeg and most software), so a
standard header costs a few bits per segment.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

import numpy as np

from mlzip.errors import CorruptMember
from mlzip.header.bits import BitReader, BitWriter
from mlzip.header.markers import MAX_PAYLOAD, SOF_MARKERS
from mlzip.header.standard_tables import (
    STANDARD_HUFFMAN,
    SYMBOL_ORDER,
    match_scaled,
    nearest_scaled,
    scaled_table,
    signed_eg_bits,
)


@dataclass
class HeaderState:
    """What earlier segments tell about later ones; both sides update it the same way."""

    dqt_tables: int = 0
    dht_tables: int = 0
    last_quality: int | None = None
    component_ids: tuple[int, ...] = ()
    component_tables: tuple[int, ...] = ()  # quantization table of each frame component
    raw_tables: bool = False  # encoder only: store non-standard tables raw instead of coding them

    def copy(self, **changes) -> "HeaderState":
        return replace(self, **changes)


def _write_choice(out: BitWriter, value: int, choices: tuple[int, ...], width: int = 8) -> None:
    """Unary index of one of the common values (most common first), else all zeros and the value."""
    if value in choices:
        out.bits(1, choices.index(value) + 1)  # as many zeros as the index, then a one
    else:
        out.bits(0, len(choices))
        out.bits(value, width)


def _read_choice(bits: BitReader, choices: tuple[int, ...], width: int = 8) -> int:
    for choice in choices:
        if bits.flag():
            return choice
    return bits.bits(width)


# ---------------------------------------------------------------- JFIF APP0
_JFIF_DEFAULT = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # 1.01, no units, 1:1, no thumbnail
_JFIF_VERSIONS = (0x0101, 0x0102, 0x0100)
_JFIF_UNITS = (1, 0, 2)
_JFIF_DENSITIES = (72, 96, 300, 1)


def encode_app0(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    if payload == _JFIF_DEFAULT:
        out.flag(True)
        return True
    if len(payload) != 14 or payload[:5] != b"JFIF\x00" or payload[12:] != b"\x00\x00":
        return False
    out.flag(False)
    version, units, x_density, y_density = struct.unpack(">HBHH", payload[5:12])
    _write_choice(out, version, _JFIF_VERSIONS, 16)
    _write_choice(out, units, _JFIF_UNITS)
    _write_choice(out, x_density, _JFIF_DENSITIES, 16)
    out.flag(y_density == x_density)
    if y_density != x_density:
        out.bits(y_density, 16)
    return True


def decode_app0(bits: BitReader, state: HeaderState) -> bytes:
    if bits.flag():
        return _JFIF_DEFAULT
    version = _read_choice(bits, _JFIF_VERSIONS, 16)
    units = _read_choice(bits, _JFIF_UNITS)
    x_density = _read_choice(bits, _JFIF_DENSITIES, 16)
    y_density = x_density if bits.flag() else bits.bits(16)
    return b"JFIF\x00" + struct.pack(">HBHH", version, units, x_density, y_density) + b"\x00\x00"


# ---------------------------------------------------------------- Adobe APP14
_ADOBE_USUAL = b"Adobe\x00\x64\x00\x00\x00\x00"  # version 100, no flags; the transform byte follows


def encode_adobe(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    if len(payload) != 12 or payload[:5] != b"Adobe":
        return False
    out.flag(payload[:11] == _ADOBE_USUAL)
    out.bits(int.from_bytes(payload[11:] if payload[:11] == _ADOBE_USUAL else payload[5:], "big"),
             8 if payload[:11] == _ADOBE_USUAL else 56)
    return True


def decode_adobe(bits: BitReader, state: HeaderState) -> bytes:
    if bits.flag():
        return _ADOBE_USUAL + bytes([bits.bits(8)])
    return b"Adobe" + bits.bits(56).to_bytes(7, "big")


# ---------------------------------------------------------------- DQT
_DQT_SCALED, _DQT_DELTA, _DQT_RAW = 0, 1, 2


def _parse_dqt(payload: bytes) -> list[tuple[int, int, np.ndarray]] | None:
    tables, pos = [], 0
    while pos < len(payload):
        pq, tq = payload[pos] >> 4, payload[pos] & 15
        size = 64 << pq
        if pq > 1 or tq > 3 or pos + 1 + size > len(payload):
            return None
        dtype = ">u2" if pq else "u1"
        tables.append((pq, tq, np.frombuffer(payload, dtype, 64, pos + 1).astype(np.int64)))
        pos += 1 + size
    return tables or None


def _write_quality(out: BitWriter, state: HeaderState, quality: int) -> None:
    if state.last_quality is not None:
        out.flag(quality == state.last_quality)
        if quality == state.last_quality:
            return
    out.bits(quality - 1, 7)
    state.last_quality = quality


def _read_quality(bits: BitReader, state: HeaderState) -> int:
    if state.last_quality is not None and bits.flag():
        return state.last_quality
    quality = bits.bits(7) + 1
    if quality > 100:
        raise CorruptMember("header stream has a quality above 100")
    state.last_quality = quality
    return quality


def encode_dqt(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    tables = _parse_dqt(payload)
    if tables is None:
        return False
    matches = [match_scaled(values) for _, _, values in tables]
    if state.raw_tables and None in matches:
        return False
    for index, ((pq, tq, values), match) in enumerate(zip(tables, matches)):
        if index:
            out.flag(True)  # another table follows in this segment
        expected_tq = state.dqt_tables & 3
        default = (pq == 0 and tq == expected_tq and match is not None
                   and match[0] == (1 if tq else 0) and match[2])
        out.flag(default)
        if default:
            _write_quality(out, state, match[1])
        else:
            out.bits(pq, 1)
            out.bits(tq, 2)
            _encode_table_values(values, pq, match, out, state)
        state.dqt_tables += 1
    out.flag(False)
    return True


def _encode_table_values(values: np.ndarray, pq: int, match, out: BitWriter, state: HeaderState) -> None:
    if match is not None:
        out.bits(_DQT_SCALED, 2)
        table_class, quality, force_baseline = match
    else:
        table_class, quality, force_baseline = nearest_scaled(values)
        deltas = values - scaled_table(table_class, quality, force_baseline)
        if int(signed_eg_bits(deltas).sum()) + 9 >= 64 * (8 << pq):
            out.bits(_DQT_RAW, 2)
            for value in values.tolist():
                out.bits(value, 8 << pq)
            return
        out.bits(_DQT_DELTA, 2)
    out.bits(table_class, 1)
    out.flag(force_baseline)
    _write_quality(out, state, quality)
    if match is None:
        for delta in deltas.tolist():
            out.se(delta)


def decode_dqt(bits: BitReader, state: HeaderState) -> bytes:
    parts, size = [], 0
    while True:
        if bits.flag():
            pq, tq = 0, state.dqt_tables & 3
            values = scaled_table(1 if tq else 0, _read_quality(bits, state), True)
        else:
            pq, tq = bits.bits(1), bits.bits(2)
            values = _decode_table_values(bits, pq, state)
        parts.append(bytes([pq << 4 | tq]) + values.astype(">u2" if pq else "u1").tobytes())
        state.dqt_tables += 1
        if not bits.flag():
            return b"".join(parts)
        size = _checked_size(size + len(parts[-1]))


def _decode_table_values(bits: BitReader, pq: int, state: HeaderState) -> np.ndarray:
    mode = bits.bits(2)
    if mode == _DQT_RAW:
        return np.array([bits.bits(8 << pq) for _ in range(64)], dtype=np.int64)
    if mode not in (_DQT_SCALED, _DQT_DELTA):
        raise CorruptMember("header stream has an unknown table mode")
    table_class, force_baseline = bits.bits(1), bits.flag()
    values = scaled_table(table_class, _read_quality(bits, state), force_baseline)
    if mode == _DQT_DELTA:
        values = values + np.array([bits.se() for _ in range(64)], dtype=np.int64)
    if values.min() < 0 or values.max() >= (256 << (8 * pq)):
        raise CorruptMember("header stream has a quantizer out of range")
    return values


# ---------------------------------------------------------------- DHT
_DHT_ORDER = ((0, 0), (1, 0), (0, 1), (1, 1))  # libjpeg: DC0, AC0, DC1, AC1
_DHT_STANDARD, _DHT_CUSTOM, _DHT_RAW = 0, 1, 2


def _parse_dht(payload: bytes) -> list[tuple[int, int, bytes]] | None:
    tables, pos = [], 0
    while pos < len(payload):
        tc, th = payload[pos] >> 4, payload[pos] & 15
        if tc > 1 or th > 3 or pos + 17 > len(payload):
            return None
        end = pos + 17 + sum(payload[pos + 1:pos + 17])
        if end > len(payload):
            return None
        tables.append((tc, th, payload[pos + 1:end]))
        pos = end
    return tables or None


def encode_dht(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    tables = _parse_dht(payload)
    if tables is None:
        return False
    standard = [table == STANDARD_HUFFMAN.get((tc, 1 if th else 0)) for tc, th, table in tables]
    if state.raw_tables and not all(standard):
        return False
    for index, ((tc, th, table), is_standard) in enumerate(zip(tables, standard)):
        if index:
            out.flag(True)
        default = is_standard and (tc, th) == _DHT_ORDER[state.dht_tables & 3]
        out.flag(default)
        if not default:
            out.bits(tc, 1)
            out.bits(th, 2)
            _encode_huffman(tc, table, out)
        state.dht_tables += 1
    out.flag(False)
    return True


def _encode_huffman(tc: int, table: bytes, out: BitWriter) -> None:
    for table_class in (0, 1):
        if table == STANDARD_HUFFMAN[(tc, table_class)]:
            out.bits(_DHT_STANDARD, 2)
            out.bits(table_class, 1)
            return
    symbols = table[16:]
    if len(set(symbols)) == len(symbols):
        out.bits(_DHT_CUSTOM, 2)
        for count in table[:16]:
            out.ue(count)
        remaining = list(SYMBOL_ORDER[tc])
        for symbol in symbols:
            index = remaining.index(symbol)
            out.ue(index)
            del remaining[index]
        return
    out.bits(_DHT_RAW, 2)
    for byte in table:
        out.bits(byte, 8)


def decode_dht(bits: BitReader, state: HeaderState) -> bytes:
    parts, size = [], 0
    while True:
        if bits.flag():
            tc, th = _DHT_ORDER[state.dht_tables & 3]
            table = STANDARD_HUFFMAN[(tc, 1 if th else 0)]
        else:
            tc, th = bits.bits(1), bits.bits(2)
            table = _decode_huffman(tc, bits)
        parts.append(bytes([tc << 4 | th]) + table)
        state.dht_tables += 1
        if not bits.flag():
            return b"".join(parts)
        size = _checked_size(size + len(parts[-1]))


def _decode_huffman(tc: int, bits: BitReader) -> bytes:
    mode = bits.bits(2)
    if mode == _DHT_STANDARD:
        return STANDARD_HUFFMAN[(tc, bits.bits(1))]
    if mode == _DHT_RAW:
        counts = bytes(bits.bits(8) for _ in range(16))
        return counts + bytes(bits.bits(8) for _ in range(sum(counts)))
    if mode != _DHT_CUSTOM:
        raise CorruptMember("header stream has an unknown Huffman table mode")
    counts = bytes(_checked(bits.ue(), 255) for _ in range(16))
    remaining = list(SYMBOL_ORDER[tc])
    if sum(counts) > len(remaining):
        raise CorruptMember("header stream has too many Huffman symbols")
    return counts + bytes(remaining.pop(_checked(bits.ue(), len(remaining) - 1)) for _ in range(sum(counts)))


def _checked_size(size: int) -> int:
    """Stop a hostile stream of cheap tables before it builds a segment no length field can hold."""
    if size > MAX_PAYLOAD:
        raise CorruptMember("header stream has an overlong segment")
    return size


def _checked(value: int, maximum: int) -> int:
    if value > maximum:
        raise CorruptMember("header stream has a value out of range")
    return value


# ---------------------------------------------------------------- SOF
_SOF_CODES = (0xC0, 0xC2, 0xC1)
_SAMPLING_CODES = (0x22, 0x11, 0x21)
_COUNT_CODES = (3, 1, 4)




def _write_bytes_or_flag(out: BitWriter, values: bytes, expected: bytes) -> None:
    out.flag(values == expected)
    if values != expected:
        for value in values:
            out.bits(value, 8)


def _read_bytes_or_flag(bits: BitReader, expected: bytes) -> bytes:
    return expected if bits.flag() else bytes(bits.bits(8) for _ in expected)


def _expected_ids(count: int) -> bytes:
    return bytes(range(1, count + 1))


_NAMED_IDS = {3: b"RGB", 4: b"CMYK"}  # Adobe-style component ids (Pillow writes them for CMYK)


def _write_ids(out: BitWriter, ids: bytes) -> None:
    out.flag(ids == _expected_ids(len(ids)))
    if ids != _expected_ids(len(ids)):
        _write_bytes_or_flag(out, ids, _NAMED_IDS.get(len(ids), _expected_ids(len(ids))))


def _read_ids(bits: BitReader, count: int) -> bytes:
    if bits.flag():
        return _expected_ids(count)
    return _read_bytes_or_flag(bits, _NAMED_IDS.get(count, _expected_ids(count)))


def _expected_tq(count: int) -> bytes:
    return bytes([0] + [1] * (count - 1))[:count] if count < 4 else bytes(count)


def encode_sof(marker: int, payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    if len(payload) < 6 or len(payload) != 6 + 3 * payload[5]:
        return False
    _write_choice(out, marker, _SOF_CODES)
    out.flag(payload[0] == 8)
    if payload[0] != 8:
        out.bits(payload[0], 8)
    height, width = int.from_bytes(payload[1:3], "big"), int.from_bytes(payload[3:5], "big")
    out.uint(height)
    out.flag(width == height)
    if width != height:
        out.uint(width)
    count = payload[5]
    _write_choice(out, count, _COUNT_CODES)
    components = payload[6:]
    _write_ids(out, components[0::3])
    if count:
        _write_choice(out, components[1], _SAMPLING_CODES)
        _write_bytes_or_flag(out, components[4::3], bytes([0x11] * (count - 1)))
    _write_bytes_or_flag(out, components[2::3], _expected_tq(count))
    state.component_ids, state.component_tables = tuple(components[0::3]), tuple(components[2::3])
    return True


def decode_sof(bits: BitReader, state: HeaderState) -> tuple[int, bytes]:
    marker = _read_choice(bits, _SOF_CODES)
    if marker not in SOF_MARKERS:
        raise CorruptMember("header stream has an invalid frame marker")
    precision = 8 if bits.flag() else bits.bits(8)
    height = _checked(bits.uint(), 0xFFFF)
    width = height if bits.flag() else _checked(bits.uint(), 0xFFFF)
    count = _read_choice(bits, _COUNT_CODES)
    ids = _read_ids(bits, count)
    sampling = bytes([_read_choice(bits, _SAMPLING_CODES)]) if count else b""
    sampling += _read_bytes_or_flag(bits, bytes([0x11] * (count - 1))) if count else b""
    tables = _read_bytes_or_flag(bits, _expected_tq(count))
    components = bytes(b for triple in zip(ids, sampling, tables) for b in triple)
    state.component_ids, state.component_tables = tuple(ids), tuple(tables)
    return marker, struct.pack(">BHHB", precision, height, width, count) + components


# ---------------------------------------------------------------- SOS
# (Ss, Se, Ah<<4|Al) of the scans libjpeg's jpeg_simple_progression writes, then the same without
# successive approximation; the sequential scan (0, 63, 0) has its own flag.
_SPECTRAL = tuple(bytes(t) for t in (
    (0, 0, 0x01), (1, 5, 0x02), (1, 63, 0x01), (6, 63, 0x02), (1, 63, 0x21), (0, 0, 0x10), (1, 63, 0x10),
    (0, 0, 0x00), (1, 63, 0x00), (1, 5, 0x00), (6, 63, 0x00)))
_SEQUENTIAL = b"\x00\x3f\x00"
_SPECTRAL_ESCAPE = 15


def _expected_selectors(state: HeaderState, count: int) -> bytes:
    ids = state.component_ids[:count]
    return bytes(ids) if len(ids) == count else _expected_ids(count)


def _expected_tables(state: HeaderState, selectors: bytes, spectral: bytes) -> bytes:
    """libjpeg's choice: a component's Huffman tables have its quantization table's number (luma 0,
    chroma 1, CMYK all 0); DC tables only in DC scans (0 in refinements), AC tables only in AC scans."""
    ids, quant = state.component_ids, state.component_tables
    chroma = [quant[ids.index(c)] & 15 if c in ids else int(i > 0) for i, c in enumerate(selectors)]
    if spectral[0] == 0 and spectral[1] == 63:
        return bytes(t * 0x11 for t in chroma)
    if spectral[0] == 0:
        return bytes((0 if spectral[2] >> 4 else t) << 4 for t in chroma)
    return bytes(chroma)


def encode_sos(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    if len(payload) < 4 or len(payload) != 4 + 2 * payload[0]:
        return False
    count, selectors, tables, spectral = payload[0], payload[1:-3:2], payload[2:-3:2], payload[-3:]
    _write_choice(out, count, _COUNT_CODES)
    expected = _expected_selectors(state, count)
    out.flag(selectors == expected)
    if selectors != expected:
        ids = state.component_ids
        in_frame = len(ids) <= 4 and all(c in ids for c in selectors)
        out.flag(in_frame)
        for selector in selectors:
            if in_frame:
                out.bits(ids.index(selector), 2)
            else:
                out.bits(selector, 8)
    out.flag(spectral == _SEQUENTIAL)
    if spectral != _SEQUENTIAL:
        index = _SPECTRAL.index(spectral) if spectral in _SPECTRAL else _SPECTRAL_ESCAPE
        out.bits(index, 4)
        if index == _SPECTRAL_ESCAPE:
            out.bits(int.from_bytes(spectral, "big"), 24)
    _write_bytes_or_flag(out, tables, _expected_tables(state, selectors, spectral))
    return True


def decode_sos(bits: BitReader, state: HeaderState) -> bytes:
    count = _read_choice(bits, _COUNT_CODES)
    selectors = _expected_selectors(state, count)
    if not bits.flag():
        ids = state.component_ids
        if bits.flag():
            if len(ids) > 4 or not ids:
                raise CorruptMember("header stream has a scan component outside the frame")
            selectors = bytes(ids[_checked(bits.bits(2), len(ids) - 1)] for _ in range(count))
        else:
            selectors = bytes(bits.bits(8) for _ in range(count))
    spectral = _SEQUENTIAL
    if not bits.flag():
        index = bits.bits(4)
        if index == _SPECTRAL_ESCAPE:
            spectral = bits.bits(24).to_bytes(3, "big")
        elif index < len(_SPECTRAL):
            spectral = _SPECTRAL[index]
        else:
            raise CorruptMember("header stream has an unknown scan code")
    tables = _read_bytes_or_flag(bits, _expected_tables(state, selectors, spectral))
    return bytes([count]) + bytes(b for pair in zip(selectors, tables) for b in pair) + spectral


# ---------------------------------------------------------------- DRI
def encode_dri(payload: bytes, out: BitWriter, state: HeaderState) -> bool:
    if len(payload) != 2:
        return False
    out.uint(int.from_bytes(payload, "big"))
    return True


def decode_dri(bits: BitReader, state: HeaderState) -> bytes:
    return _checked(bits.uint(), 0xFFFF).to_bytes(2, "big")
