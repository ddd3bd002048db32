"""Find the header (SOI up to the end of the first SOS) of a JPEG file, for training and benchmarks.

The JPEG layer produces headers for real; this walk is only as lenient as measuring needs: fill bytes
(FF FF) and stand-alone markers are stepped over, and a file without an SOS yields None.
"""

from __future__ import annotations

_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])


def header_segments(data: bytes, start: int = 2) -> list[tuple[int, int, int]]:
    """(start, end, marker) of every length-carrying segment from ``start`` up to and including the
    first SOS; stops early (without the SOS) where the walk runs off the data or off the markers."""
    out = []
    pos = start
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end > len(data):
            break
        out.append((pos, end, marker))
        if marker == 0xDA:
            break
        pos = end
    return out


def jpeg_header(data: bytes) -> bytes | None:
    if data[:2] != b"\xff\xd8":
        return None
    segments = header_segments(data)
    if not segments or segments[-1][2] != 0xDA:
        return None
    return data[:segments[-1][1]]
