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
1241eded130117110e90599627a6d654c5c8b83ab7c8350d3814e11260a39fa781aa5912e181c7fd3fe31f3b2aeb2ebb
2c1bbc6b479f2b33491e188065dbc704d5bc0887c6a8d750b41831b37dc63577878cf48d28cb5d67a4c8085a37d858b9
ca7b10aa086ab975bfdb69c9d53e9d7890c320476ccb28ba1981019f60f08e58c12e07fb3287e144aa084facffb81ead
5db011711bf446fefd692f29bc6495ec8f090b21444bae7f9c88d29676ad1e536703e134095553ff0cf2b22e160fdeab
da16dfab3b11e4a25ef2810757b7ec5959bf8f0e270eaf240146eaf9c6c57eea45ef02a7282122b372c9ce6f266b22b5
9fea66ac716b35c67afb76cdf161b40736d1ce84048e170ecc7546307f8006d3c6d96d0ffa08d48b3c4e437796f635d2
a61264b3e005738d94e95125b7ffb9be274e92345c9757e3093e4ba3b9f5ae45aec01ad02194624386c991a3476f30c1
1779bac8b97341655c0f30f2a7c553c62a73f0dffa36656faf8444404c20eac592cdbabf2642b94f7534392a771eee32
ea378bb98db12dbcf631020a0a01fb0b0439415c3a1a78bfd1b9c4469fa6899af74d8077bbe473441046853005928d32
111599fbd474916c2af5b4335ebaa9208e5ca19f38377afe29cd2cbdcf24e1167a43d7c94b089b8e3d0c054ea4680077
478471790fd8cf906d6867c998b6085803f40e3af1aff5b3684a88d11d3ba13abe0da4c893cebc44f55cb7d8e12d684e
444b84c77c937dc4c43ec95cedf4f7f6b3d199eeb388806d97c1ece8dd90be9af15ebd19e090623ab4c93a3e09715222
7ad74d7e811e8380fd0ebf18b3455f517983c0678d9b1bbd595642d55abf125fbbcfe10e28d9a9ec69a6182b542c804a
02ff5e0048113b36b73a43194ec4f3999438216afff957ab2547d5b4e0a72ccf0ae7868389043add45f9036548e1f0cb
ab1022a45eaaaf703b78d202f0f5408f6de4c8ca0cd16027df8ccc9fb18138dab68cea501888c3427f69779c60d7c15f
b6dba9172b0bf441b510aff05e9d07760aec953fb8e86a36a0237cff53758f2799c9a14b5080474170bfb65bcbc315d8
9985
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blob():
    # the encoder may legitimately change once a new format version exists; until then it is stable
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING) == FROZEN_V1
