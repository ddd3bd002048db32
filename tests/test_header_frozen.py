"""Blobs written by the first header coder: every later version must decode them to the same bytes.

Never edit an entry. When the encoder improves, its new blobs may differ; these old ones must still
decode (new dictionaries get new ids, old ids stay loadable).
"""

from __future__ import annotations

import hashlib

import pytest

from mlzip.header import decode_header, decode_segments

# (name, header length, header sha256, blob) -- written with dictionary id 1 where the raw section is zstd'd
FROZEN_HEADERS = [
    ("cifar", 623, "939b3cd169d32b17a618cc80f53ff44c7905deb9901c27e3bc2a7c796d359a90",
     "9f29dcc0ff6dbf"),
    ("optimize_exif_dictionary", 747, "6a0c4a96d3c4973486e2dd2b8c59d080773ab2e152b7df3fc587e147fd7b6494",
     "b14b60a9002d020002040d11a0ed1e8fdd909ac7acdd7b917ad05eca14e831f4f7946976c35559fb5daa2faaff27ffd7fefcb2e2"
     "fcb07cf07ffc9c5f2d6a0204006e86a76aaa724cec66366426cfc299e3ff11f65dcc0fe0c897ff90844946c96d917f4a9b3990a1"
     "18c1e8a92fff908d552b2510dffb4d8a9546888b7e"),
    ("progressive", 239, "f68a91e80ec072270c1bfaebb2e8b200c804a1d40e0629807285426809d6c255",
     "9eedd6607f0525fffaa2a4bffeb1b060"),
    ("not_a_jpeg", 144, "bdcac1d05b6ee0b71574f2085364dc219ec13db95f1e5b203660fa06d2a89c29",
     "4120905d01005282080fd0e700284989947277bc06da81f016c7279f3fa808ccca97c6a11e142ec5f2e40201004527554f"),
]

# Segments between the scans of the "progressive" file, coded with its header as context.
FROZEN_SEGMENTS = [
    ("c68d5b0419374e9edf98672a63c1987c0dc09db80fb4585301f89501f05606ee", 41, "9455b64ffeec8420a1841987"),
    ("438136afcb8ba5a60c81f8722f742a8fbe068f5fe671c0dba376d94b77429daa", 38, "9555917ffb110148ca32c2c0"),
]


@pytest.mark.parametrize("name, length, sha256, blob", FROZEN_HEADERS, ids=[c[0] for c in FROZEN_HEADERS])
def test_frozen_header_blobs_decode(name, length, sha256, blob):
    header = decode_header(bytes.fromhex(blob))
    assert len(header) == length and hashlib.sha256(header).hexdigest() == sha256


@pytest.mark.parametrize("sha256, length, blob", FROZEN_SEGMENTS)
def test_frozen_segment_blobs_decode(sha256, length, blob):
    context = decode_header(bytes.fromhex(FROZEN_HEADERS[2][3]))
    segments = decode_segments(bytes.fromhex(blob), context)
    assert len(segments) == length and hashlib.sha256(segments).hexdigest() == sha256
