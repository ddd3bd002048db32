"""Zigzag order and Huffman tables in the array forms the numba scan kernels use.

Coefficients are stored in NATURAL order (row-major 8x8) everywhere in mlzip; the zigzag
order exists only here and inside the scan kernels, which map zigzag index k to ZIGZAG[k].
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mlzip.errors import UnsupportedJpeg

# ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zigzag order.
ZIGZAG = np.array(
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ],
    dtype=np.int64,
)

# Codes up to this many bits decode with one table lookup; longer ones take the canonical slow path.
# 10: code and value in one lookup for ~93% of a camera photo's AC coefficients (9: ~85%). The scan
# kernels compile it in: numba's cache does not see a change here (clear mlzip/jpeg/__pycache__).
LUT_BITS = 10
# Table slots in the packed arrays: DC tables 0..3, AC tables 4..7 (by their Th id).
N_SLOTS = 8


@dataclass(frozen=True)
class HuffTable:
    """One DHT table: code lengths (counts per length 1..16) and symbols in code order."""

    counts: tuple[int, ...]
    symbols: bytes

    @staticmethod
    def from_segment(counts: bytes, symbols: bytes) -> "HuffTable":
        return _checked_table(bytes(counts), bytes(symbols))  # bytes: memoryview slices do not hash

    def codes(self) -> tuple[list[int], list[int]]:
        """Canonical codes and their lengths, in symbol order of the table."""
        codes, sizes = [], []
        code = 0
        for length, count in enumerate(self.counts, start=1):
            for _ in range(count):
                codes.append(code)
                sizes.append(length)
                code += 1
            code <<= 1
        return codes, sizes


@lru_cache(maxsize=256)
def _checked_table(counts: bytes, symbols: bytes) -> HuffTable:
    """Most files carry the same few tables; HuffTable is frozen, so one object serves them all."""
    code = 0
    for length, count in enumerate(counts, start=1):
        code += count
        if code > (1 << length):
            raise UnsupportedJpeg("invalid Huffman table (code space overflow)")
        code <<= 1
    return HuffTable(tuple(counts), symbols)


@dataclass
class PackedTables:
    """All Huffman tables of one scan, packed for the kernels (slot = Td or 4 + Ta)."""

    lut: np.ndarray  # int32 [8, 512]: (length << 8) | symbol, 0 = take the slow path, -1 = invalid
    fast_ac: np.ndarray  # int32 [8, 512]: (value << 16) | (run << 8) | bits, code and value in one look
    maxcode: np.ndarray  # int64 [8, 17]: largest code of each length, -1 if none
    valoff: np.ndarray  # int64 [8, 17]: symbol index = valoff[len] + code
    huffval: np.ndarray  # int64 [8, 256]
    ehufco: np.ndarray  # int64 [8, 256]: code of each symbol
    ehufsi: np.ndarray  # int64 [8, 256]: its length, 0 = symbol absent


def pack_tables(tables: dict[int, HuffTable]) -> PackedTables:
    return _pack_all(tuple(tables.get(slot) for slot in range(N_SLOTS)))


@lru_cache(maxsize=64)
def _pack_all(per_slot_tables: tuple[HuffTable | None, ...]) -> PackedTables:
    per_slot = [_pack_one(t) for t in per_slot_tables]
    return PackedTables(*(np.stack([p[i] for p in per_slot]) for i in range(7)))


@lru_cache(maxsize=256)
def _pack_one(table: HuffTable | None) -> tuple[np.ndarray, ...]:
    lut = np.zeros(1 << LUT_BITS, np.int32)
    fast_ac = np.zeros(1 << LUT_BITS, np.int32)
    maxcode = np.full(17, -1, np.int64)
    valoff = np.zeros(17, np.int64)
    huffval = np.zeros(256, np.int64)
    ehufco = np.zeros(256, np.int64)
    ehufsi = np.zeros(256, np.int64)
    if table is None:
        return lut, fast_ac, maxcode, valoff, huffval, ehufco, ehufsi
    codes, sizes = table.codes()
    syms = list(table.symbols)
    huffval[: len(syms)] = syms
    index = 0
    for length in range(1, 17):
        count = table.counts[length - 1]
        if count:
            valoff[length] = index - codes[index]
            maxcode[length] = codes[index + count - 1]
        index += count
    for i, (code, size, sym) in enumerate(zip(codes, sizes, syms)):
        shift = LUT_BITS - size
        if ehufsi[sym]:
            # a second code for a symbol: the encoder cannot know the file used it, so decoding
            # treats it as an invalid code (the scan is cut there and kept raw)
            huffval[i] = -1
            if size <= LUT_BITS:
                lut[code << shift : (code + 1) << shift] = -1
            continue
        ehufco[sym] = code
        ehufsi[sym] = size
        if size > LUT_BITS:
            continue
        lut[code << shift : (code + 1) << shift] = (size << 8) | sym
        run, nbits = sym >> 4, sym & 15
        if nbits and size + nbits <= LUT_BITS:
            extra = np.arange(1 << nbits)
            values = np.where(extra < (1 << (nbits - 1)), extra - (1 << nbits) + 1, extra)
            entries = (values << 16) | (run << 8) | (size + nbits)
            fast_ac[((code << nbits) << (shift - nbits)) : ((code + 1) << nbits) << (shift - nbits)] = np.repeat(
                entries, 1 << (shift - nbits))
    return lut, fast_ac, maxcode, valoff, huffval, ehufco, ehufsi
