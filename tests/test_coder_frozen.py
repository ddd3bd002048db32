"""Blobs written by coder format versions 1 and 2 must decode forever, to exactly these coefficients.

If this test fails after a change to mlzip.coder, the change broke old files: give the new coder
a new format version (settings byte) and keep decoding the old ones, do not edit FROZEN_V1/V2.
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
129c0586bf0117110e90599627a6d654c5c8b83ab7c8350d38148f98c05a561d3aceed80ed26a6fda787b0c52f0550f3
9db911dea88cf89c6c2db24a4fa03f4d6d79f2790d1792af5365a1ef3bca904e178829476e715b5063fc1bbd26eaaa8d
cda286d87dfba4516f9754dcb006caebfec1fa4270c370f73ac9c6c553ec3b05ce6ca2ff31b3272631fc1e9903f67f77
6d07892e05f8657d64933e8268fed9de03376aa5c2132e85308362264156acfd093e249ca121d9a2d08585f874e5b076
44a36c6c427231dd9af559c1798842c7129275b2aa4b3f07b556282080835e6d7ce5c9d632a68d74742968689d2c0f73
db89fcf895e236d736a485211ebb3f6ad7cf2580d431019a4d69b368db5482efa81787ea075195b9875a36e6a81601ca
1537f15e86adeeb6ec65c9c20bd3b9a1dd0122adf1c914f66720e56b6e0fe44aef3ec0a9bc4fc67b6e2faff4c6e0e485
f253028c29c734901c84513ac9fb71359178d8f300f4a4e5e5db69ae0a7f97bb94dee0006d61287f106248574a7c70ab
3cd20e1e0102708b436f527b39a4e385f95d7dea6fcd6092ffba17826cda1e78fc383a6e2df5b5da8001489c91213e27
2c30d704e195d57c26915b5d3292827227240c97b6ddd597a7a03e590e5521e4b448178caa3cd4d7dc04be477d782b6e
698c1af8e86d261779319b89cfdae06cdf4322cbdd450ee0bbb9947e58bb12c4cec037de870f33dcd0866088e7b62dc0
46dfbf08ae9570b990d145c9192ada9757857c5d16edc581c9a4dd6ae4a97e01d5b97f4697dd5f28c68ec7452c5d39be
6d967fb76c2f95636bf9093c3287c10e92b53b0a4423d80a49f815a723cbb7bed26df7e24d816e117d5af328c3181a16
e9b55881fa18610aea184dcc2f379c928f49ade1b23db6fb3647fc4d0ee1b94ff70356291594440eb69a99b3c22ea2eb
01aba1523d185732c0f0b8d6c2c851339be30e231977ea9aea817a0ecb6e13d30ebe46d4bb6be174de63e80a3e9c7bc2
f4e2ed5f2afc3a5387894113ef4cc78560a8ef7395086e2d482d0d3a14d503a25bd7c6ce30
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


# version 2, two bands (band_starts=[0, 1]): band fields, two streams
FROZEN_V2_BANDS = bytes.fromhex("""
26cc7f96fd010190030117110e90599627a6d654c5c8b83ab7c8350d38148f98c05a561d3aceed80ed26a6fda787b0c5
2f0550f39db911dea88cf89c6c2db24a4fa03f4d6d79f2790d1792af5365a1ef3bca904e178829476e715b5063fc1bbd
26eaaa8dcda286d87dfba4516f9754dcb006caebfec1fa4270c370f73ac9c6c553ec3b05ce6ca2ff31b3272631fc1e99
03f67f776d07892e05f8657d64933e8268fed9de03376aa5c2132e85308362264156acfd093e249ca121d9a2d08585f8
74e5b07644a36c6c427231dd9af559c1798842c7129275b2aa4b3f07b556282080835e6d7ce5c9d632a68d7474296868
9d2c0f73db89fcf895e236d736a485211ebb3f6ad7cf2580d431019a4d69b368db5482ef09ff822a95ddaccedb3cf505
b1723f481f58456d9c0a2e8c7cd7110b3ca462bf6018a99a17e8c9ccb12a0e0fd0fba11ce9db865834b2bfb9263584cf
21cd393c0c3942262cd911cb75b847690b93886bd89b23468cdb26157c90837acddf5d61d3269ffde89ba181d50ebaa7
2a49a9e86ba8fa7d209ab1d9515c7f70645ce9eba4c552cdf3057944892fd6770549ebcff04b2ed1e7f1057e45d69f9e
f6c93777c4a0b19a7bf8835ec538881519de78a25e02b99ca73f0a0b3bdf588782fd1ea7daccbbc8a4de59a44d0457b0
6190dda9ed88abb7ca185b62fbdd796ab5a3e3b4ead05ad5e8090092c3966271ecdb94ff97d8d770bad1b230d86c105c
e822de6929e52cb72e546cdee66e7f95d172ba850a08020d8606771c277b772237fefa679440ba60ea493d82bb5c468a
9dce895e613019fcd34ea4ce7bd5a629e8843619fdb590096bea39001b8119f46c87807e8cd8f0d65aaf88469c6cda93
91c1e2b2a7bb84c8dc4092e8d277ee5e454262f7605f364fe1df530a8db55463f4569d43765c6c5a5cc703ae25ed49c8
7579bfd5b658b240eba525853f85362f087b5253dda1c90449adc0c62718a71240887e575ac7cf62ec7ced08a1652404
fbe44e96dc4229de0f1932acf87a48a76191f9d545749bc9d566fccf406f55cba0d4684b8f09b9664e531b88ede32451
b50a2f2787d16a9af05e0fd4c317018a86b3851fa120f88726733ee95c60
""".replace("\n", ""))


def test_frozen_v2_banded_blob_decodes():
    image = frozen_image()
    for threads in (1, 2):
        back = decode_coefficients(FROZEN_V2_BANDS, [c.shape[:2] for c in image], QTABLES, SAMPLING,
                                   threads=threads)
        for a, b in zip(image, back):
            assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blobs():
    # the encoder may legitimately change once a new format version exists; until then it is stable.
    # Version 2 with one band is version 1's stream under another settings byte and CRC.
    one_band = encode_coefficients(frozen_image(), QTABLES, SAMPLING)
    assert one_band[0] == 0x20 | (FROZEN_V1[0] & 0xF) and one_band[5:] == FROZEN_V1[5:]  # CRC differs
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING, band_starts=[0, 1]) == FROZEN_V2_BANDS
