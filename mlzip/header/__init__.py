"""Compact, exact coding of JPEG header bytes (SOI up to the end of the first SOS, or any bytes at all).

    blob = encode_header(header)          # any bytes are accepted
    header = decode_header(blob)          # == header; CorruptMember on a damaged blob

A blob is not self-delimiting: the container stores its length. Encoding is deterministic.

A header written by libjpeg with its standard tables (Pillow, cjpeg, most cameras' thumbnails) costs a
handful of bytes: quantization tables as an IJG quality, Huffman tables as "Annex K", segment order as
predicted bits. Other tables are coded as residuals; Exif, ICC, COM and anything unparsed go through
zstd with a dictionary trained on real headers (models/, id recorded in the blob).

`encode_segments(data, context)` codes a run of complete segments without SOI, e.g. the DHT/DRI/SOS
segments between the scans of a progressive JPEG; `context` is the file's header (as given to
encode_header), whose SOF tells the component ids and tables that scans refer to. Pass the same
context to `decode_segments`. Blob layout: mlzip/header/blob.py; segment codes: segment_codecs.py.
"""

from __future__ import annotations

from functools import lru_cache

from mlzip.errors import CorruptMember, MlzError
from mlzip.header import blob as _blob
from mlzip.header.markers import SOF_MARKERS, SOI, split_segments
from mlzip.header.segment_codecs import HeaderState

__all__ = ["decode_header", "decode_segments", "encode_header", "encode_segments"]

# Headers up to this size keep their blob for the next file with the same header (sets of small
# files share theirs: Pillow's, a camera's thumbnails); bigger ones hold unique Exif anyway.
_CACHED_HEADER_BYTES = 4096
# Compact blobs up to this size keep their decoded header for the next member with the same blob
# (sets of small files share one: 7 bytes for every CIFAR-10 JPEG; structural decoding was a fifth
# of their decompress time).
_CACHED_BLOB_BYTES = 512


def _encode(data: bytes, with_soi: bool, state: HeaderState) -> bytes:
    data = bytes(data)
    for candidate in sorted(_blob.candidates(data, with_soi, state), key=len):
        try:
            if _decode(candidate, with_soi, state) == data:
                return candidate
        except MlzError:  # a bug in a compact code must cost bytes, never exactness
            pass
    return bytes([_blob.MODE_STORED << 6]) + data  # only if every compact code failed its check


def _decode(blob: bytes, with_soi: bool, state: HeaderState) -> bytes:
    try:
        return _blob.decode(bytes(blob), with_soi, state)
    except CorruptMember:
        raise
    except (ValueError, IndexError, KeyError, OverflowError) as error:
        raise CorruptMember(f"damaged header blob ({error})") from None


def _context_state(context: bytes) -> HeaderState:
    segments = split_segments(context[2:]) if context[:2] == SOI else None
    for marker, payload in segments or ():
        if marker in SOF_MARKERS and len(payload) >= 6 and len(payload) == 6 + 3 * payload[5]:
            return HeaderState(component_ids=tuple(payload[6::3]), component_tables=tuple(payload[8::3]))
    return HeaderState()


def encode_header(header: bytes) -> bytes:
    header = bytes(header)
    if len(header) <= _CACHED_HEADER_BYTES:
        return _encode_small_header(header)
    return _encode(header, True, HeaderState())


@lru_cache(maxsize=32)
def _encode_small_header(header: bytes) -> bytes:
    return _encode(header, True, HeaderState())  # a pure function of the bytes, checked by _encode


def decode_header(blob: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) <= _CACHED_BLOB_BYTES:
        return _decode_small_header(blob)
    return _decode(blob, True, HeaderState())


@lru_cache(maxsize=32)
def _decode_small_header(blob: bytes) -> bytes:
    return _decode(blob, True, HeaderState())  # a pure function of the bytes (errors are not cached)


def encode_segments(data: bytes, context: bytes = b"") -> bytes:
    return _encode(data, False, _context_state(bytes(context)))


def decode_segments(blob: bytes, context: bytes = b"") -> bytes:
    return _decode(blob, False, _context_state(bytes(context)))
