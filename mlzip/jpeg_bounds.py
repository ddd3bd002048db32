"""Where a JPEG inside a byte string ends, from its segment lengths alone (no decoding).

Used to find images that ride along with a JPEG: appended after its EOI (mlzip.api) or embedded in
its header (mlzip.thumbnail). A wrong answer can only cost ratio: every member is verified.
"""

from __future__ import annotations

JPEG_SIGNATURE = b"\xff\xd8\xff"


def image_end(data: bytes, start: int) -> int | None:
    """The offset after the EOI of the JPEG whose SOI is at ``start``: the first 0xFF 0xD9 after its
    first SOS (it cannot occur in scan data), or None where the segments or the EOI are missing."""
    if not data.startswith(JPEG_SIGNATURE, start):
        return None
    p = start + 2
    while True:  # the header's segments, to the first SOS: an embedded image's EOI is no end
        if p + 4 > len(data) or data[p] != 0xFF:
            return None
        marker = data[p + 1]
        if marker == 0xFF:  # a fill byte
            p += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length field
            p += 2
        elif marker == 0xDA:
            break
        else:
            p += 2 + int.from_bytes(data[p + 2:p + 4], "big")
    eoi = data.find(b"\xff\xd9", p)
    return None if eoi < 0 else eoi + 2
