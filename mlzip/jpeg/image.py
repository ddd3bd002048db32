"""JpegImage: a JPEG file as quantized coefficients plus what an exact rebuild needs.

file = prefix + header + scan_0 + between_0 + scan_1 + ... + scan_n + suffix
header: SOI up to the end of the first SOS; between_i: the segments after scan i up to the end of
the next SOS; suffix: EOI and anything after it (or whatever follows the last scan that does not
start another scan). Scans are rebuilt from the coefficients; everything else is kept as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, NamedTuple

import numpy as np

from mlzip import limits
from mlzip.errors import CorruptMember, MlzError, UnsupportedJpeg
from mlzip.jpeg.entropy_data import clean_to_file, unstuff
from mlzip.jpeg.geometry import component_bases, scan_order
from mlzip.jpeg.layout import Cut, Layout, ScanCoding
from mlzip.jpeg.scan_decode import SEQUENTIAL, decode_scan
from mlzip.jpeg.bitops import ZIGZAG_BYTES, block_masks
from mlzip.jpeg.scan_encode import encode_scan, output_bound
from mlzip.jpeg.segments import Frame, Scan, State, walk
from mlzip.jpeg.tables import ZIGZAG


@dataclass
class Component:
    id: int
    h: int
    v: int
    tq: int
    qtable: np.ndarray  # uint16[64], natural order, the table in force when first scanned
    coefs: np.ndarray  # int16[blocks_y, blocks_x, 64], natural order


class ComponentInfo(NamedTuple):
    blocks_y: int
    blocks_x: int
    h: int
    v: int
    qtable: np.ndarray


@dataclass
class JpegInfo:
    """What describe() knows without coefficients; iterates over its ComponentInfo entries."""

    width: int
    height: int
    progressive: bool
    component_ids: list[int]
    components: list[ComponentInfo]
    _structure: "_Structure | None" = field(default=None, repr=False, compare=False)

    @property
    def blocks(self) -> int:
        """Declared 8x8 blocks of all components (allocated grids, MCU padding included)."""
        return sum(c.blocks_y * c.blocks_x for c in self.components)

    def __iter__(self) -> Iterator[ComponentInfo]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)

    def __getitem__(self, i: int) -> ComponentInfo:
        return self.components[i]

    def rebuild(self, coefs: list[np.ndarray]) -> "JpegImage":
        """from_parts(header, layout, coefs) for the parts this info describes, without walking
        them again (a small file's decode spends much of its time there)."""
        assert self._structure is not None
        return JpegImage(self._structure, _guarded(_flatten, self._structure.frame, coefs))


@dataclass
class _Structure:
    """A parsed file minus its coefficients."""

    frame: Frame
    scans: list[Scan]
    header: bytes
    layout: Layout
    qtables: list[np.ndarray]


class JpegImage:
    def __init__(self, structure: _Structure, flat: np.ndarray) -> None:
        self._s = structure
        self._flat = flat
        frame = structure.frame
        self.width = frame.width
        self.height = frame.height
        self.precision = frame.precision
        self.progressive = frame.progressive
        self._components: list[Component] | None = None

    @property
    def components(self) -> list[Component]:
        """Made on first use: a decode's rebuild only encodes (making them was 0.7 % of a 1 KB
        file's verified compress)."""
        if self._components is None:
            s, flat = self._s, self._flat
            bases, grids, _ = component_bases(s.frame)
            self._components = [
                Component(c.id, c.h, c.v, c.tq, s.qtables[i], _plane(flat, bases[i], grids[i]))
                for i, c in enumerate(s.frame.components)
            ]
        return self._components

    def info(self) -> JpegInfo:
        """What describe(*to_parts(self)) gives, from the parse itself."""
        return _info(self._s)

    def encode(self) -> bytes:
        """The file's bytes, rebuilt from the coefficients; CorruptMember if they cannot be coded."""
        return _guarded(self._encode)

    def _encode(self) -> bytes:
        s = self._s
        flat = self._coefficients()
        parts = [s.layout.prefix, s.header]
        orders = _encode_context(s.frame, flat)
        for i, scan in enumerate(s.scans):
            parts.append(_encode_scan(s.frame, scan, s.layout.codings[i], flat, orders))
            parts.append(s.layout.betweens[i] if i < len(s.layout.betweens) else s.layout.suffix)
        return b"".join(parts)

    def _coefficients(self) -> np.ndarray:
        """The flat buffer, rebuilt if a caller replaced a component's array."""
        if self._components is None or all(c.coefs.base is self._flat for c in self._components):
            return self._flat
        return _flatten(self._s.frame, [c.coefs for c in self.components])


def parse(data: bytes) -> JpegImage:
    """Decode a JPEG file into coefficients; UnsupportedJpeg for anything not transcodable."""
    try:
        return _parse(bytes(data))
    except MlzError:
        raise
    except MemoryError:
        raise UnsupportedJpeg("not enough memory for this JPEG") from None
    except Exception as exc:  # a bug, but the caller must still get the zstd path
        raise UnsupportedJpeg(f"internal error: {type(exc).__name__}: {exc}") from exc


def to_parts(img: JpegImage) -> tuple[bytes, bytes]:
    s = img._s
    flat = img._coefficients()
    orders: dict | None = None
    for scan, coding in zip(s.scans, s.layout.codings):
        if coding.runs is not None and coding.runs_standard is None:
            orders = _encode_context(s.frame, flat) if orders is None else orders
            _encode_scan(s.frame, scan, coding, flat, orders)  # a cut scan: decides runs_standard
    return s.header, s.layout.to_bytes()


def describe(header: bytes, layout: bytes) -> JpegInfo:
    return _info(_guarded(_structure_from_parts, header, layout))


def _info(s: _Structure) -> JpegInfo:
    frame = s.frame
    _, grids, _ = component_bases(frame)  # the grids frame.grid gives, kept per geometry
    comps = [ComponentInfo(*grids[i], c.h, c.v, s.qtables[i]) for i, c in enumerate(frame.components)]
    return JpegInfo(frame.width, frame.height, frame.progressive, [c.id for c in frame.components], comps, s)


def from_parts(header: bytes, layout: bytes, coefs: list[np.ndarray]) -> JpegImage:
    s = _guarded(_structure_from_parts, header, layout)
    return JpegImage(s, _guarded(_flatten, s.frame, coefs))


def _guarded(fn, *args):
    try:
        return fn(*args)
    except MlzError:
        raise
    except Exception as exc:
        raise CorruptMember(f"damaged JPEG parts: {type(exc).__name__}: {exc}") from exc


def coefficient_planes(shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    """Zeroed int16 [blocks_y, blocks_x, 64] planes laid out back to back in one buffer, the way
    from_parts wants them: handed to from_parts, they are used in place instead of copied."""
    grids = [(int(by), int(bx)) for by, bx in shapes]
    total = 64 * sum(by * bx for by, bx in grids)
    if total <= _SMALL_PLANES:
        flat = np.zeros(total, np.int16)  # half the time of empty + fill at this size
    else:
        flat = np.empty(total, np.int16)
        flat.fill(0)  # see _parse
    planes, end = [], 0
    for by, bx in grids:
        planes.append(flat[end : end + by * bx * 64].reshape(by, bx, 64))
        end += by * bx * 64
    return _Planes(flat, planes)


_SMALL_PLANES = 1 << 16  # coefficients (128 KB): far below the transparent huge pages of a big buffer


class _Planes(list):
    """coefficient_planes' list: it keeps the buffer and the arrays it made, so that _shared_buffer
    knows them as its own without reading their addresses (__array_interface__, ~2 us an array:
    that check was 2.4 % of a 1 KB file's verified compress)."""

    def __init__(self, flat: np.ndarray, planes: list[np.ndarray]) -> None:
        super().__init__(planes)
        self.flat = flat
        self.made = tuple(planes)


def _plane(flat: np.ndarray, base: int, grid: tuple[int, int]) -> np.ndarray:
    """One component's [blocks_y, blocks_x, 64] view of the flat buffer (from component_bases)."""
    return flat[base : base + grid[0] * grid[1] * 64].reshape(grid[0], grid[1], 64)


def _shared_buffer(bases: list[int], total: int, coefs: list[np.ndarray]) -> np.ndarray | None:
    """The flat buffer the arrays already are views of (as parse and coefficient_planes make them), or None."""
    if (isinstance(coefs, _Planes) and coefs.flat.size == total and len(coefs) == len(coefs.made)
            and all(a is b and a.flags.c_contiguous for a, b in zip(coefs, coefs.made))):
        return coefs.flat  # still the arrays it made, back to back, with the shapes _flatten checked
    flat = coefs[0].base if coefs and isinstance(coefs[0], np.ndarray) else None
    if (not isinstance(flat, np.ndarray) or flat.dtype != np.int16 or flat.ndim != 1 or flat.size != total
            or not flat.flags.c_contiguous):
        return None
    start = flat.__array_interface__["data"][0]
    for base, arr in zip(bases, coefs):
        if (not isinstance(arr, np.ndarray) or arr.base is not flat or not arr.flags.c_contiguous
                or arr.__array_interface__["data"][0] != start + 2 * base):
            return None
    return flat


def _flatten(frame: Frame, coefs: list[np.ndarray]) -> np.ndarray:
    bases, grids, total = component_bases(frame)
    if len(coefs) != len(grids):
        raise CorruptMember("coefficient arrays do not match the JPEG header")
    for grid, arr in zip(grids, coefs):
        if np.shape(arr) != (grid[0], grid[1], 64):
            raise CorruptMember("coefficient arrays do not match the JPEG header")
    shared = _shared_buffer(bases, total, coefs)
    if shared is not None:
        return shared
    flat = np.empty(total, np.int16)
    for base, grid, arr in zip(bases, grids, coefs):
        arr = np.asarray(arr)
        if arr.shape != (grid[0], grid[1], 64) or arr.dtype.kind not in "iu":
            raise CorruptMember("coefficient arrays do not match the JPEG header")
        if arr.dtype != np.int16 and arr.size and (arr.min() < -32768 or arr.max() > 32767):
            raise CorruptMember("coefficient out of range")
        flat[base : base + arr.size] = arr.reshape(-1)
    return flat


def _qtables(frame: Frame, st: State) -> list[np.ndarray]:
    """The table of each component; read-only arrays shared with the state (a copy each was 1 %
    of a 1 KB file's verified compress)."""
    out = []
    for i, c in enumerate(frame.components):
        q = st.first_qtable.get(i, st.qtables.get(c.tq))
        out.append(np.zeros(64, np.uint16) if q is None else q)
    return out


def _structure_from_parts(header: bytes, layout: bytes) -> _Structure:
    lay = Layout.from_bytes(layout)
    st, scan = _walk_header(header)
    scans = [scan]
    if lay.betweens:
        st = st.fork()  # the walks below change it
    for between in lay.betweens:
        what, end, scan = walk(between, 0, st)
        if what != "sos" or end != len(between):
            raise CorruptMember("JPEG layout segment does not end with a scan header")
        scans.append(scan)
    assert st.frame is not None
    if st.frame.height == 0:  # a single-scan file keeps its DNL in the suffix
        _find_dnl(lay.suffix, 0, st)
    return _Structure(st.frame, scans, header, lay, _qtables(st.frame, st))


# Headers up to this size keep their walk for the next decode of the same header (a set of small
# files shares one header, and walking it costs as much as decoding a 32x32 image's scan).
_CACHED_HEADER_BYTES = 4096


def _walk_header(header: bytes) -> tuple[State, Scan]:
    """The state after the header (SOI .. first SOS) and the first scan. The state may be shared
    with other walks of the same bytes: a caller forks it before changing it (forking it here every
    time was 1 % of a 1 KB file's verified compress)."""
    if len(header) > _CACHED_HEADER_BYTES:
        return _walked(header)
    st, scan = _walked_small(bytes(header))
    if st.frame is not None and st.frame.height == 0:  # a DNL sets it later, through any fork
        st = st.fork()
        st.frame = st.frame.copy()
    return st, scan


@lru_cache(maxsize=32)
def _walked_small(header: bytes) -> tuple[State, Scan]:
    return _walked(header)  # a pure function of the bytes; nothing changes a Scan once read


def _walked(header: bytes) -> tuple[State, Scan]:
    st = State()
    what, end, scan = walk(header, 0, st, at_start=True)
    if what != "sos" or end != len(header):
        raise CorruptMember("JPEG header does not end with its first scan header")
    assert scan is not None
    return st, scan


def _parse(data: bytes) -> JpegImage:
    if len(data) > limits.MAX_JPEG_BYTES:
        raise UnsupportedJpeg("JPEG file is past the size limit")
    soi = 0 if data.startswith(b"\xff\xd8") else data.find(b"\xff\xd8\xff")
    if soi < 0:
        raise UnsupportedJpeg("no SOI marker")
    header_end, st, scan = _walk_file_header(data, soi)
    frame = st.frame
    assert frame is not None and scan is not None
    layout = Layout(prefix=data[:soi])
    arr = np.frombuffer(data, np.uint8)
    if frame.height == 0:  # the DNL segment right after the first scan gives the height
        _find_dnl(data, int(unstuff(arr, header_end)[4]), st)
    bases, grids, total = component_bases(frame)
    if total // 64 > limits.max_jpeg_blocks(len(data)):  # before allocating anything of that size
        raise UnsupportedJpeg(f"JPEG declares {total // 64} blocks, too many for a file of {len(data)} bytes")
    flat = np.empty(total, np.int16)
    if frame.progressive:  # sequential scans zero their blocks themselves (see _zero_unscanned)
        flat.fill(0)  # np.empty gets transparent huge pages for big arrays: far fewer page faults than np.zeros
    nzmask = np.zeros(total // 64 if frame.progressive else 1, np.int64)  # see decode_scan
    dcs = np.zeros(total // 64 if frame.progressive else 1, np.int16)
    scans: list[Scan] = []
    orders: dict = {}  # block orders by scan components, computed once per file
    pos = header_end
    while True:
        scans.append(scan)
        coding, pos = _decode_scan(arr, pos, frame, scan, bases, grids, flat, dcs, nzmask, orders)
        layout.codings.append(coding)
        if data.startswith(b"\xff\xd9", pos):  # the usual end: walk would read EOI and change nothing
            layout.suffix = data[pos:]
            break
        trial = st.fork()
        try:
            what, end, nxt = walk(data, pos, trial)
        except UnsupportedJpeg:
            what = "other"
        if what != "sos":
            layout.suffix = data[pos:]
            break
        layout.betweens.append(data[pos:end])
        st, pos, scan = trial, end, nxt
    if frame.progressive:
        flat.reshape(-1, 64)[:, 0] = dcs
    else:
        _zero_unscanned(frame, scans, bases, grids, flat)
    structure = _Structure(frame, scans, data[soi:header_end], layout, _qtables(frame, st))
    return JpegImage(structure, flat)


def _walk_file_header(data: bytes, soi: int) -> tuple[int, State, Scan | None]:
    """(end of the header, state after it, first scan): a small header's walk is reused (see
    _walk_header); anything unusual takes the full walk, which gives the authoritative answer."""
    end = _plain_header_end(data, soi)
    if end is not None and end - soi <= _CACHED_HEADER_BYTES:
        try:
            st, scan = _walk_header(data[soi:end])
            return end, st, scan
        except MlzError:
            pass
    st = State()
    what, end, scan = walk(memoryview(data)[soi:] if soi else data, 0, st, at_start=True)  # bytes index faster
    if what != "sos":
        raise UnsupportedJpeg("no scan in the file")
    return soi + end, st, scan


def _plain_header_end(data: bytes, soi: int) -> int | None:
    """Where the first SOS segment ends, if the header is segments back to back (no fill bytes,
    stray bytes or markers without a length): walk() stops there too, having read only these bytes."""
    p, n = soi + 2, len(data)
    while p + 4 <= n:
        code = data[p + 1]
        if data[p] != 0xFF or code in (0x00, 0x01, 0xFF) or 0xD0 <= code <= 0xD9:
            return None
        length = (data[p + 2] << 8) | data[p + 3]
        if length < 2 or p + 2 + length > n:
            return None
        p += 2 + length
        if code == 0xDA:
            return p
    return None


def _zero_unscanned(frame: Frame, scans: list[Scan], bases, grids, flat: np.ndarray) -> None:
    """Zero the blocks no sequential scan wrote: components without a scan (a file cut short) and
    the MCU padding that a single-component scan of a multi-component frame does not code."""
    scanned = {ci: len(scan.comps) for scan in scans for ci in scan.comps}
    for ci, (base, grid) in enumerate(zip(bases, grids)):
        coded_with = scanned.get(ci, 0)  # components of the scan that coded it, 0: no scan did
        if coded_with > 1:
            continue  # an interleaved scan codes the MCU padding too (the usual case)
        plane = _plane(flat, base, grid)
        if coded_with == 0:
            plane.fill(0)
        else:
            rows, cols = frame.coded_blocks(ci)
            plane[rows:] = 0
            plane[:rows, cols:] = 0


def _find_dnl(data: bytes, pos: int, st: State) -> None:
    """Read the segments after the first scan (on a fork of the state) until the DNL sets the height."""
    assert st.frame is not None
    try:
        walk(data, pos, st.fork())
    except UnsupportedJpeg:
        pass
    if st.frame.height == 0:
        raise UnsupportedJpeg("height defined by a DNL segment that is missing")


def _kernel_args(frame: Frame, scan: Scan, bases, grids, orders: dict):
    key = tuple(scan.comps)  # progressive scans of one component share its block order
    if key not in orders:
        orders[key] = scan_order(frame, scan, bases, grids)
    block_off, block_slot, bpm, n_mcu = orders[key]
    dc_tab, ac_tab, tables = scan.kernel_tables
    al = 0 if scan.kind == SEQUENTIAL else scan.al
    return block_off, block_slot, bpm, n_mcu, al, dc_tab, ac_tab, tables


def _decode_scan(arr, start, frame, scan, bases, grids, flat, dcs, nzmask, orders: dict) -> tuple[ScanCoding, int]:
    clean, seg_ends, rst_codes, clean_stop, region_end = unstuff(arr, start)
    block_off, block_slot, bpm, n_mcu, al, dc_tab, ac_tab, t = _kernel_args(frame, scan, bases, grids, orders)
    cut, good_m, good_start, good_bit, pad, runs, runs_standard, odd_at, odd_code = decode_scan(
        clean, seg_ends, rst_codes, flat, dcs, nzmask, block_off, block_slot, bpm, n_mcu, scan.kind, scan.ss, scan.se,
        al, scan.restart, dc_tab, ac_tab, t.lut, t.fast_ac, t.maxcode, t.valoff, t.huffval, ZIGZAG, ZIGZAG_BYTES)
    coding = ScanCoding(pad=int(pad), runs=runs if scan.kind >= 3 else None,
                        odd_rst=[(int(j), max(int(c), 0)) for j, c in zip(odd_at, odd_code)] if len(odd_at) else [])
    if coding.runs is not None and not cut and clean_stop == region_end:
        coding.runs_standard = bool(runs_standard)  # a cut scan: the first encode decides (see _encode_scan)
    if cut or clean_stop != region_end:
        i = int(good_start) + good_bit // 8
        rem = good_bit % 8
        if rem:
            nbits = 8 - rem
            value = int(clean[i]) & ((1 << nbits) - 1)
            raw_start = clean_to_file(arr, start, i + 1) - (1 if clean[i] == 0xFF else 0)
        else:
            nbits = value = 0
            raw_start = clean_to_file(arr, start, i)
        coding.cut = Cut(int(good_m), nbits, value, arr[raw_start:region_end].tobytes())
    return coding, int(region_end)


def _encode_context(frame: Frame, flat: np.ndarray) -> dict:
    """What every scan of one encode shares: block orders and non-zero counts (filled in as scans
    need them, see _nonzero) and, for progressive frames, the non-zero mask and the DC value of
    every block."""
    if frame.progressive:
        nzmask, dcs = block_masks(flat, ZIGZAG_BYTES)
    else:
        nzmask, dcs = np.zeros(1, np.int64), np.zeros(1, np.int16)
    return {"nonzero": {}, "nzmask": nzmask, "dcs": dcs}


def _nonzero(frame: Frame, comps: list[int], flat: np.ndarray, counts: dict) -> int:
    """Non-zero coefficients of these components (they size a scan's output buffer), counted once
    per encode; a scan of every component counts the whole buffer in one call (a call per
    component was 0.5 % of a 1 KB file's verified compress)."""
    key = tuple(comps) if len(comps) < len(frame.components) else ()
    if key not in counts:
        if key:
            bases, grids, _ = component_bases(frame)
            counts[key] = sum(int(np.count_nonzero(_plane(flat, bases[c], grids[c]))) for c in comps)
        else:
            counts[key] = int(np.count_nonzero(flat))
    return counts[key]


_ONE_INTERVAL = np.array([0xD0], np.int64)  # rst_bytes of a scan of one interval: the kernel only reads it


def _encode_scan(frame: Frame, scan: Scan, coding: ScanCoding, flat: np.ndarray, orders: dict) -> bytes:
    bases, grids, _ = component_bases(frame)
    block_off, block_slot, bpm, n_mcu, al, dc_tab, ac_tab, t = _kernel_args(frame, scan, bases, grids, orders)
    k_end = n_mcu if coding.cut is None else min(coding.cut.good_mcus, n_mcu)
    nonzero = _nonzero(frame, scan.comps, flat, orders["nonzero"])
    cap = output_bound(k_end * bpm, nonzero, k_end // max(scan.restart, 1) + 1)

    n_intervals = -(-k_end // scan.restart) if scan.restart else 1
    if n_intervals == 1 and not coding.odd_rst:
        rst_bytes = _ONE_INTERVAL  # building it was 1.4 % of a 1 KB file's verified compress
    else:
        rst_bytes = 0xD0 + (np.arange(n_intervals, dtype=np.int64) & 7)
    for j, code in coding.odd_rst:
        if j < n_intervals:
            rst_bytes[j] = code if code else -1  # 0: the file has no marker there

    def run(explicit: bool):
        runs = coding.runs if explicit and coding.runs is not None else np.zeros(0, np.int64)
        return encode_scan(flat, orders["dcs"], orders["nzmask"], block_off, block_slot, bpm, n_mcu, k_end, coding.cut is None, scan.kind, scan.ss,
                           scan.se, al, scan.restart, dc_tab, ac_tab, t.ehufco, t.ehufsi, coding.pad, runs, explicit,
                           rst_bytes, cap, ZIGZAG, ZIGZAG_BYTES)

    out, acc, nb, err, emitted = run(coding.runs is not None and coding.runs_standard is False)
    if coding.runs is not None and coding.runs_standard is None:
        # first encode after parse: do libjpeg's EOB runs give the file's? (then the layout omits them)
        coding.runs_standard = bool(np.array_equal(emitted, coding.runs))
        if not coding.runs_standard:
            out, acc, nb, err, emitted = run(True)
    if err:
        raise CorruptMember("coefficients cannot be coded with this JPEG's Huffman tables")
    if coding.cut is None:
        return out.tobytes()
    cut = coding.cut
    if (nb + cut.tail_nbits) % 8 or nb + cut.tail_nbits > 8:
        raise CorruptMember("coefficients do not match the JPEG layout")
    tail = bytes([((int(acc) << cut.tail_nbits) | cut.tail_value) & 0xFF]) if cut.tail_nbits else b""
    return out.tobytes() + tail + cut.raw
