"""The layout: everything besides the header and the coefficients that an exact rebuild needs.

Binary form (all integers are LEB128 varints, "blob" = varint length + bytes):
  version(1) | prefix blob | n_between | n_between x between blob | suffix |
  per scan: flags [cut: good_mcus, tail_nbits, tail_value, raw blob] [runs: count, lengths...]
            [odd restart markers: count, (interval, marker byte)...]
suffix is 0 for b"\\xff\\xd9", 1 for nothing, 2 + blob otherwise. An ordinary file's layout is
6 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlzip.errors import CorruptMember

LAYOUT_VERSION = 1
FLAG_PAD_ZERO, FLAG_CUT, FLAG_RUNS, FLAG_RST = 1, 2, 4, 8
EOI_BYTES = b"\xff\xd9"


@dataclass
class Cut:
    """A scan coded normally up to good_mcus MCUs; then tail bits complete the byte, then raw bytes."""

    good_mcus: int
    tail_nbits: int
    tail_value: int
    raw: bytes


@dataclass
class ScanCoding:
    pad: int = 1
    cut: Cut | None = None
    runs: np.ndarray | None = None  # EOB run lengths as the file has them (AC progressive scans)
    runs_standard: bool | None = None  # whether libjpeg's rule gives the same runs (None: unknown)
    # (interval, marker byte) where the file does not have RSTn after an interval; byte 0: no marker
    odd_rst: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Layout:
    prefix: bytes = b""
    betweens: list[bytes] = field(default_factory=list)
    suffix: bytes = EOI_BYTES
    codings: list[ScanCoding] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        out = bytearray([LAYOUT_VERSION])
        _blob(out, self.prefix)
        _varint(out, len(self.betweens))
        for b in self.betweens:
            _blob(out, b)
        if self.suffix == EOI_BYTES:
            _varint(out, 0)
        elif not self.suffix:
            _varint(out, 1)
        else:
            _varint(out, 2)
            _blob(out, self.suffix)
        for c in self.codings:
            explicit = c.runs is not None and not c.runs_standard
            flags = (FLAG_PAD_ZERO if c.pad == 0 else 0) | (FLAG_CUT if c.cut else 0)
            _varint(out, flags | (FLAG_RUNS if explicit else 0) | (FLAG_RST if c.odd_rst else 0))
            if c.cut:
                _varint(out, c.cut.good_mcus)
                out += bytes([c.cut.tail_nbits, c.cut.tail_value])
                _blob(out, c.cut.raw)
            if explicit:
                assert c.runs is not None
                _varint(out, len(c.runs))
                for r in c.runs.tolist():
                    _varint(out, r)
            if c.odd_rst:
                _varint(out, len(c.odd_rst))
                for j, code in c.odd_rst:
                    _varint(out, j)
                    out.append(code)
        return bytes(out)

    @staticmethod
    def from_bytes(data: bytes) -> "Layout":
        r = _Reader(data)
        if r.byte() != LAYOUT_VERSION:
            raise CorruptMember("unknown JPEG layout version")
        lay = Layout(prefix=r.blob())
        lay.betweens = [r.blob() for _ in range(r.count())]
        tag = r.varint()
        if tag > 2:
            raise CorruptMember("bad JPEG layout")
        lay.suffix = EOI_BYTES if tag == 0 else b"" if tag == 1 else r.blob()
        for _ in range(len(lay.betweens) + 1):
            flags = r.varint()
            if flags > 15:
                raise CorruptMember("bad JPEG layout")
            c = ScanCoding(pad=0 if flags & FLAG_PAD_ZERO else 1)
            if flags & FLAG_CUT:
                good = r.varint()
                nbits, value = r.byte(), r.byte()
                if nbits > 7 or value >> nbits:
                    raise CorruptMember("bad JPEG layout")
                c.cut = Cut(good, nbits, value, r.blob())
            if flags & FLAG_RUNS:
                runs = [r.varint() for _ in range(r.count())]
                if any(not 1 <= x <= 0x7FFF for x in runs):
                    raise CorruptMember("bad JPEG layout")
                c.runs = np.array(runs, np.int64)
                c.runs_standard = False
            else:
                c.runs_standard = True
            if flags & FLAG_RST:
                c.odd_rst = [(r.varint(), r.byte()) for _ in range(r.count())]
                if any(code and not 0xD0 <= code <= 0xD7 for _, code in c.odd_rst):
                    raise CorruptMember("bad JPEG layout")
            lay.codings.append(c)
        if r.p != len(data):
            raise CorruptMember("bytes after the JPEG layout")
        return lay


def _varint(out: bytearray, v: int) -> None:
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _blob(out: bytearray, b: bytes) -> None:
    _varint(out, len(b))
    out += b


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.p = 0

    def byte(self) -> int:
        if self.p >= len(self.data):
            raise CorruptMember("JPEG layout is truncated")
        self.p += 1
        return self.data[self.p - 1]

    def varint(self) -> int:
        v = shift = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            if b < 0x80:
                return v
            shift += 7
            if shift > 63:
                raise CorruptMember("bad varint in JPEG layout")

    def count(self) -> int:
        """A length or count: never more than the bytes left could hold."""
        v = self.varint()
        if v > len(self.data) - self.p:
            raise CorruptMember("JPEG layout is truncated")
        return v

    def blob(self) -> bytes:
        n = self.count()
        self.p += n
        return self.data[self.p - n : self.p]
