"""Split JPEG header bytes into marker segments, and join them back.

Only the strict form is accepted: each segment is FF, a marker byte that carries a length, a two-byte
length >= 2 and its payload, back to back with nothing between. Anything else (fill bytes, stand-alone
markers, a cut segment) makes `split_segments` return None and the caller codes the bytes generically.
"""

from __future__ import annotations

from typing import NamedTuple

SOI = b"\xff\xd8"
SOS = 0xDA
DHT = 0xC4
DQT = 0xDB
DRI = 0xDD
APP0 = 0xE0
APP14 = 0xEE
# Start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames).
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field, and bytes that are not markers at all.
_NO_LENGTH = frozenset([0x00, 0x01, 0xFF, *range(0xD0, 0xDA)])


MAX_PAYLOAD = 0xFFFF - 2  # the two-byte length field counts itself


class Segment(NamedTuple):
    marker: int
    payload: bytes


def split_segments(data: bytes) -> list[Segment] | None:
    segments: list[Segment] = []
    pos, size = 0, len(data)
    while pos < size:
        if pos + 4 > size or data[pos] != 0xFF or data[pos + 1] in _NO_LENGTH:
            return None
        length = (data[pos + 2] << 8) | data[pos + 3]
        end = pos + 2 + length
        if length < 2 or end > size:
            return None
        segments.append(Segment(data[pos + 1], data[pos + 4:end]))
        pos = end
    return segments


def join_segments(segments: list[Segment]) -> bytes:
    parts = []
    for marker, payload in segments:
        parts.append(bytes((0xFF, marker, (len(payload) + 2) >> 8, (len(payload) + 2) & 0xFF)))
        parts.append(payload)
    return b"".join(parts)
