"""unstuff (entropy-coded bytes of a scan: stuffing removed, split at restart markers, end found)
against a byte-by-byte reference, on data with 0xFF at every alignment of its 8-byte search steps."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mlzip.jpeg.entropy_data import unstuff


def reference(data: bytes, start: int):
    """(clean, seg_ends, rst_codes, clean_stop, region_end) the slow, obvious way."""
    clean, seg_ends, rst_codes = bytearray(), [], []
    p, n = start, len(data)
    while p < n:
        if data[p] != 0xFF:
            clean.append(data[p])
            p += 1
            continue
        if p + 1 >= n:
            break
        c = data[p + 1]
        if c == 0:
            clean.append(0xFF)
        elif 0xD0 <= c <= 0xD7:
            seg_ends.append(len(clean))
            rst_codes.append(c)
        else:
            break
        p += 2
    clean_stop = p
    seg_ends.append(len(clean))
    rst_codes.append(-1)
    region_end = n
    for q in range(p, n - 1):
        if data[q] == 0xFF and data[q + 1] != 0xFF and not (data[q + 1] == 0 or 0xD0 <= data[q + 1] <= 0xD7):
            region_end = q
            break
    return bytes(clean), seg_ends, rst_codes, clean_stop, region_end


def scan_bytes(rng: random.Random, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        roll = rng.random()
        if roll < 0.05:
            out += b"\xff\x00"
        elif roll < 0.06:
            out += bytes([0xFF, 0xD0 + rng.randrange(8)])
        elif roll < 0.07:
            out += b"\xff" * rng.randint(1, 3)  # fill bytes
        else:
            out += bytes(rng.randrange(255) for _ in range(rng.randint(0, 20)))
    return bytes(out[:size])


@pytest.mark.parametrize("seed", range(12))
def test_unstuff_matches_the_reference(seed):
    rng = random.Random(seed)
    body = scan_bytes(rng, rng.randint(0, 300))
    tail = rng.choice([b"", b"\xff\xd9", b"\xff", b"\xff\xc4\x00\x03\x00\xff\xd9", b"\xff\xff\xda"])
    data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9))) + body + tail
    for start in range(min(len(data), 10)):
        got = unstuff(np.frombuffer(data, np.uint8), start)
        clean, seg_ends, rst_codes, clean_stop, region_end = reference(data, start)
        assert got[0].tobytes() == clean
        assert got[1].tolist() == seg_ends and got[2].tolist() == rst_codes
        assert (int(got[3]), int(got[4])) == (clean_stop, region_end)
