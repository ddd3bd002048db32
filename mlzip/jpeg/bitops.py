"""Bit tricks shared by the scan kernels: LLVM's cttz/ctlz, and which coefficients of a block are non-zero."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from mlzip.jitviews import unowned
from mlzip.jpeg.tables import ZIGZAG

JIT_SOURCES_SHA256 = "9e79f82c489366ef134740d6279af72008bddac09b6af426d90d1b8c30419d2b"  # tools/stamp_jit.py


def _llvm_count(name: str):
    """A numba intrinsic int64 -> int64 around LLVM's cttz or ctlz (defined for 0: 64)."""

    @intrinsic
    def count(typingctx, x):
        sig = types.int64(types.int64)

        def codegen(context, builder, signature, args):
            return getattr(builder, name)(args[0], ir.Constant(ir.IntType(1), 0))

        return sig, codegen

    return count


ctz = _llvm_count("cttz")  # index of the lowest set bit
clz = _llvm_count("ctlz")  # leading zero bits


@intrinsic
def load_word(typingctx, arr, idx):
    """The 8 bytes arr[idx : idx + 8] of a uint8 array as one int64 in machine order (an unaligned
    load; the caller checks the bounds)."""
    sig = types.int64(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        return builder.load(builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)

    return sig, codegen


_ONES = np.int64(0x0101010101010101)
_HIGHS = np.int64(-0x7F7F7F7F7F7F7F80)  # 0x8080808080808080


@njit(cache=True, inline="always")
def find_ff(data, p, n):
    """Index of the first 0xFF byte in data[p:n], or n; eight bytes per step where it can."""
    while p + 8 <= n:
        x = ~load_word(data, p)  # 0xFF bytes become zero bytes
        if (x - _ONES) & ~x & _HIGHS:
            break
        p += 8
    while p < n and data[p] != 0xFF:
        p += 1
    return p


def zigzag_byte_tables(zigzag: np.ndarray) -> np.ndarray:
    """zt[b, v]: zigzag-order mask of the natural positions 8b..8b+7 whose bits are set in v."""
    zinv = np.argsort(zigzag)
    zt = np.zeros((8, 256), np.int64)
    for b in range(8):
        for v in range(256):
            m = 0
            for j in range(8):
                if v >> j & 1:
                    m |= 1 << int(zinv[8 * b + j])
            zt[b, v] = m - (1 << 64) if m >= 1 << 63 else m
    return zt


ZIGZAG_BYTES = zigzag_byte_tables(ZIGZAG)


# Lane tricks on four int16 coefficients in one int64 word (see nonzero_zigzag).
_LOW15 = np.int64(0x7FFF7FFF7FFF7FFF)
_LANE_BITS = np.int64(0x0001000100010001)
_GATHER = np.int64(0x0000200040008001)  # moves bits 0, 16, 32, 48 to bits 48, 47, 46, 45


@njit(cache=True, inline="always")
def nonzero_zigzag(words, woff, zt):
    """Bit k set where the k-th coefficient (zigzag order) of the block at words[woff:woff+16] is non-zero.

    words is the int16 coefficient buffer viewed as int64: four coefficients per word, tested at once
    without branches (bit 15 of a lane is set once its low 15 bits are added to 0x7FFF or its sign is
    set; a multiply gathers the four bits into a nibble); zt turns the natural-order mask into
    zigzag order a byte at a time.
    """
    nat = np.int64(0)
    for w in range(16):
        x = words[woff + w]
        lanes = ((((x & _LOW15) + _LOW15) | x) >> 15) & _LANE_BITS
        nat |= (((lanes * _GATHER) >> 45) & 15) << (4 * w)
    mask = np.int64(0)
    for b in range(8):
        mask |= zt[b, (nat >> (8 * b)) & 0xFF]
    return mask


@njit(cache=True)
def block_masks(coefs, zt):
    """(nonzero_zigzag of every block of a flat int16 coefficient buffer, its DC value): one int64
    and one int16 per block.

    Progressive scans visit every block ~10 times; with the masks computed once, a scan reads 8
    bytes per block instead of 128 and touches the coefficients only where some are non-zero; DC
    scans read 2 bytes per block.
    """
    coefs, zt = unowned(coefs), unowned(zt)  # no atomic reference counting per inlined call
    words = coefs.view(np.int64)
    n = coefs.shape[0] // 64
    out = np.empty(n, np.int64)
    dcs = np.empty(n, np.int16)
    for b in range(n):
        out[b] = nonzero_zigzag(words, 16 * b, zt)
        dcs[b] = (words[16 * b] << 48) >> 48  # the block's first coefficient (little-endian int16 lanes)
    return out, dcs


@njit(cache=True, inline="always")
def band_mask(ss, se):
    """Bits ss..se set."""
    high = np.int64(-1) if se == 63 else (np.int64(1) << (se + 1)) - 1
    return high & ~((np.int64(1) << ss) - 1)
