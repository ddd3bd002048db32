"""The entropy-coded bytes of one scan: remove byte stuffing, split at restart markers, find its end.

The scan kernels read the clean (unstuffed) bytes; positions found there are mapped back to file
positions only where the layout needs raw bytes (a scan cut short by truncation or damage).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mlzip.jitviews import unowned
from mlzip.jpeg.bitops import find_ff

JIT_SOURCES_SHA256 = "6380ab586c0c2b5061b03348f442a350ca76b282b36752bd14564cb12c9de8ef"  # tools/stamp_jit.py


@njit(cache=True)
def _is_scan_byte(c: int) -> bool:
    return c == 0x00 or (0xD0 <= c <= 0xD7)


@njit(cache=True)
def unstuff(data: np.ndarray, start: int):
    """Clean bytes of the scan starting at data[start].

    Returns (clean, seg_ends, rst_codes, clean_stop, region_end):
    seg_ends[j] is the clean end of restart interval j, rst_codes[j] the marker byte after it;
    clean_stop is the file position where clean data stopped (a marker, a fill byte or the end);
    region_end is where the scan's bytes end: the 0xFF of the next real marker, or len(data).
    """
    data = unowned(data)  # the caller's: no atomic reference counting per find_ff call
    n = data.shape[0]
    clean = np.empty(max(n - start, 1), np.uint8)
    o = 0
    p = start
    n_rst = 0
    # one pass for the bytes (no array is grown inside it: that costs 10x here): find the next 0xFF,
    # copy the run before it in one go
    while p < n:
        q = find_ff(data, p, n)
        clean[o : o + q - p] = data[p:q]
        o += q - p
        p = q
        if p + 1 >= n:
            break
        c = data[p + 1]
        if c == 0:
            clean[o] = 0xFF
            o += 1
        elif 0xD0 <= c <= 0xD7:
            n_rst += 1
        else:
            break
        p += 2
    clean_stop = p
    seg_ends = np.empty(n_rst + 1, np.int64)
    rst_codes = np.empty(n_rst + 1, np.int64)
    if n_rst:
        # second pass, only for files with restart markers: where each interval ends
        j = 0
        q = start
        oo = 0
        while q < clean_stop:
            if data[q] != 0xFF:
                oo += 1
                q += 1
            elif data[q + 1] == 0:
                oo += 1
                q += 2
            else:
                seg_ends[j] = oo
                rst_codes[j] = data[q + 1]
                j += 1
                q += 2
    seg_ends[n_rst] = o
    rst_codes[n_rst] = -1
    # the scan's bytes run to the first 0xFF that starts a real marker (fill bytes stay in the scan)
    q = p
    region_end = n
    while q + 1 < n:
        if data[q] == 0xFF and data[q + 1] != 0xFF and not _is_scan_byte(data[q + 1]):
            region_end = q
            break
        q += 1
    return clean[:o], seg_ends, rst_codes, clean_stop, region_end


@njit(cache=True)
def clean_to_file(data: np.ndarray, start: int, count: int) -> int:
    """File position just after the first `count` clean bytes (with their stuffing), before any marker."""
    p = start
    o = 0
    n = data.shape[0]
    while o < count and p < n:
        if data[p] != 0xFF:
            p += 1
            o += 1
        elif p + 1 < n and data[p + 1] == 0:
            p += 2
            o += 1
        else:  # restart marker between intervals
            p += 2
    return p
