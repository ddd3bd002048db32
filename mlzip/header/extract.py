"""Find the header (SOI up to the end of the first SOS) of a JPEG file, for training and benchmarks.

The JPEG layer produces headers for real; this walk is only as lenient as measuring needs: fill bytes
(FF FF) and stand-alone markers are stepped over, and a file without an SOS yields None.
"""

from __future__ import annotations

_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])


def jpeg_header(data: bytes) -> bytes | None:
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:
            return data[:end] if end <= len(data) else None
        pos = end
    return None
