"""Bytes in, bytes out: the Python API behind the CLI.

`compress` tries the JPEG coefficient path for JPEG input, then zstd, then stored, and (unless told
not to) decodes what it built and compares it with the input before returning it: a candidate that
does not give back the exact bytes is dropped for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
import zstandard

from mlzip import container, limits, zstdctx
from mlzip.errors import CorruptMember, LimitExceeded, MlzError, ModelError
from mlzip.jpeg_bounds import JPEG_SIGNATURE, image_end

log = logging.getLogger("mlzip")

# Compression level (1 fast ... 9 best) -> zstd level for the zstd path.
ZSTD_LEVELS = {1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 12, 7: 15, 8: 17, 9: 19}
DEFAULT_LEVEL = 6


@dataclass(frozen=True)
class MemberInfo:
    mode: str
    mode_id: int
    model_id: int
    original_size: int
    compressed_size: int
    name: str | None
    mtime: int | None
    checksum: str


Candidate = Callable[[bytes, int, "str | None"], "tuple[int, int, list[bytes]] | None"]


def compress(
    data: bytes,
    level: int = DEFAULT_LEVEL,
    *,
    model: str | None = None,
    verify: bool = True,
    name: str | None = None,
    mtime: int | None = None,
) -> bytes:
    """Compress `data` into one .mlz member, or one per image where JPEGs follow each other (an MPO's
    or a gain map's images after the first one's EOI): each then takes the coefficient path."""
    if level not in ZSTD_LEVELS:
        raise ValueError(f"level must be 1 to 9, not {level}")
    if len(data) > limits.MAX_INPUT_BYTES:
        raise LimitExceeded(f"input of {len(data)} bytes is past the limit of {limits.MAX_INPUT_BYTES}")
    data = bytes(data)
    members = []
    for start, end in _image_spans(data):
        members.append(_compress_member(data[start:end], level, model, verify,
                                        name if start == 0 else None, mtime if start == 0 else None))
    return b"".join(members)


def _compress_member(data: bytes, level: int, model: str | None, verify: bool, name: str | None,
                     mtime: int | None) -> bytes:
    raw_name = name.encode("utf-8", "surrogateescape") if name is not None else None
    for candidate in (_jpeg_candidate, _zstd_candidate, _stored_candidate):
        try:
            built = candidate(data, level, model)
        except (ModelError, MemoryError):
            raise
        except MlzError as exc:  # a coder that cannot take this input only costs ratio
            log.debug("%s skipped: %s", candidate.__name__, exc)
            continue
        except Exception as exc:  # a bug in a coder must not lose the file either: next mode
            log.warning("%s failed (%s: %s); trying the next mode", candidate.__name__, type(exc).__name__, exc)
            continue
        if built is None:
            continue
        mode, model_id, sections = built
        if mode not in (container.MODE_STORED, container.MODE_ZSTD) and sum(map(len, sections)) > len(data):
            continue  # a JPEG member larger than the file itself (hostile or damaged JPEG): zstd or stored
        member = container.encode_member(mode, model_id, data, sections, name=raw_name, mtime=mtime)
        if not verify or _decodes_to(member, data):
            return member
        log.warning("mode %s failed verification; trying the next one", container.MODE_NAMES[mode])
    raise MlzError("internal error: no mode reproduced the input")


def _image_spans(data: bytes) -> list[tuple[int, int]]:
    """Where ``data`` splits into JPEGs that follow each other: a JPEG's EOI (after its first SOS)
    followed by another's SOI, with at most MAX_GAP zero bytes between them and at least
    APPENDED_JPEG_MIN bytes from there. Any split gives back the same bytes (members concatenate);
    this one lets each image be coded as a JPEG."""
    spans = []
    start = 0
    while True:
        cut = _appended_jpeg(data, start)
        if cut is None:
            spans.append((start, len(data)))
            return spans
        spans.append((start, cut))
        start = cut


APPENDED_JPEG_MIN = 4096  # a smaller appended image stays in the first one's suffix (a member costs ~30 B)
MAX_GAP = 64  # zero bytes allowed between an EOI and the next image's SOI


def _appended_jpeg(data: bytes, start: int) -> int | None:
    """The offset of a JPEG appended to the one at ``start`` (see _image_spans), or None."""
    if len(data) - start <= APPENDED_JPEG_MIN:  # no room for one after this SOI (walking the
        return None  # segments to see was 0.9 % of a 1 KB file's verified compress)
    end = image_end(data, start)
    if end is None:
        return None
    soi = end
    while soi < len(data) and soi - end < MAX_GAP and data[soi] == 0:  # MPO writers pad with zeros
        soi += 1
    if not data.startswith(JPEG_SIGNATURE, soi) or len(data) - soi < APPENDED_JPEG_MIN:
        return None
    return soi


def decompress(data: bytes) -> bytes:
    """Decode every member of an .mlz stream, in order, and return their concatenation."""
    return b"".join(decode_member(header, sections) for header, sections in container.split_members(data))


def inspect(data: bytes) -> list[MemberInfo]:
    """Describe every member of an .mlz stream without decoding it."""
    return [member_info(header) for header, _ in container.split_members(data)]


def member_info(header: container.MemberHeader) -> MemberInfo:
    return MemberInfo(
        mode=container.MODE_NAMES[header.mode],
        mode_id=header.mode,
        model_id=header.model_id,
        original_size=header.original_size,
        compressed_size=header.member_size,
        name=header.name.decode("utf-8", "surrogateescape") if header.name is not None else None,
        mtime=header.mtime,
        checksum=header.checksum.hex(),
    )


def iter_decoded(data: bytes) -> Iterator[bytes]:
    """Decode member by member (the CLI streams them to stdout)."""
    for header, sections in container.split_members(data):
        yield decode_member(header, sections)


def decode_member(header: container.MemberHeader, sections: list[memoryview]) -> bytes:
    """Decode one member and prove it is the original: exact size and checksum."""
    out = _decode_sections(header, sections)
    if len(out) != header.original_size:
        raise CorruptMember(f"decoded {len(out)} bytes, the header says {header.original_size}")
    if container.checksum(out) != header.checksum:
        raise CorruptMember("data is altered (checksum mismatch)")
    return out


def _decode_sections(header: container.MemberHeader, sections: list[memoryview]) -> bytes:
    mode = header.mode
    if mode == container.MODE_STORED:
        (section,) = _expect_sections(sections, 1)
        return bytes(section)
    if mode == container.MODE_ZSTD:
        (section,) = _expect_sections(sections, 1)
        return _zstd_decode(section, header.original_size)
    try:
        return _jpegpath().decode(mode, header.model_id, [bytes(s) for s in sections], header.original_size)
    except MlzError:
        raise
    except Exception as exc:  # a damaged section must read as corruption, not as a traceback
        raise CorruptMember(f"{container.MODE_NAMES[mode]} data is altered ({type(exc).__name__})") from exc


def _expect_sections(sections: list[memoryview], count: int) -> list[memoryview]:
    if len(sections) != count:
        raise CorruptMember(f"{len(sections)} sections where {count} belong")
    return sections


def _zstd_decode(frame: memoryview, original_size: int) -> bytes:
    try:
        declared = zstandard.frame_content_size(frame)
        if declared != original_size:
            raise CorruptMember("zstd frame size disagrees with the header")
        decoder = zstdctx.decompressor().decompressobj()
        out = decoder.decompress(frame)
    except zstandard.ZstdError as exc:
        raise CorruptMember(f"zstd data is altered ({exc})") from None
    if not decoder.eof:
        raise CorruptMember("zstd data is truncated")
    if decoder.unused_data:
        raise CorruptMember("garbage after the zstd frame")
    return out


def _decodes_to(member: bytes, original: bytes) -> bool:
    try:
        return decompress(member) == original
    except MlzError as exc:
        log.debug("verification raised %s", exc)
        return False


def _jpeg_candidate(data: bytes, level: int, model: str | None) -> tuple[int, int, list[bytes]] | None:
    if not data.startswith(JPEG_SIGNATURE) or len(data) > limits.MAX_JPEG_BYTES:
        return None
    return _jpegpath().encode(data, level, model)


_jpegpath_module = None


def _jpegpath():
    """mlzip.jpegpath, imported on first use: the coefficient path loads numba and numpy (an
    import statement per call cost ~1 us)."""
    global _jpegpath_module
    if _jpegpath_module is None:
        from mlzip import jpegpath

        _jpegpath_module = jpegpath
    return _jpegpath_module


def _zstd_candidate(data: bytes, level: int, model: str | None) -> tuple[int, int, list[bytes]] | None:
    frame = zstdctx.compressor(ZSTD_LEVELS[level]).compress(data)
    if len(frame) >= len(data):
        return None
    return container.MODE_ZSTD, 0, [frame]


def _stored_candidate(data: bytes, level: int, model: str | None) -> tuple[int, int, list[bytes]]:
    return container.MODE_STORED, 0, [data]
