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
10062fd637cc16afaed9ff5e7ffca8ff2c0001fffc1d82f460f82b09af9c02c7b84f3dfe7f5f9fff9fb070e8555225e1
55b39c49151de1a096c08b61fdc97b9bcaf29d0edd3511be14dd16bed845568773383ba4031c1034533cec4120a380bc
bc2ab033f0399c1644bd39de75cc3d47cbc86058eab7753594bcc91be4cfcb5f57b232039970ec59948a5b1209cdbced
830dbd53ef94d4d2a352137b0a85493edcf81cb333a7254c8eb873a3e05b3620cc684e70d37d89a23bcd2ca5cfa35d91
c6b8f22101093245da870c6104720bf73610c3484288b31b9003e40a5ca6589eab268e96ea18dcd002bb54a4e33b4391
534d28a3a4eb27a6c9c00dba07758ad700f2ccbe40addbfaa6dfa5699abe1d9b03b3ecad58026b9dda0d6716af9da9b2
ae39a6adacb6997d0aaaee7b1b446f9114a6334dbae7a00e588d9c19c885b56256db8f157d1df4e1c380fd833bd119fc
7cb31222c366162fe8da2fe16a69d442e0175311af5de0d58d6d9ee69b9bc8821326646309446f862388b156e10f5e63
42993aaf34a4b0d4d471f935f991d6cc00af0c1627892e6bcf5a4d1f4fa6865b0b61211fb67ea3c6dfedf41ae32baa16
8aee0b0fb6a81a87a07fc80328b0400789b02a7c3575936e26bb7230aca9cefb0f1a23dad1ca486ed3b455dee2a72964
bbc86ccd6cdfd47529294a8d0647caa6bae43f36a5f3bd38ff7cefe10a26f0d8882cfde2b09fa00761d3f66a6491e2ba
9c7ef6ac8e1c60745c372aa36dced171b5c93c2c59879bb8c0ae4fcc0edadcaea92dba025294dfecbb4aa38a3281a7a6
b9418d857ce2f0cd5237dd72a1db54199993ce61f18a82e52dc91ba8056e3d733fa70791e342e855af662bddeb295aac
c2717489c13ea3e5952fe343dff6e24fac266f786b80ac2142af44aaf4248fafeaa351cbff6f1aafe6b06b77bf21ed45
2d71f98fd28548cac5144c58e473ef2a3df6c0c98e373685b6d6ef632828bddd70187f621d3e666e0e365a24
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blob():
    # the encoder may legitimately change once a new format version exists; until then it is stable
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING) == FROZEN_V1
