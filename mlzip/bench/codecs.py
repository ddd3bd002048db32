"""One small interface for every compared tool, and the in-process peers.

In the style of CompressAI's ``utils/bench/codecs.py``: a class per tool with a name, a description,
``available()``, ``compress(bytes) -> bytes`` and ``decompress(bytes) -> bytes``. Heavy libraries are
imported inside the methods, so listing the tools stays cheap and a missing library only makes its
tool unavailable.

Codec objects are pickled into one child process per tool (see ``worker.py``): keep their state to
plain attributes and build library handles lazily in ``prepare()``.
"""

from __future__ import annotations

import abc
import importlib
import importlib.metadata
import lzma
import sys
from typing import Any


class Codec(abc.ABC):
    """A lossless compressor under test."""

    name: str = ""
    description: str = ""
    # Python modules the tool needs: checked by availability(), imported by prepare().
    requires: tuple[str, ...] = ()
    # True when compress/decompress start other programs: their memory is measured as children's.
    runs_subprocess: bool = False

    def availability(self) -> str | None:
        """None when the tool can run here, else the reason it cannot."""
        for module in self.requires:
            reason = missing_module(module)
            if reason:
                return reason
        return None

    def available(self) -> bool:
        return self.availability() is None

    def version(self) -> str:
        return "unknown"

    def prepare(self) -> None:
        """Load libraries and build reusable handles (runs once in the worker, before timing)."""
        for module in self.requires:
            importlib.import_module(module)

    @abc.abstractmethod
    def compress(self, data: bytes) -> bytes: ...

    @abc.abstractmethod
    def decompress(self, data: bytes) -> bytes: ...

    def describe(self, packed: bytes) -> dict[str, Any]:
        """Extra per-file facts read from the compressed output (mlzip: the path it took)."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def missing_module(module: str) -> str | None:
    """None when ``module`` imports, else a one-line reason."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # any import failure means "not available here", never a crash
        return f"cannot import {module}: {type(exc).__name__}: {exc}".splitlines()[0]
    return None


def distribution_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class ZstdCodec(Codec):
    name = "zstd"
    description = "zstd -19 (python-zstandard, one frame per file)"

    def __init__(self, level: int = 19) -> None:
        self.level = level
        self._compressor: Any = None
        self._decompressor: Any = None

    requires = ("zstandard",)

    def version(self) -> str:
        import zstandard

        return f"python-zstandard {zstandard.__version__}, libzstd {'.'.join(map(str, zstandard.ZSTD_VERSION))}"

    def prepare(self) -> None:
        import zstandard

        # One reusable compressor, as python-zstandard recommends for loops.
        self._compressor = zstandard.ZstdCompressor(level=self.level)
        self._decompressor = zstandard.ZstdDecompressor()

    def compress(self, data: bytes) -> bytes:
        if self._compressor is None:
            self.prepare()
        return self._compressor.compress(data)

    def decompress(self, data: bytes) -> bytes:
        if self._decompressor is None:
            self.prepare()
        return self._decompressor.decompress(data)

    def __getstate__(self) -> dict[str, Any]:
        # zstandard handles do not pickle; the worker rebuilds them in prepare().
        return {"level": self.level, "_compressor": None, "_decompressor": None}


class XzCodec(Codec):
    name = "xz"
    description = "xz -9e (Python's lzma module, .xz container)"

    def version(self) -> str:
        return f"liblzma via Python {sys.version.split()[0]} lzma"

    def compress(self, data: bytes) -> bytes:
        return lzma.compress(data, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)

    def decompress(self, data: bytes) -> bytes:
        return lzma.decompress(data, format=lzma.FORMAT_XZ)


class BrotliCodec(Codec):
    name = "brotli"
    description = "brotli quality 11, window 22 (Google brotli bindings)"

    requires = ("brotli",)

    def version(self) -> str:
        import brotli

        return f"brotli {brotli.__version__}"

    def compress(self, data: bytes) -> bytes:
        import brotli

        return brotli.compress(data, quality=11, lgwin=22)

    def decompress(self, data: bytes) -> bytes:
        import brotli

        return brotli.decompress(data)


class LibraryCodec(Codec):
    """A peer that is one Python function each way: ``module.encode(bytes)`` / ``module.decode(bytes)``."""

    module = ""
    encode = ""
    decode = ""

    def compress(self, data: bytes) -> bytes:
        return bytes(getattr(importlib.import_module(self.module), self.encode)(data))

    def decompress(self, data: bytes) -> bytes:
        return bytes(getattr(importlib.import_module(self.module), self.decode)(data))


class JxlCodec(LibraryCodec):
    name = "jxl"
    description = "JPEG XL lossless JPEG transcoding (imagecodecs.jpegxl_encode_jpeg / jpegxl_decode_jpeg)"
    requires = ("imagecodecs",)
    module, encode, decode = "imagecodecs", "jpegxl_encode_jpeg", "jpegxl_decode_jpeg"

    def availability(self) -> str | None:
        reason = super().availability()
        if reason:
            return reason
        import imagecodecs

        if not hasattr(imagecodecs, "jpegxl_encode_jpeg") or not imagecodecs.JPEGXL.available:
            return "imagecodecs was built without JPEG XL"
        return None

    def version(self) -> str:
        import imagecodecs

        return f"imagecodecs {imagecodecs.__version__}, {imagecodecs.jpegxl_version()}"


class LeptonCodec(LibraryCodec):
    name = "lepton"
    description = "Lepton, Rust port (lepton_jpeg_python from PyPI: compress_bytes / decompress_bytes)"
    requires = ("lepton_jpeg_python",)
    module, encode, decode = "lepton_jpeg_python", "compress_bytes", "decompress_bytes"

    def version(self) -> str:
        return f"lepton_jpeg_python {distribution_version('lepton_jpeg_python')}"


class LeptonVerifyCodec(LeptonCodec):
    """Lepton with the check `mlzip c` makes: compress, decompress, compare.

    lepton_jpeg_python's compress_bytes calls the library's encode_lepton, which does not decode its
    output again (the library's encode_lepton_verify does, and is not exposed to Python); mlzip's
    compress ends with that decode-and-compare. This peer does the same work, so that compress
    speeds compare like with like (and ``mlzip-N-noverify`` against plain ``lepton``)."""

    name = "lepton-verify"
    description = "Lepton, Rust port, compress_bytes followed by decompress_bytes and a byte comparison"

    def compress(self, data: bytes) -> bytes:
        packed = super().compress(data)
        if super().decompress(packed) != data:
            raise ValueError("lepton's output does not decode to the input")
        return packed
