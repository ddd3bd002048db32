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
120d3e69ec0121ac827dffe48c6ddca46e618fe8637f4f0f8c71ace1b6a9134ef06513dbebe4a8d8477c05514f0db0ea
f0fb52bd08974403401dfc044ceea05de27932a35dbb55400169755f9c685567100089cc694f8c921961821b54277585
2deefda1c6ab9e573dd9a8cb68f39f03fe25451785aaa3d3337de1b1df53d35d19c8be0e945226f1d98ddbfcfced5340
d03a42e2f746297006cc3e4a1d5aa507de67294356c9a11125a2175be085fba72e21faf5b5efaca0535c7ddb602bc5ed
a494429eb3f01cdc81a54bffe12d3888008b0a13c53d7f465298d85d94cd1dd2fd10928a23faf657c6e8dfd84fb22130
a38e6842351921603e279125a9fb96aa7cf09178f373c9a795942e763b70dbbdc0796cdce535dd67250769e069018b95
99a4f55101dcff4624a788db7899c641ce240c094c0f0fad483469a61f8150fdc4e00fd5f255960f25bbc6a744c705f7
035ef3c152180231a4914e78474ebb69b33eb88f2187ee98cc4eacde021f9aee756c3f0adfeacdb7e366a10936b8f1a1
7a0797817bae4cbb2c22705729c931fc05a003b326b6fef98290a74495df4a0e40197ef8ef155763cfa346d77f04a28b
09d47c9df83344f889a3a088a53247b6c4a889fbfcc1fa2ddc18dc7960c89fa9286a74d1ee00dfb035a20a4ed0b11e05
27d83059258cc0fcbb630c0defd51c774f83f6df2473d855e85ec7285f5dfae0b23438fb0d35582e84f0c0f6275c8d5b
13ecc394f6d0b221b7fda603b57ca2a4db6682398348fdcd500d17e7ecd5731bd74164ba93d68f57c7a03ebab6f11e16
1f3d4e58c9c545fbc705c835495a20eda12f562d29c80254498545ecd0c04701b206d1594e0b548bb618139fe13ed4da
3d18ebdb3059d53f4f98ab35779d5174c38fc350f1983d0eb73885d5839411295d9885337da9ec7d0a1931c00c360966
95ed93e8831595ccb99ba5ad25cdf638bb9f48c3843c09fab7d4f27c1eda4c852d2d4de0c8e104e7d7f82f1ed84627d4
6014997d03fe40f867ebc343fc02cf81e58c79ba8f4e89b71af1e87e2814a02771c1c26b740ac387b288950e9a220066
4970c7825b00
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blob():
    # the encoder may legitimately change once a new format version exists; until then it is stable
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING) == FROZEN_V1
