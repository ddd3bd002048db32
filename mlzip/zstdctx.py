"""Reusable zstd contexts, one set per thread (python-zstandard's objects are not thread-safe).

Creating a context costs more than compressing a small file's layout or a tiny JPEG; a reused one
gives the same bytes (each call starts a new frame).
"""

from __future__ import annotations

import threading

import zstandard

_local = threading.local()


def compressor(level: int) -> zstandard.ZstdCompressor:
    """A compressor at `level` that writes the content size in the frame."""
    cache = _local.__dict__.setdefault("compressors", {})
    if level not in cache:
        cache[level] = zstandard.ZstdCompressor(level=level, write_content_size=True)
    return cache[level]


def decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.decompressor
