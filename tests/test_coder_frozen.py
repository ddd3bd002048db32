"""A blob written by coder format version 1 must decode forever, to exactly these coefficients.

If this test fails after a change to mlzip.coder, the change broke old files: give the new coder
a new format version (settings byte) and keep decoding version 1, do not edit FROZEN_V1.
"""

import numpy as np

from mlzip.coder import decode_coefficients, encode_coefficients

QTABLES = [np.arange(1, 65, dtype=np.uint16), np.full(64, 7, np.uint16), np.full(64, 7, np.uint16)]
SAMPLING = [(2, 2), (1, 1), (1, 1)]


def frozen_image() -> list[np.ndarray]:
    rng = np.random.default_rng(2024)
    out = []
    for by, bx in [(4, 6), (2, 3), (2, 3)]:
        c = np.zeros((by, bx, 64), np.int16)
        c[..., 0] = rng.integers(-300, 300, (by, bx))
        c[..., 1:10] = rng.integers(-20, 21, (by, bx, 9))
        c[..., 10:] = rng.integers(-2, 3, (by, bx, 54)) * (rng.random((by, bx, 54)) < 0.2)
        out.append(c)
    out[0][0, 0, 63] = -32768
    out[0][1, 1, 5] = 32767
    return out


FROZEN_V1 = bytes.fromhex("""
PLACEHOLDER
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blob():
    # the encoder may legitimately change once a new format version exists; until then it is stable
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING) == FROZEN_V1
