import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

import pytest

from mlzip import api, container, limits
from mlzip.errors import CorruptMember, UnsupportedVersion

FROZEN = Path(__file__).parent / "frozen"
MANIFEST = json.loads((FROZEN / "manifest.json").read_text())


def _member(**kw) -> bytes:
    args = dict(mode=container.MODE_ZSTD, model_id=0, original=b"abc", sections=[b"x", b"yz"])
    args.update(kw)
    return container.encode_member(args.pop("mode"), args.pop("model_id"), args.pop("original"), args.pop("sections"), **args)


def _rewrite_header(blob: bytes, offset: int, value: bytes) -> bytes:
    """Change header bytes and fix the header CRC, as a hostile writer would."""
    header = next(container.split_members(blob))[0]
    body = bytearray(blob[: header.header_size - 4])
    body[offset : offset + len(value)] = value
    return bytes(body) + struct.pack("<I", zlib.crc32(body)) + blob[header.header_size :]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_frozen_files_decode_forever(name):
    blob = (FROZEN / name).read_bytes()
    expected = MANIFEST[name]
    out = api.decompress(blob)
    assert len(out) == expected["size"]
    assert hashlib.sha256(out).hexdigest() == expected["sha256"]
    infos = api.inspect(blob)
    assert [i.mode for i in infos] == expected["modes"]
    assert [i.name for i in infos] == expected["names"]
    assert [i.mtime for i in infos] == expected["mtimes"]
    assert sum(i.compressed_size for i in infos) == len(blob)


def test_layout_is_the_documented_one():
    blob = _member(name=b"n.jpg", mtime=-5, model_id=7)
    assert blob[:7] == b"\x89MLZ" + bytes([1, 1, 3])  # magic, version, mode zstd, flags name+mtime
    assert blob[7] == 7 and blob[8] == 3  # model id, original size (varints)
    assert blob[9:17] == hashlib.blake2b(b"abc", digest_size=8).digest()
    assert blob[17] == 9  # mtime -5, zigzag
    assert blob[18] == 5 and blob[19:24] == b"n.jpg"
    assert list(blob[24:27]) == [2, 1, 2]  # two sections of 1 and 2 bytes
    assert struct.unpack_from("<I", blob, 27)[0] == zlib.crc32(blob[:27])
    assert blob[31:] == b"xyz"


def test_varints_cover_large_values():
    blob = container.encode_member(container.MODE_STORED, (1 << 32) - 1, b"", [b""], mtime=-(1 << 40))
    header = next(container.split_members(blob))[0]
    assert (header.model_id, header.mtime, header.original_size) == ((1 << 32) - 1, -(1 << 40), 0)


def test_header_round_trip_and_sections():
    blob = _member(name=b"\xffodd", mtime=1) + _member(mode=container.MODE_STORED, sections=[b"abc"])
    (h1, s1), (h2, s2) = list(container.split_members(blob))
    assert h1.name == b"\xffodd" and h1.mtime == 1 and [bytes(s) for s in s1] == [b"x", b"yz"]
    assert h2.name is None and h2.mtime is None and [bytes(s) for s in s2] == [b"abc"]
    assert h1.member_size + h2.member_size == len(blob)


def test_scan_headers_reads_only_headers():
    blob = _member() + _member(model_id=3)
    headers = list(container.scan_headers(io.BytesIO(blob), len(blob)))
    assert [h.model_id for h in headers] == [0, 3]
    with pytest.raises(CorruptMember, match="truncated"):
        list(container.scan_headers(io.BytesIO(blob[:-1]), len(blob) - 1))


@pytest.mark.parametrize(
    "blob, message",
    [
        (b"", "empty"),
        (b"GIF89a....", "not an .mlz file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(60), "not an .mlz file"),
        (b"\x89ML", "truncated header"),
        (_member()[:12], "truncated header"),
        (_member()[:20], "truncated header"),
        (_member()[:-1], "member 1 is truncated"),
        (_member() + b"junk", "trailing garbage after member 1"),
        (_member() + _member()[:10], "truncated header of member 2"),
    ],
)
def test_foreign_and_truncated_inputs(blob, message):
    with pytest.raises(CorruptMember, match=message):
        list(container.split_members(blob))


def test_every_altered_header_byte_is_caught():
    blob = _member(name=b"a", mtime=2)
    header_size = next(container.split_members(blob))[0].header_size
    for i in range(header_size):
        bad = bytearray(blob)
        bad[i] ^= 0x40
        with pytest.raises((CorruptMember, UnsupportedVersion)):
            list(container.split_members(bytes(bad)))


def test_newer_versions_are_refused_clearly():
    blob = bytearray(_member())
    blob[4] = 2
    with pytest.raises(UnsupportedVersion, match="format version 2.*upgrade mlzip"):
        list(container.split_members(bytes(blob)))
    with pytest.raises(UnsupportedVersion, match="mode 9"):
        list(container.split_members(_rewrite_header(_member(), 5, b"\x09")))
    with pytest.raises(UnsupportedVersion, match="flags"):
        list(container.split_members(_rewrite_header(_member(), 6, b"\x80")))


def _hostile(size: int, lengths: list[int]) -> bytes:
    """A member header with a valid CRC around hostile numbers, as a malicious writer would make it."""
    head = b"\x89MLZ\x01\x00\x00" + container._varint(0) + container._varint(size) + bytes(8)
    head += container._varint(len(lengths)) + b"".join(container._varint(n) for n in lengths)
    return head + struct.pack("<I", zlib.crc32(head)) + b"x"


def test_hostile_sizes_are_refused():
    with pytest.raises(CorruptMember, match="past the limit"):
        list(container.split_members(_hostile(limits.MAX_MEMBER_ORIGINAL_BYTES + 1, [1])))
    with pytest.raises(CorruptMember, match="truncated"):
        list(container.split_members(_hostile(1, [1 << 60])))
    with pytest.raises(CorruptMember, match="past the limit"):
        list(container.split_members(_hostile(1, [1] * (limits.MAX_MEMBER_SECTIONS + 1))))
    with pytest.raises(CorruptMember, match="overlong"):
        list(container.split_members(b"\x89MLZ\x01\x00\x00" + b"\xff" * 11))


def test_mode_numbers_are_fixed_forever():
    assert container.MODE_NAMES == {0: "stored", 1: "zstd", 2: "jpeg-plain", 3: "model"}
