"""zstd dictionaries for header bytes, by the id that blobs record.

A dictionary once shipped never changes: a better one gets a new id and a new file, and the old entry
stays so old blobs still decode. Id 0 means no dictionary. Ids fit in 4 bits (see blob.py).
"""

from __future__ import annotations

import threading

import zstandard

from mlzip.assets import load_verified
from mlzip.errors import CorruptMember, ModelError

# id -> (file under models/, sha256); every dictionary is raw content (tools/train_header_dict.py)
DICTIONARIES: dict[int, tuple[str, str]] = {
    # photos-train + CIFAR-10 train (files < 4500; they leave nothing raw), 7384 bytes, sRGB ICC inside
    1: ("zdict-header-v1.bin", "75cb968812c19d6e2afdc3ae53ef4378bf4ba9be0d62ec87660d578cace25c57"),
}
# The id new blobs use (0 = none).
CURRENT_ID = 1
MAX_ID = 15

_FORMAT = zstandard.FORMAT_ZSTD1_MAGICLESS
_local = threading.local()  # zstd contexts are not thread-safe: one set per thread


def _dict_data(dict_id: int) -> zstandard.ZstdCompressionDict | None:
    if dict_id == 0:
        return None
    if dict_id not in DICTIONARIES:
        raise CorruptMember(f"header blob names unknown dictionary {dict_id}")
    name, sha256 = DICTIONARIES[dict_id]
    return zstandard.ZstdCompressionDict(load_verified(name, sha256), dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def compressor(dict_id: int, level: int) -> zstandard.ZstdCompressor:
    cache = _local.__dict__.setdefault("compressors", {})
    key = (dict_id, level)
    if key not in cache:
        params = zstandard.ZstdCompressionParameters.from_level(
            level, format=_FORMAT, write_checksum=0, write_content_size=1, write_dict_id=0)
        cache[key] = zstandard.ZstdCompressor(dict_data=_dict_data(dict_id), compression_params=params)
    return cache[key]


def decompress(dict_id: int, data: bytes, limit: int) -> bytes:
    """Decompress one magicless frame, refusing output beyond `limit` bytes."""
    cache = _local.__dict__.setdefault("decompressors", {})
    if dict_id not in cache:
        cache[dict_id] = zstandard.ZstdDecompressor(dict_data=_dict_data(dict_id), format=_FORMAT)
    try:
        with cache[dict_id].stream_reader(data, read_across_frames=False) as reader:
            out = reader.read(limit + 1)
            if len(out) > limit:
                raise CorruptMember("header blob expands beyond its limit")
            return out
    except zstandard.ZstdError as error:
        raise CorruptMember(f"header blob has a damaged zstd frame ({error})") from None


__all__ = ["CURRENT_ID", "DICTIONARIES", "MAX_ID", "compressor", "decompress", "ModelError"]
