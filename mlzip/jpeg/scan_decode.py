"""Huffman decoding of one scan into quantized coefficients (numba).

Bit reader state is three integers (pos, acc, n) passed through inlined helpers, so LLVM keeps
it in registers. Past the end of an interval the reader supplies zero bits; the driver notices the
overrun after the MCU and cuts the scan there.

The decoder also checks every choice a re-encoder has to make the same way (pad bits, restart
marker numbers, no stray ZRL before an EOB, ...). The first check that fails "cuts" the scan: the
coefficients up to the last safe MCU boundary are kept, and the caller stores the rest of the
scan's bytes raw, so the file still rebuilds exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mlzip.jitviews import unowned
from mlzip.jpeg.bitops import band_mask, ctz, nonzero_zigzag
from mlzip.jpeg.tables import LUT_BITS

JIT_SOURCES_SHA256 = "6380ab586c0c2b5061b03348f442a350ca76b282b36752bd14564cb12c9de8ef"  # tools/stamp_jit.py

SEQUENTIAL, DC_FIRST, DC_REFINE, AC_FIRST, AC_REFINE = 0, 1, 2, 3, 4
INT16_MIN, INT16_MAX = -32768, 32767
# Where libjpeg's encoder (jcphuff.c) ends an EOB run: at this length, or in a refinement scan once the
# correction bits of its blocks pass this count (its buffer holds 1000 and a block may add 64).
MAX_EOB_RUN = 0x7FFF
MAX_RUN_CORR_BITS = 1000 - 64 + 1


@njit(cache=True, inline="always")
def _refill(buf, end, pos, acc, n):
    while n <= 56:
        b = np.int64(0)
        if pos < end:
            b = np.int64(buf[pos])
        acc = (acc << 8) | b
        pos += 1
        n += 8
    return pos, acc, n


@njit(cache=True, inline="always")
def _huff(buf, end, pos, acc, n, t, lut, maxcode, valoff, huffval):
    """Next Huffman symbol of table slot t, or -1 for a code the table lacks."""
    if n < 32:  # enough for a code and its extra bits: _value needs no refill check
        pos, acc, n = _refill(buf, end, pos, acc, n)
    e = lut[t, (acc >> (n - LUT_BITS)) & ((1 << LUT_BITS) - 1)]
    if e > 0:
        return np.int64(e & 255), pos, acc, n - (e >> 8)
    if e < 0:
        return np.int64(-1), pos, acc, n
    for length in range(LUT_BITS + 1, 17):
        code = (acc >> (n - length)) & ((1 << length) - 1)
        if code <= maxcode[t, length]:
            return huffval[t, valoff[t, length] + code], pos, acc, n - length
    return np.int64(-1), pos, acc, n


@njit(cache=True, inline="always")
def _bits(buf, end, pos, acc, n, s):
    if s == 0:
        return np.int64(0), pos, acc, n
    if n < s:
        pos, acc, n = _refill(buf, end, pos, acc, n)
    return (acc >> (n - s)) & ((1 << s) - 1), pos, acc, n - s


@njit(cache=True, inline="always")
def _value(acc, n, s):
    """The s extra bits after a Huffman code, as a signed value (n >= s is guaranteed by _huff)."""
    v = (acc >> (n - s)) & ((1 << s) - 1)
    if s > 0 and v < (1 << (s - 1)):
        v = v - (1 << s) + 1
    return v, n - s


@njit(cache=True, inline="always")
def _refine_bits(buf, end, pos, acc, n, coefs, off, mask, zz, p1):
    """A correction bit for each coefficient in mask (zigzag bits, lowest first), each of them already
    non-zero; up to 32 bits per refill check. Returns (pos, acc, n, bits read)."""
    count = 0
    while mask != 0:
        if n < 32:
            pos, acc, n = _refill(buf, end, pos, acc, n)
        for _ in range(32):
            idx = off + zz[ctz(mask)]
            mask &= mask - 1
            n -= 1
            count += 1
            if (acc >> n) & 1:
                c = coefs[idx]
                if (c & p1) == 0:
                    coefs[idx] = c + p1 if c >= 0 else c - p1
            if mask == 0:
                break
    return pos, acc, n, count


@njit(cache=True)
def reset_blocks(coefs, dcs, nzmask, block_off, bpm, m_from, m_to, kind, ss, se, al, zz, zt):
    """Return the blocks of MCUs [m_from, m_to) to their state before this scan (masks included)."""
    p1 = 1 << al
    words = coefs.view(np.int64)
    for j in range(m_from * bpm, m_to * bpm):
        off = block_off[j]
        if kind == SEQUENTIAL:
            coefs[off : off + 64] = 0
        elif kind == DC_FIRST:
            dcs[off >> 6] = 0
        elif kind == DC_REFINE:
            dcs[off >> 6] = dcs[off >> 6] & ~p1
        else:
            for k in range(ss, se + 1):
                idx = off + zz[k]
                c = coefs[idx]
                if kind == AC_FIRST:
                    coefs[idx] = 0
                elif c > 0:
                    coefs[idx] = c & ~p1
                elif c < 0:
                    coefs[idx] = -((-c) & ~p1)
            nzmask[off >> 6] = nonzero_zigzag(words, off >> 2, zt)


@njit(cache=True)
def decode_scan(clean, seg_ends, rst_codes, coefs, dcs, nzmask, block_off, block_slot, bpm, n_mcu,
                kind, ss, se, al, restart, dc_tab, ac_tab, lut, fast_ac, maxcode, valoff, huffval, zz, zt):
    """Decode one scan. Returns (cut, good_mcus, cut_start, cut_bit, pad, eob_runs, runs_standard, odd_at,
    odd_code).

    A sequential scan writes (or zeroes) all 64 coefficients of every block in its order, so
    coefs need not be zeroed beforehand. cut is False when every MCU decoded and every interval ended exactly as a standard encoder
    ends it; otherwise the scan is kept up to good_mcus MCUs, which end at bit cut_bit of the
    restart interval starting at clean byte cut_start, and coefficients past that point are reset.
    pad is the value (0 or 1) of the pad bits, eob_runs the EOB run lengths in coding order;
    runs_standard whether each run ends where libjpeg's encoder ends it (at MAX_EOB_RUN, past
    MAX_RUN_CORR_BITS correction bits, before a block with symbols, or at the end of the interval),
    meaningful only for a scan that is not cut;
    interval odd_at[i] is followed by marker byte odd_code[i] instead of RSTn (-1: no marker).
    nzmask[off >> 6] is the nonzero_zigzag mask (bits 1..63) of the block at coefs[off]: AC scans keep
    it up to date and refinement scans read their history from it; sequential and DC scans never
    touch it (a sequential frame passes a one-element dummy).
    Progressive DC scans write dcs[off >> 6] instead of coefs[off], the caller copies them over at the
    end: the DC values of a whole image stay in cache between scans (a one-element dummy as well).
    """
    # the arguments outlive this call: views without reference counting, which numba otherwise
    # updates atomically at every call of an inlined helper (_huff, _refill)
    clean, coefs, dcs, nzmask, block_off, block_slot = (unowned(clean), unowned(coefs), unowned(dcs),
                                                        unowned(nzmask), unowned(block_off), unowned(block_slot))
    lut, fast_ac, maxcode, valoff, huffval, zz, zt = (unowned(lut), unowned(fast_ac), unowned(maxcode),
                                                      unowned(valoff), unowned(huffval), unowned(zz), unowned(zt))
    n_segs = seg_ends.shape[0]
    nint = restart if restart > 0 else n_mcu
    runs = np.empty(n_mcu + 1 if kind >= AC_FIRST else 1, np.int64)
    odd_at = np.empty(n_mcu // nint + 2, np.int64)
    odd_code = np.empty(n_mcu // nint + 2, np.int64)
    n_odd = 0
    nruns = 0
    preds = np.zeros(4, np.int64)
    p1 = np.int64(1) << al
    m = 0
    seg = 0  # clean segment (bytes between restart markers)
    j = 0  # restart interval
    start = 0  # clean offset where interval j starts
    good_m = 0
    good_j = 0
    good_start = 0
    good_bit = 0
    pad = -1
    fail = False
    eobrun = 0
    standard = True
    run_bits = 0  # correction bits of the current EOB run's blocks (refinement scans)
    while m < n_mcu:
        if seg < n_segs:
            end = seg_ends[seg]
        else:
            start = clean.shape[0]
            end = start
        limit_bits = (end - start) * 8
        pos = start
        acc = np.int64(0)
        n = 0
        preds[:] = 0
        eobrun = 0
        ended = False  # the last block ended an EOB run that libjpeg would not have ended yet
        mend = min(m + nint, n_mcu)
        while m < mend:
            base = m * bpm
            for i in range(bpm):
                off = block_off[base + i]
                slot = block_slot[i]
                if kind == SEQUENTIAL or kind == DC_FIRST:
                    if kind == SEQUENTIAL:  # the caller skipped zero-filling: one pass over memory, not two
                        coefs[off : off + 64] = 0
                    s, pos, acc, n = _huff(clean, end, pos, acc, n, dc_tab[slot], lut, maxcode, valoff, huffval)
                    if s < 0 or s > 15:
                        fail = True
                        break
                    v, n = _value(acc, n, s)
                    pred = preds[slot] + v
                    val = pred << al
                    if val < INT16_MIN or val > INT16_MAX:
                        fail = True
                        break
                    preds[slot] = pred
                    if kind == DC_FIRST:
                        dcs[off >> 6] = val
                        continue
                    coefs[off] = val
                    # sequential AC coefficients
                    t = ac_tab[slot]
                    k = 1
                    zrl = False
                    while k < 64:
                        if n < 32:
                            pos, acc, n = _refill(clean, end, pos, acc, n)
                        fe = fast_ac[t, (acc >> (n - LUT_BITS)) & ((1 << LUT_BITS) - 1)]
                        if fe != 0:  # short code and small value: one lookup
                            k += (fe >> 8) & 0xFF
                            if k > 63:
                                fail = True
                                break
                            coefs[off + zz[k]] = fe >> 16
                            n -= fe & 0xFF
                            zrl = False
                            k += 1
                            continue
                        rs, pos, acc, n = _huff(clean, end, pos, acc, n, t, lut, maxcode, valoff, huffval)
                        if rs < 0:
                            fail = True
                            break
                        r = rs >> 4
                        s = rs & 15
                        if s == 0:
                            if r == 15:
                                k += 16
                                zrl = True
                                if k >= 64:  # a standard encoder codes trailing zeros as EOB
                                    fail = True
                                    break
                                continue
                            if r != 0 or zrl:
                                fail = True
                            break
                        k += r
                        if k > 63:
                            fail = True
                            break
                        v, n = _value(acc, n, s)
                        coefs[off + zz[k]] = v
                        zrl = False
                        k += 1
                    if fail:
                        break
                elif kind == DC_REFINE:
                    b, pos, acc, n = _bits(clean, end, pos, acc, n, 1)
                    if b:
                        dcs[off >> 6] = dcs[off >> 6] | p1
                elif kind == AC_FIRST:
                    if eobrun > 0:
                        eobrun -= 1
                        ended = eobrun == 0 and runs[nruns - 1] != MAX_EOB_RUN
                        continue
                    after_run = ended
                    ended = False
                    t = ac_tab[0]
                    k = ss
                    zrl = False
                    while k <= se:
                        if n < 32:
                            pos, acc, n = _refill(clean, end, pos, acc, n)
                        fe = fast_ac[t, (acc >> (n - LUT_BITS)) & ((1 << LUT_BITS) - 1)]
                        if fe != 0:
                            k += (fe >> 8) & 0xFF
                            val = (fe >> 16) << al
                            if k > se or val < INT16_MIN or val > INT16_MAX:
                                fail = True
                                break
                            coefs[off + zz[k]] = val
                            nzmask[off >> 6] |= np.int64(1) << k
                            n -= fe & 0xFF
                            zrl = False
                            k += 1
                            continue
                        rs, pos, acc, n = _huff(clean, end, pos, acc, n, t, lut, maxcode, valoff, huffval)
                        if rs < 0:
                            fail = True
                            break
                        r = rs >> 4
                        s = rs & 15
                        if s == 0:
                            if r == 15:
                                k += 16
                                zrl = True
                                if k > se:
                                    fail = True
                                    break
                                continue
                            if zrl:
                                fail = True
                                break
                            v, pos, acc, n = _bits(clean, end, pos, acc, n, r)
                            runs[nruns] = (1 << r) + v
                            eobrun = runs[nruns] - 1
                            nruns += 1
                            if after_run and k == ss:  # a block without symbols: libjpeg extends the run
                                standard = False
                            ended = eobrun == 0
                            break
                        k += r
                        if k > se:
                            fail = True
                            break
                        v, n = _value(acc, n, s)
                        val = v << al
                        if val < INT16_MIN or val > INT16_MAX:
                            fail = True
                            break
                        coefs[off + zz[k]] = val
                        nzmask[off >> 6] |= np.int64(1) << k
                        zrl = False
                        k += 1
                    if fail:
                        break
                else:  # AC_REFINE
                    k = ss
                    hist = nzmask[off >> 6]  # coefficients non-zero before this scan
                    if eobrun == 0:
                        after_run = ended
                        ended = False
                        t = ac_tab[0]
                        zrl = False
                        while k <= se:
                            if n < 32:
                                pos, acc, n = _refill(clean, end, pos, acc, n)
                            fe = fast_ac[t, (acc >> (n - LUT_BITS)) & ((1 << LUT_BITS) - 1)]
                            if fe != 0:  # a short code with its sign bit: one lookup
                                if fe >> 16 != 1 and fe >> 16 != -1:  # only magnitude 1 belongs here
                                    fail = True
                                    break
                                r = (fe >> 8) & 0xFF
                                s = 1
                                val = p1 if fe >> 16 == 1 else -p1
                                n -= fe & 0xFF
                                zrl = False
                            else:
                                rs, pos, acc, n = _huff(clean, end, pos, acc, n, t, lut, maxcode, valoff, huffval)
                                if rs < 0:
                                    fail = True
                                    break
                                r = rs >> 4
                                s = rs & 15
                                val = 0
                                if s != 0:
                                    if s != 1:
                                        fail = True
                                        break
                                    b, pos, acc, n = _bits(clean, end, pos, acc, n, 1)
                                    val = p1 if b else -p1
                                    zrl = False
                                elif r != 15:
                                    if zrl:
                                        fail = True
                                        break
                                    v, pos, acc, n = _bits(clean, end, pos, acc, n, r)
                                    runs[nruns] = (1 << r) + v
                                    eobrun = runs[nruns]
                                    nruns += 1
                                    if after_run and k == ss:  # a block without symbols: libjpeg extends the run
                                        standard = False
                                    run_bits = 0
                                    break
                                else:
                                    zrl = True
                            # the symbol lands on the (r+1)-th coefficient without history from k on;
                            # those with history on the way get a correction bit each
                            free = ~hist & band_mask(k, se)
                            for _ in range(r):
                                free &= free - 1
                            if free == 0:
                                fail = True
                                break
                            target = ctz(free)
                            pos, acc, n, _ = _refine_bits(clean, end, pos, acc, n, coefs, off,
                                                          hist & band_mask(k, target), zz, p1)
                            if s != 0:
                                coefs[off + zz[target]] = val
                                nzmask[off >> 6] |= np.int64(1) << target
                            k = target + 1
                        if zrl:  # libjpeg emits a ZRL only before a newly non-zero coefficient
                            fail = True
                        if fail:
                            break
                    if eobrun > 0:
                        if k <= se:  # a correction bit for each non-zero coefficient left in the band
                            pos, acc, n, count = _refine_bits(clean, end, pos, acc, n, coefs, off,
                                                              hist & band_mask(k, se), zz, p1)
                            run_bits += count
                        eobrun -= 1
                        forced = run_bits > MAX_RUN_CORR_BITS or runs[nruns - 1] == MAX_EOB_RUN
                        if eobrun > 0 and run_bits > MAX_RUN_CORR_BITS:  # libjpeg ends the run here
                            standard = False
                        ended = eobrun == 0 and not forced
            if fail:
                break
            bitpos = (pos - start) * 8 - n
            if bitpos > limit_bits:
                fail = True
                break
            m += 1
            if eobrun == 0:
                good_m = m
                good_j = j
                good_start = start
                good_bit = bitpos
        if fail:
            break
        # the interval ends: a standard encoder flushes the EOB run, pads, then writes RSTn
        bitpos = (pos - start) * 8 - n
        nbytes = (bitpos + 7) >> 3
        if eobrun != 0 or (m == n_mcu and nbytes != end - start):
            fail = True
            break
        npad = nbytes * 8 - bitpos
        if npad > 0:
            pb = clean[start + nbytes - 1] & ((1 << npad) - 1)
            v = 1 if pb == (1 << npad) - 1 else (0 if pb == 0 else 2)
            if v == 2 or (pad >= 0 and v != pad):
                fail = True
                break
            pad = v
        if m < n_mcu and nbytes < end - start:  # the next interval follows without a marker
            odd_at[n_odd] = j
            odd_code[n_odd] = -1
            n_odd += 1
            start += nbytes
        else:
            if m < n_mcu:
                if seg + 1 >= n_segs:
                    fail = True
                    break
                if rst_codes[seg] != 0xD0 + (j & 7):  # a restart marker with the wrong number
                    odd_at[n_odd] = j
                    odd_code[n_odd] = rst_codes[seg]
                    n_odd += 1
            start = end
            seg += 1
        j += 1
    if not fail and seg != n_segs:
        fail = True  # restart markers or bytes after the last interval
    if fail:
        # a sequential scan zeroes every block it did not keep: no block of its order is left unwritten
        m_to = n_mcu if kind == SEQUENTIAL else min(m + 1, n_mcu)
        reset_blocks(coefs, dcs, nzmask, block_off, bpm, good_m, m_to, kind, ss, se, al, zz, zt)
    if pad < 0:
        pad = 1
    if fail:  # restart markers after the cut are raw bytes
        while n_odd > 0 and odd_at[n_odd - 1] >= good_j:
            n_odd -= 1
    return (fail, good_m, good_start, good_bit, pad, runs[:nruns].copy(), standard, odd_at[:n_odd].copy(),
            odd_code[:n_odd].copy())
