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
12f73aaa320121ac827dffe48c6ddca46e618fe8637f4f1095ad6345dc692e4bf88d256af8394823863475041c27296b
58a99e0bc646d223a5a9bfada649057454c52d33e125a48448a1e30d8f034bb5d3432bcc9764d5afc37110389c2b63b9
fe69c3a5c91c68fb6a8a94856ee99c32fb721e466a4b310e1115ec2a9ee2948c91756c2cc3e4eb3bec22eae84d3a0fe2
209ff3281f6edb23fa9a5f5414b418f87a8dd1125c6512440a585f18c33ee54ac68d12cb5c6d74ac31702091a81d8c1b
ec29ebb9c0fd148d7e59bc28e84bb2607baf5333c19c5c5afae9aa23b573914692287eeaebc4f40f73bb9d593826081b
44b051fd85ec246cba571f66ee75f64d0f16cbaead3ec4e097bb43bd7491db53e8c64f444915e9713fd18e9dd6755f53
1f819a402aeb5345652157b898899d0c1bb817bf8892bcdd21fecbfc68998d487dede425decde43964710970027bec78
4406b85f3215fd4c20edbcfbdcb8d550bc95866a00f6a214ee1a55c0b01b7bee75661df845a72339f191788c9754d80b
ffcf5c30d3df08a16225a1fb8ca049931da624cf7a395782c4736df4d7cb7214b6beba6cd9c4e1c89caf32d498c0fb78
7b66ac83a6a5f7ebc10e1b0d074245b490a8e9d23094d991b40903a772f0792eb903626f4d74434459b7d623b665a72e
c81d38458d539f52df51b0d304fead310b717c3144e4dadda3a1fca416bdc53bb1bc04f5a6df32c79c6eb7376d90eda2
012c2a5b7786187005fd56298c664391f44be086b8ff02ce76f12c47b85cf6bf62a1073db1e5cf27bbd9bc0a8b9ec4e3
7e5c852a62b975a2b3aae57f112cc3abf7586b133e1799edd4ec1efd0a0f89c595c7fd071175f1cb68bf19900e56ace2
b2206cbc796b3b2450a8948cae16fe67e5fce7c86dc4f4ec6e73eb0ca1e482bfddbe6563fa6620e3b38fdc4d418ce76b
4bd0b9b91989d04098c0d1f3dff891b534bcf693a5554d7690d0dbb1e8f8bf5a579836640183c8ffb913cf92474f2941
c6dccff54e752cf942560abe214df3e16098d1de62926b8eaca61e888635f0e94771c6d69603523b53f4db9938c021e2
cd76e9e434c6
""".replace("\n", ""))


def test_frozen_v1_blob_decodes():
    image = frozen_image()
    back = decode_coefficients(FROZEN_V1, [c.shape[:2] for c in image], QTABLES, SAMPLING)
    for a, b in zip(image, back):
        assert np.array_equal(a, b)


def test_encoder_still_writes_the_frozen_blob():
    # the encoder may legitimately change once a new format version exists; until then it is stable
    assert encode_coefficients(frozen_image(), QTABLES, SAMPLING) == FROZEN_V1
