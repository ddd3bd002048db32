"""Huffman encoding of one scan from quantized coefficients (numba).

Mirrors libjpeg's encoder choices (jchuff.c / jcphuff.c) so that a standard file re-encodes to the
same bits: EOB instead of trailing ZRLs, pad bits, RSTn after each interval, and in progressive AC
scans the EOB runs, which libjpeg ends at 0x7FFF blocks or when more than 937 correction bits wait.
Encoders that end EOB runs elsewhere are reproduced from an explicit list of run lengths.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from mlzip.jpeg.scan_decode import AC_FIRST, AC_REFINE, DC_FIRST, DC_REFINE, SEQUENTIAL

MAX_CORR_BITS = 1000  # libjpeg's correction-bit buffer; it flushes the EOB run before overflowing
BLOCK_ROOM = 600  # most output bytes one block can add (64 symbols of 31 bits, all stuffed)

ERR_NO_CODE = 1  # the Huffman table has no code for a symbol the coefficients need
ERR_VALUE = 2  # a value outside what the scan can code


@njit(cache=True, inline="always")
def _put(out, o, acc, nb, v, size):
    acc = (acc << size) | (v & ((np.int64(1) << size) - 1))
    nb += size
    while nb >= 8:
        nb -= 8
        byte = (acc >> nb) & 0xFF
        out[o] = byte
        o += 1
        if byte == 0xFF:
            out[o] = 0
            o += 1
    return o, acc & ((np.int64(1) << nb) - 1), nb


@intrinsic
def _ctz(typingctx, x):
    """Index of the lowest set bit (LLVM cttz)."""
    sig = types.int64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return sig, codegen


@njit(cache=True, inline="always")
def _nonzero_mask(coefs, off, zinv, al):
    """Bit k set where the k-th coefficient in zigzag order is non-zero after >> al (of its magnitude)."""
    mask = np.int64(0)
    for p in range(64):
        c = np.int64(coefs[off + p])
        mag = -c if c < 0 else c
        mask |= np.int64((mag >> al) != 0) << zinv[p]
    return mask


@njit(cache=True)
def _grow(out, o, need):
    if o + need <= out.shape[0]:
        return out
    grown = np.empty(max(out.shape[0] * 2, o + need), np.uint8)
    grown[:o] = out[:o]
    return grown


@njit(cache=True, inline="always")
def _nbits(v):
    n = 0
    while v:
        n += 1
        v >>= 1
    return n


@njit(cache=True)
def _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t, ehufco, ehufsi):
    """EOB run symbol, its extra bits, then the correction bits its blocks buffered."""
    out = _grow(out, o, be // 4 + 16)
    r = _nbits(eobrun) - 1
    sym = r << 4
    if ehufsi[t, sym] == 0:
        return out, o, acc, nb, ERR_NO_CODE
    o, acc, nb = _put(out, o, acc, nb, ehufco[t, sym], ehufsi[t, sym])
    if r:
        o, acc, nb = _put(out, o, acc, nb, eobrun - (1 << r), r)
    for j in range(be):
        o, acc, nb = _put(out, o, acc, nb, np.int64(cbuf[j]), 1)
    return out, o, acc, nb, 0


@njit(cache=True)
def encode_scan(coefs, block_off, block_slot, bpm, n_mcu, k_end, finish, kind, ss, se, al, restart,
                dc_tab, ac_tab, ehufco, ehufsi, pad, runs, explicit, cap, zz):
    """Encode MCUs [0, k_end) of a scan.

    With finish the scan is finished (EOB run flushed, pad bits); otherwise the bits of the last
    partial byte are left pending for the caller, who appends the rest of a cut scan. With explicit, EOB runs end where
    `runs` says instead of where libjpeg would end them.
    Returns (bytes, pending_bits_value, pending_bit_count, error, eob_runs_emitted).
    """
    out = np.empty(max(cap, 1024), np.uint8)
    o = 0
    acc = np.int64(0)
    nb = 0
    preds = np.zeros(4, np.int64)
    eobrun = 0
    be = 0
    cbuf = np.empty(4096, np.uint8)
    absv = np.empty(64, np.int64)
    emitted = np.empty(n_mcu + 1 if kind >= AC_FIRST else 1, np.int64)
    ne = 0
    ri = 0
    nruns = runs.shape[0]
    p1 = np.int64(1) << al
    pad_byte = 0xFF if pad else 0
    t_ac = ac_tab[0]
    err = 0
    zinv = np.empty(64, np.int64)
    for k in range(64):
        zinv[zz[k]] = k
    band = np.int64(-1) if se == 63 else (np.int64(1) << (se + 1)) - 1
    band &= ~((np.int64(1) << ss) - 1)
    for m in range(k_end):
        if restart > 0 and m > 0 and m % restart == 0:
            if eobrun > 0:
                out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t_ac, ehufco, ehufsi)
                emitted[ne] = eobrun
                ne += 1
                ri += 1
                eobrun = 0
                be = 0
                if err:
                    break
            if nb > 0:
                o, acc, nb = _put(out, o, acc, nb, pad_byte, 8 - nb)
            out[o] = 0xFF
            out[o + 1] = 0xD0 + ((m // restart - 1) & 7)
            o += 2
            preds[:] = 0
        out = _grow(out, o, BLOCK_ROOM * bpm)
        base = m * bpm
        for i in range(bpm):
            off = block_off[base + i]
            slot = block_slot[i]
            if kind == SEQUENTIAL or kind == DC_FIRST:
                t = dc_tab[slot]
                dc = np.int64(coefs[off]) >> al
                diff = dc - preds[slot]
                preds[slot] = dc
                mag = -diff if diff < 0 else diff
                s = _nbits(mag)
                if s > 15:
                    err = ERR_VALUE
                    break
                if ehufsi[t, s] == 0:
                    err = ERR_NO_CODE
                    break
                o, acc, nb = _put(out, o, acc, nb, ehufco[t, s], ehufsi[t, s])
                if s:
                    o, acc, nb = _put(out, o, acc, nb, diff - 1 if diff < 0 else diff, s)
                if kind == DC_FIRST:
                    continue
                t = ac_tab[slot]
                mask = _nonzero_mask(coefs, off, zinv, 0) & ~np.int64(1)
                prev = 0
                while mask != 0:
                    k = _ctz(mask)
                    mask &= mask - 1
                    r = k - prev - 1
                    prev = k
                    while r > 15:
                        if ehufsi[t, 0xF0] == 0:
                            err = ERR_NO_CODE
                            break
                        o, acc, nb = _put(out, o, acc, nb, ehufco[t, 0xF0], ehufsi[t, 0xF0])
                        r -= 16
                    v = np.int64(coefs[off + zz[k]])
                    mag = -v if v < 0 else v
                    s = _nbits(mag)
                    sym = (r << 4) + s
                    if ehufsi[t, sym] == 0:
                        err = ERR_NO_CODE
                        break
                    o, acc, nb = _put(out, o, acc, nb, ehufco[t, sym], ehufsi[t, sym])
                    o, acc, nb = _put(out, o, acc, nb, v - 1 if v < 0 else v, s)
                if err:
                    break
                if prev < 63:
                    if ehufsi[t, 0] == 0:
                        err = ERR_NO_CODE
                        break
                    o, acc, nb = _put(out, o, acc, nb, ehufco[t, 0], ehufsi[t, 0])
            elif kind == DC_REFINE:
                o, acc, nb = _put(out, o, acc, nb, (np.int64(coefs[off]) >> al) & 1, 1)
            elif kind == AC_FIRST:
                mask = _nonzero_mask(coefs, off, zinv, al) & band
                prev = ss - 1
                while mask != 0:
                    k = _ctz(mask)
                    mask &= mask - 1
                    r = k - prev - 1
                    prev = k
                    if eobrun > 0:
                        out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, 0, t_ac, ehufco, ehufsi)
                        emitted[ne] = eobrun
                        ne += 1
                        ri += 1
                        eobrun = 0
                        if err:
                            break
                    while r > 15:
                        if ehufsi[t_ac, 0xF0] == 0:
                            err = ERR_NO_CODE
                            break
                        o, acc, nb = _put(out, o, acc, nb, ehufco[t_ac, 0xF0], ehufsi[t_ac, 0xF0])
                        r -= 16
                    v = np.int64(coefs[off + zz[k]])
                    mag = (-v if v < 0 else v) >> al
                    s = _nbits(mag)
                    sym = (r << 4) + s
                    if s > 15 or ehufsi[t_ac, sym] == 0:
                        err = ERR_NO_CODE
                        break
                    o, acc, nb = _put(out, o, acc, nb, ehufco[t_ac, sym], ehufsi[t_ac, sym])
                    o, acc, nb = _put(out, o, acc, nb, ~mag if v < 0 else mag, s)
                if err:
                    break
                r = se - prev
                if r > 0:
                    eobrun += 1
                    if explicit and ri < nruns:
                        flush = eobrun == runs[ri]
                    else:
                        flush = eobrun == 0x7FFF
                    if flush:
                        out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, 0, t_ac, ehufco, ehufsi)
                        emitted[ne] = eobrun
                        ne += 1
                        ri += 1
                        eobrun = 0
                        if err:
                            break
            else:  # AC_REFINE
                last_new = -1
                for k in range(ss, se + 1):
                    v = np.int64(coefs[off + zz[k]])
                    mag = (-v if v < 0 else v) >> al
                    absv[k] = mag
                    if mag == 1:
                        last_new = k
                r = 0
                br = 0  # this block's correction bits wait at cbuf[be : be + br]
                if be + 64 > cbuf.shape[0]:
                    grown = np.empty(cbuf.shape[0] * 2, np.uint8)
                    grown[:be] = cbuf[:be]
                    cbuf = grown
                for k in range(ss, se + 1):
                    mag = absv[k]
                    if mag == 0:
                        r += 1
                        continue
                    while r > 15 and k <= last_new:
                        if eobrun > 0:
                            out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t_ac, ehufco, ehufsi)
                            emitted[ne] = eobrun
                            ne += 1
                            ri += 1
                            eobrun = 0
                            if err:
                                break
                        if ehufsi[t_ac, 0xF0] == 0:
                            err = ERR_NO_CODE
                            break
                        o, acc, nb = _put(out, o, acc, nb, ehufco[t_ac, 0xF0], ehufsi[t_ac, 0xF0])
                        r -= 16
                        for j in range(br):
                            o, acc, nb = _put(out, o, acc, nb, np.int64(cbuf[be + j]), 1)
                        # the run's bits went out with it: this block's next bits start at 0
                        be = 0
                        br = 0
                    if err:
                        break
                    if mag > 1:
                        cbuf[be + br] = mag & 1
                        br += 1
                        continue
                    if eobrun > 0:
                        # the run's bits go first; this block's pending bits stay after them
                        out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t_ac, ehufco, ehufsi)
                        emitted[ne] = eobrun
                        ne += 1
                        ri += 1
                        eobrun = 0
                        if err:
                            break
                    sym = (r << 4) + 1
                    if ehufsi[t_ac, sym] == 0:
                        err = ERR_NO_CODE
                        break
                    o, acc, nb = _put(out, o, acc, nb, ehufco[t_ac, sym], ehufsi[t_ac, sym])
                    sign = 0 if coefs[off + zz[k]] < 0 else 1
                    o, acc, nb = _put(out, o, acc, nb, np.int64(sign), 1)
                    for j in range(br):
                        o, acc, nb = _put(out, o, acc, nb, np.int64(cbuf[be + j]), 1)
                    be = 0
                    br = 0
                    r = 0
                if err:
                    break
                if r > 0 or br > 0:
                    eobrun += 1
                    be += br
                    if explicit and ri < nruns:
                        flush = eobrun == runs[ri]
                    else:
                        flush = eobrun == 0x7FFF or be > MAX_CORR_BITS - 64 + 1
                    if flush:
                        out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t_ac, ehufco, ehufsi)
                        emitted[ne] = eobrun
                        ne += 1
                        ri += 1
                        eobrun = 0
                        be = 0
                        if err:
                            break
        if err:
            break
    if err == 0 and finish:
        if eobrun > 0:
            out, o, acc, nb, err = _emit_eobrun(out, o, acc, nb, eobrun, cbuf, be, t_ac, ehufco, ehufsi)
            emitted[ne] = eobrun
            ne += 1
        if nb > 0:
            out = _grow(out, o, 4)
            o, acc, nb = _put(out, o, acc, nb, pad_byte, 8 - nb)
    return out[:o].copy(), acc, nb, err, emitted[:ne].copy()
