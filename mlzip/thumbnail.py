"""A JPEG embedded in a JPEG's header (the Exif thumbnail, a Photoshop preview) coded as a JPEG.

The header coder sees such an image as opaque bytes for zstd, which saves next to nothing on
entropy-coded data. `split` cuts the first embedded JPEG, and every other copy of it (Photoshop's
and the Exif thumbnail are often the same bytes), out of the header, leaving zeros of the same
length (segment lengths stay true, so the header still codes structurally, and zstd takes the zero
runs for a few bytes), and codes the image itself as an .mlz stream (its own coefficient path),
stored in a fourth section where every member of it took the coefficient path:

    varint n (copies), n varints (each copy's offset from the end of the previous one, the first
    from the start of the header), then the image's .mlz stream (no name, no mtime)

`join` puts it back. Images nested deeper (a thumbnail inside the thumbnail) stay in their header:
decoding refuses a fourth section below the top level, so a damaged or hostile member cannot recurse.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mlzip import varint
from mlzip.errors import CorruptMember
from mlzip.jpeg_bounds import JPEG_SIGNATURE, image_end

MIN_BYTES = 1024  # a smaller embedded image costs more as a member than it saves
_depth = threading.local()


def span(header: bytes) -> tuple[int, int] | None:
    """(start, end) of the first whole JPEG embedded in ``header``, or None."""
    start = header.find(JPEG_SIGNATURE, 2)
    while start >= 0:
        end = image_end(header, start)
        if end is not None:
            return (start, end) if end - start >= MIN_BYTES else None
        start = header.find(JPEG_SIGNATURE, start + 3)
    return None


def nested() -> bool:
    """True while coding an embedded image: no image is cut out of its header in turn."""
    return getattr(_depth, "value", 0) > 0


@contextmanager
def _inside() -> Iterator[None]:
    _depth.value = getattr(_depth, "value", 0) + 1
    try:
        yield
    finally:
        _depth.value -= 1


def split(header: bytes, level: int) -> tuple[bytes, bytes] | None:
    """(header with the embedded image zeroed, the fourth section), or None where there is no image
    or it would not take the coefficient path (zstd of it in the header does as well)."""
    where = span(header)
    if where is None or nested():
        return None
    from mlzip import api

    start, end = where
    image = header[start:end]
    with _inside():  # unverified: the member holding it is decoded and compared as a whole
        stream = api.compress(image, level, verify=False)
    if any(m.mode != "model" for m in api.inspect(stream)):
        return None
    rest, fields, previous_end = bytearray(header), [], 0
    while start >= 0:
        rest[start:start + len(image)] = bytes(len(image))
        fields.append(varint.encode(start - previous_end))
        previous_end = start + len(image)
        start = header.find(image, previous_end)
    return bytes(rest), varint.encode(len(fields)) + b"".join(fields) + stream


def join(header: bytes, section: bytes) -> bytes:
    """The header with the image of ``section`` (from `split`) put back in place of its zeros."""
    from mlzip import api

    if nested():
        raise CorruptMember("an embedded image inside an embedded image")
    copies, pos = varint.decode(section, 0, "embedded image")
    if not 1 <= copies <= len(header) // MIN_BYTES:
        raise CorruptMember(f"{copies} copies of an embedded image in a header of {len(header)} bytes")
    gaps = []
    for _ in range(copies):
        gap, pos = varint.decode(section, pos, "embedded image")
        gaps.append(gap)
    with _inside():
        image = api.decompress(section[pos:])
    out, start = bytearray(header), 0
    for gap in gaps:
        start += gap
        end = start + len(image)
        if end > len(header) or header[start:end].count(0) != len(image):
            raise CorruptMember("embedded image does not fit its place in the header")
        out[start:end] = image
        start = end
    return bytes(out)
