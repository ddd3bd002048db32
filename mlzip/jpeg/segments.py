"""Marker segments: walk the header (and the segments between scans) and keep the decoding state.

A walk starts at a marker and ends at the end of an SOS segment (or at EOI). It updates the
tables in force (DQT, DHT, DRI), reads the frame header, and checks each scan header against
the rules a re-encoder relies on. Anything it cannot transcode raises UnsupportedJpeg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mlzip import limits
from mlzip.errors import UnsupportedJpeg
from mlzip.jpeg.tables import ZIGZAG, HuffTable, PackedTables, pack_tables

SOI, EOI, SOS, DHT, DQT, DRI, DNL, DAC, COM = 0xD8, 0xD9, 0xDA, 0xC4, 0xDB, 0xDD, 0xDC, 0xCC, 0xFE
SUPPORTED_SOF = {0xC0: False, 0xC1: False, 0xC2: True}  # marker -> progressive
REFUSED_SOF = {
    0xC3: "lossless JPEG (SOF3)",
    0xC5: "hierarchical JPEG (SOF5)",
    0xC6: "hierarchical JPEG (SOF6)",
    0xC7: "hierarchical lossless JPEG (SOF7)",
    0xC9: "arithmetic-coded JPEG (SOF9)",
    0xCA: "arithmetic-coded JPEG (SOF10)",
    0xCB: "arithmetic-coded lossless JPEG (SOF11)",
    0xCD: "arithmetic-coded hierarchical JPEG (SOF13)",
    0xCE: "arithmetic-coded hierarchical JPEG (SOF14)",
    0xCF: "arithmetic-coded hierarchical JPEG (SOF15)",
}
# Markers without a length field that may stand between segments.
STANDALONE = {0x01}


@dataclass
class FrameComponent:
    id: int
    h: int
    v: int
    tq: int


@dataclass
class Frame:
    marker: int
    precision: int
    height: int
    width: int
    components: list[FrameComponent]

    @property
    def progressive(self) -> bool:
        return SUPPORTED_SOF[self.marker]

    # cached: the components never change after the frame header is read (the height may, by DNL)
    @cached_property
    def hmax(self) -> int:
        return max(c.h for c in self.components)

    @cached_property
    def vmax(self) -> int:
        return max(c.v for c in self.components)

    @cached_property
    def sampling(self) -> tuple[tuple[int, int], ...]:
        return tuple((c.h, c.v) for c in self.components)

    def copy(self) -> "Frame":
        """A frame whose height may change apart (the components, never changed, are shared, and so
        are the values cached from them: recomputing them through cached_property's lock was 1.7 %
        of a 1 KB file's verified compress; copy.copy was 2 %)."""
        twin = object.__new__(Frame)
        twin.__dict__.update(self.__dict__)
        return twin

    @property
    def mcus(self) -> tuple[int, int]:
        """(MCU rows, MCU columns) of an interleaved scan."""
        return -(-self.height // (8 * self.vmax)), -(-self.width // (8 * self.hmax))

    def grid(self, ci: int) -> tuple[int, int]:
        """Allocated block grid of component ci: whole MCUs for multi-component frames."""
        if len(self.components) == 1:
            return self.coded_blocks(ci)
        mcu_y, mcu_x = self.mcus
        c = self.components[ci]
        return mcu_y * c.v, mcu_x * c.h

    def coded_blocks(self, ci: int) -> tuple[int, int]:
        """Blocks a non-interleaved scan of component ci codes (no MCU padding)."""
        c = self.components[ci]
        width = -(-self.width * c.h // self.hmax)
        height = -(-self.height * c.v // self.vmax)
        return -(-height // 8), -(-width // 8)


@dataclass
class Scan:
    comps: list[int]  # frame component indices, in scan order
    td: list[int]
    ta: list[int]
    ss: int
    se: int
    ah: int
    al: int
    restart: int
    tables: dict[int, HuffTable]  # slot (Td or 4 + Ta) -> table in force
    kind: int  # 0 sequential, 1 DC first, 2 DC refine, 3 AC first, 4 AC refine

    @cached_property
    def kernel_tables(self) -> tuple[np.ndarray, np.ndarray, PackedTables]:
        """(DC slot per scan component, AC slot per scan component, packed tables) as the scan
        kernels take them (they only read them). Kept with the scan, which a small header's cached
        walk shares with every file of that header: rebuilding them per scan was 1.6 % of a 1 KB
        file's verified compress."""
        dc_tab = np.array(self.td + [0] * (4 - len(self.td)), np.int64)
        ac_tab = np.array([4 + t for t in self.ta] + [4] * (4 - len(self.ta)), np.int64)
        return dc_tab, ac_tab, pack_tables(self.tables)


@dataclass
class State:
    """Everything in force at some point of the file."""

    qtables: dict[int, np.ndarray] = field(default_factory=dict)  # id -> uint16[64] natural
    huff: dict[int, HuffTable] = field(default_factory=dict)  # slot -> table
    restart: int = 0
    frame: Frame | None = None
    first_qtable: dict[int, np.ndarray] = field(default_factory=dict)  # comp index -> qtable
    coef_bits: np.ndarray | None = None  # progressive: per comp, per zigzag k, current Al (-1 unseen)
    scanned: set[int] = field(default_factory=set)  # sequential: components already scanned
    n_scans: int = 0

    def fork(self) -> "State":
        """A copy whose changes leave this one alone (built field by field: copy.copy of a
        dataclass was 3 % of a 1 KB file's compress)."""
        return State(qtables=dict(self.qtables), huff=dict(self.huff), restart=self.restart, frame=self.frame,
                     first_qtable=dict(self.first_qtable),
                     coef_bits=None if self.coef_bits is None else self.coef_bits.copy(),
                     scanned=set(self.scanned), n_scans=self.n_scans)


def _u16(buf: bytes, p: int) -> int:
    return (buf[p] << 8) | buf[p + 1]


def walk(buf: bytes, p: int, st: State, *, at_start: bool = False) -> tuple[str, int, Scan | None]:
    """Walk segments from buf[p] until the end of an SOS segment ("sos") or an EOI ("eoi").

    Returns (what, position after it, scan). EOI's position is that of its 0xFF byte.
    """
    n = len(buf)
    if at_start:
        if bytes(buf[:2]) != b"\xff\xd8":
            raise UnsupportedJpeg("no SOI marker")
        p = 2
    while True:
        start = p
        code = 0
        # like libjpeg, skip stray bytes and 0xFF 0x00 pairs before a marker (they stay in the raw bytes)
        while code == 0:
            while p < n and buf[p] != 0xFF:
                p += 1
            while p < n and buf[p] == 0xFF:  # fill bytes
                p += 1
            if p >= n:
                raise UnsupportedJpeg("file ends in the header")
            code = buf[p]
            p += 1
        if code == SOI:
            raise UnsupportedJpeg("SOI inside the file")
        if code == EOI:
            return "eoi", start, None  # the suffix keeps any stray bytes before it
        if code in STANDALONE:
            continue
        if 0xD0 <= code <= 0xD7 or 0x02 <= code <= 0xBF:
            raise UnsupportedJpeg(f"unexpected marker 0x{code:02X} outside a scan")
        if p + 2 > n:
            raise UnsupportedJpeg("file ends in the header")
        length = _u16(buf, p)
        if length < 2 or p + length > n:
            raise UnsupportedJpeg("segment runs past the end of the file")
        body = buf[p + 2 : p + length]
        p += length
        if code in REFUSED_SOF:
            raise UnsupportedJpeg(REFUSED_SOF[code])
        if code == DAC:
            raise UnsupportedJpeg("arithmetic-coded JPEG (DAC)")
        if code in (0xDE, 0xDF):
            raise UnsupportedJpeg("hierarchical JPEG (DHP/EXP)")
        if code in SUPPORTED_SOF:
            _read_frame(code, body, st)
        elif code == DHT:
            _read_dht(body, st)
        elif code == DQT:
            _read_dqt(body, st)
        elif code == DRI:
            if len(body) != 2:
                raise UnsupportedJpeg("bad DRI segment")
            st.restart = _u16(body, 0)
        elif code == DNL:
            if st.frame is None or st.n_scans == 0 or len(body) != 2:
                raise UnsupportedJpeg("DNL before the first scan")
            if st.frame.height == 0:  # the frame's height was left for this segment to define
                _check_size(st.frame.width, _u16(body, 0))
                st.frame.height = _u16(body, 0)
        elif code == SOS:
            return "sos", p, _read_scan(body, st)
        # APPn, COM, JPGn and other segments with a length: kept as raw bytes only


def _read_frame(code: int, body: bytes, st: State) -> None:
    if st.frame is not None:
        raise UnsupportedJpeg("more than one frame header")
    if len(body) < 6:
        raise UnsupportedJpeg("short frame header")
    precision, height, width, nc = body[0], _u16(body, 1), _u16(body, 3), body[5]
    if precision != 8:
        raise UnsupportedJpeg(f"{precision}-bit JPEG")
    if not 1 <= nc <= 4 or len(body) != 6 + 3 * nc:
        raise UnsupportedJpeg(f"frame with {nc} components")
    if height:  # 0: a DNL segment after the first scan defines it
        _check_size(width, height)
    comps = []
    for i in range(nc):
        cid, hv, tq = body[6 + 3 * i], body[7 + 3 * i], body[8 + 3 * i]
        h, v = hv >> 4, hv & 15
        if not (1 <= h <= 4 and 1 <= v <= 4) or tq > 3:
            raise UnsupportedJpeg("bad sampling factors or table id in frame header")
        comps.append(FrameComponent(cid, h, v, tq))
    if len({c.id for c in comps}) != nc:
        raise UnsupportedJpeg("repeated component id")
    st.frame = Frame(code, precision, height, width, comps)
    if st.frame.progressive:
        st.coef_bits = np.full((nc, 64), -1, np.int64)


def _check_size(width: int, height: int) -> None:
    if width == 0 or height == 0:
        raise UnsupportedJpeg("zero width or height")
    if max(width, height) > limits.MAX_JPEG_DIMENSION or width * height > limits.MAX_JPEG_PIXELS:
        raise UnsupportedJpeg(f"image of {width}x{height} pixels is past the size limit")


def _read_dht(body: bytes, st: State) -> None:
    p = 0
    while p < len(body):
        if p + 17 > len(body):
            raise UnsupportedJpeg("short DHT segment")
        tc, th = body[p] >> 4, body[p] & 15
        if tc > 1 or th > 3:
            raise UnsupportedJpeg("bad DHT table class or id")
        counts = body[p + 1 : p + 17]
        total = sum(counts)
        if total > 256 or p + 17 + total > len(body):
            raise UnsupportedJpeg("short DHT segment")
        st.huff[th + 4 * tc] = HuffTable.from_segment(counts, body[p + 17 : p + 17 + total])
        p += 17 + total


def _read_dqt(body: bytes, st: State) -> None:
    p = 0
    while p < len(body):
        pq, tq = body[p] >> 4, body[p] & 15
        size = 64 * (2 if pq else 1)
        if pq > 1 or tq > 3 or p + 1 + size > len(body):
            raise UnsupportedJpeg("bad DQT segment")
        raw = np.frombuffer(body, np.dtype(">u2") if pq else np.uint8, 64, p + 1)
        table = np.zeros(64, np.uint16)
        table[ZIGZAG] = raw
        table.flags.writeable = False  # shared by the cached walks of a header and their files (see _qtables)
        st.qtables[tq] = table
        p += 1 + size


def _read_scan(body: bytes, st: State) -> Scan:
    frame = st.frame
    if frame is None:
        raise UnsupportedJpeg("scan before the frame header")
    st.n_scans += 1
    if st.n_scans > limits.MAX_JPEG_SCANS:
        raise UnsupportedJpeg("too many scans")
    if not body:
        raise UnsupportedJpeg("empty scan header")
    ns = body[0]
    if not 1 <= ns <= 4 or len(body) != 4 + 2 * ns:
        raise UnsupportedJpeg("bad scan header")
    ids = [c.id for c in frame.components]
    comps, td, ta = [], [], []
    for i in range(ns):
        cid, t = body[1 + 2 * i], body[2 + 2 * i]
        if cid not in ids:
            raise UnsupportedJpeg("scan names a component the frame lacks")
        comps.append(ids.index(cid))
        td.append(t >> 4)
        ta.append(t & 15)
    if len(set(comps)) != ns:
        raise UnsupportedJpeg("scan names a component twice")
    if ns > 1 and sum(frame.components[c].h * frame.components[c].v for c in comps) > 10:
        raise UnsupportedJpeg("more than 10 blocks per MCU")
    ss, se, ah, al = body[1 + 2 * ns], body[2 + 2 * ns], body[3 + 2 * ns] >> 4, body[3 + 2 * ns] & 15
    kind = _scan_kind(frame, st, comps, ss, se, ah, al)
    needed = set()
    if kind in (0, 1):
        needed |= set(td)
    if kind in (0, 3, 4):
        needed |= {4 + t for t in ta}
    for slot in needed:
        if slot not in st.huff:
            raise UnsupportedJpeg("scan uses an undefined Huffman table")
    for c in comps:
        if c not in st.first_qtable:
            tq = frame.components[c].tq
            if tq not in st.qtables:
                raise UnsupportedJpeg("component uses an undefined quantization table")
            st.first_qtable[c] = st.qtables[tq]
    return Scan(comps, td, ta, ss, se, ah, al, st.restart, {s: st.huff[s] for s in needed}, kind)


def _scan_kind(frame: Frame, st: State, comps: list[int], ss: int, se: int, ah: int, al: int) -> int:
    if not frame.progressive:
        if any(c in st.scanned for c in comps):
            raise UnsupportedJpeg("sequential component scanned twice")
        st.scanned.update(comps)
        return 0
    assert st.coef_bits is not None
    if ss > se or se > 63 or al > 13 or (ss == 0 and se != 0) or (ss > 0 and len(comps) != 1):
        raise UnsupportedJpeg("bad progressive scan parameters")
    if ah and ah != al + 1:
        raise UnsupportedJpeg("progressive refinement by more than one bit")
    want = -1 if ah == 0 else ah
    for c in comps:
        band = st.coef_bits[c, ss : se + 1]
        if np.any(band != want):
            raise UnsupportedJpeg("progressive scan script out of order")
        band[:] = al
    if ss == 0:
        return 2 if ah else 1
    return 4 if ah else 3
