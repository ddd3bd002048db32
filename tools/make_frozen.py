"""Write frozen .mlz files into tests/frozen/ with the running mlzip, and record them in its manifest.

A frozen file, once committed, is never rewritten: the tests decode it forever to prove that files
written by this version stay readable. This script only adds files that are not there yet.

    python tools/make_frozen.py                  # add whatever is missing
    python tools/make_frozen.py zstd-v1.mlz      # add only these (if missing)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlzip import api, container  # noqa: E402

FROZEN = ROOT / "tests" / "frozen"
TEXT = b"mlzip frozen zstd member. " * 41
RANDOM = random.Random(20261125).randbytes(300)
SAMPLE_JPEG = (ROOT / "tests" / "data" / "sample.jpg").read_bytes()


def _with_thumbnail_and_appended() -> bytes:
    from tests.jpeg_fixtures import jpeg_bytes, photo

    thumb = jpeg_bytes(photo(80, 60, 2), quality=85)
    app1 = b"Exif\0\0MM\0*\0\0\0\x08" + bytes(16) + thumb
    app13 = b"Photoshop 3.0\0" + thumb
    segments = b"".join(m + (len(p) + 2).to_bytes(2, "big") + p for m, p in ((b"\xff\xe1", app1), (b"\xff\xed", app13)))
    first = SAMPLE_JPEG[:2] + segments + SAMPLE_JPEG[2:]
    return first + b"\0" + jpeg_bytes(photo(200, 150, 5), quality=90)


def _members() -> dict[str, list[tuple[bytes, dict]]]:
    """File name -> the (original, compress() keyword arguments) of each of its members."""
    return {
        "stored-v1.mlz": [(RANDOM, dict(name="random.bin", mtime=1764000000))],
        "zstd-v1.mlz": [(TEXT, dict(name="text.txt", mtime=1764000001))],
        "two-members-v1.mlz": [(TEXT, dict(name="first.txt", mtime=0)), (RANDOM[:64], {})],
        "classic-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000002))],
        "classic-v2-bands.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000003))],
        # learned models (chroma hinted from the decoded luma between the coder's component phases)
        "cnn-xs-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000100, model="cnn-xs-v1"))],
        "cnn-s-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000101, model="cnn-s-v1"))],
        "cnn-s-v1-bands.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000102, model="cnn-s-v1"))],
        # the rnn (row GRU) and gan families (issue 7)
        "rnn-xs-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000110, model="rnn-xs-v1"))],
        "rnn-s-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000111, model="rnn-s-v1"))],
        "rnn-s-v1-bands.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000112, model="rnn-s-v1"))],
        "gan-xs-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000120, model="gan-xs-v1"))],
        "gan-s-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000121, model="gan-s-v1"))],
        # written at LEVELS' level: the strong coefficient models (mlzip.coder.strength_for_level)
        "classic-strong-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000003))],
        "classic-strongest-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000004))],
        # level 9 without a learned model: the ULTRA coder (coder format version 6)
        "classic-ultra-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000005))],
        # level 9 since coder format version 7: ULTRA2 (classic-ultra-v1.mlz stays ULTRA's, version 6)
        "classic-ultra2-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000006))],
        # level 9 since coder format version 8: ULTRA3 (classic-ultra2-v1.mlz stays ULTRA2's, version 7)
        "classic-ultra3-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000008))],
        # level 9 since coder format version 11: ULTRA4 (classic-ultra3-v1.mlz stays ULTRA3's, version 8)
        "classic-ultra4-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000010))],
        # level 6 since coder format version 9: STRONGEST2 (classic-strongest-v1.mlz stays STRONGEST's, 4)
        "classic-strongest2-v1.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000009))],
        # a JPEG whose Exif thumbnail (and Photoshop's copy of it) is coded apart (a fourth section),
        # with a second JPEG appended after its EOI (an MPO-like file: a member of its own)
        "thumbnail-appended-v1.mlz": [(_with_thumbnail_and_appended(), dict(name="pond.mpo", mtime=1764000007))],
        # a learned model's chroma buckets driving the STRONG coder (level 4 with --model)
        "cnn-xs-v1-strong.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000103, model="cnn-xs-v1"))],
        # level 6 with --model before HINTS_MIXED: the buckets replaced in the STRONGEST coder (version 4)
        "cnn-xs-v1-strongest.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000104, model="cnn-xs-v1"))],
        # every shipped model's hints mixed into the STRONGEST coder (HINTS_MIXED, version 5; level 9)
        **{f"{m}-mixed.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000130 + i, model=m))]
           for i, m in enumerate(("cnn-xs-v1", "cnn-s-v1", "rnn-xs-v1", "rnn-s-v1", "gan-xs-v1", "gan-s-v1"))},
        # since coder format 10 the hints are mixed into STRONGEST2 (HINTS_MIXED2; level 9)
        **{f"{m}-mixed2.mlz": [(SAMPLE_JPEG, dict(name="sample.jpg", mtime=1764000140 + i, model=m))]
           for i, m in enumerate(("cnn-xs-v1", "cnn-s-v1", "rnn-xs-v1", "rnn-s-v1", "gan-xs-v1", "gan-s-v1"))},
    }


# Files whose coefficients are split into bands although the image is small (coder format 2):
# file name -> the MIN_BANDED_BLOCKS to write them with.
BANDED = {"classic-v2-bands.mlz": 64, "cnn-s-v1-bands.mlz": 64, "rnn-s-v1-bands.mlz": 64}


@contextlib.contextmanager
def _coder_bands(file_name: str):
    from mlzip.coder import bands

    saved = bands.MIN_BANDED_BLOCKS
    bands.MIN_BANDED_BLOCKS = BANDED.get(file_name, saved)
    try:
        yield
    finally:
        bands.MIN_BANDED_BLOCKS = saved


# The level each file is written at (others: 9). The JPEG files made before the strong models were
# written at 9 when every level coded the classic way; levels 1-3 still do. classic-strongest-v1.mlz
# was written at 9 when 9 meant STRONGEST (6 still does; 7-9 were ULTRA in classic-ultra-v1.mlz, ULTRA2 in classic-ultra2-v1.mlz, ULTRA3 in classic-ultra3-v1.mlz, ULTRA4 since classic-ultra4-v1.mlz).
LEVELS = {"thumbnail-appended-v1.mlz": 6, "classic-strong-v1.mlz": 4, "classic-strongest2-v1.mlz": 6, "cnn-xs-v1-strongest.mlz": 6, "classic-strongest-v1.mlz": 9, "cnn-xs-v1-strong.mlz": 4,
          **{name: 3 for name in ("classic-v1.mlz", "classic-v2-bands.mlz", "cnn-xs-v1.mlz", "cnn-s-v1.mlz",
                                  "cnn-s-v1-bands.mlz", "rnn-xs-v1.mlz", "rnn-s-v1.mlz", "rnn-s-v1-bands.mlz",
                                  "gan-xs-v1.mlz", "gan-s-v1.mlz")}}


def main() -> None:
    manifest_path = FROZEN / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    wanted = set(sys.argv[1:]) or set(_members())
    for file_name, members in _members().items():
        if file_name not in wanted or (FROZEN / file_name).exists():
            continue
        with _coder_bands(file_name):
            blob = b"".join(api.compress(data, LEVELS.get(file_name, 9), **kw) for data, kw in members)
        original = b"".join(data for data, _ in members)
        assert api.decompress(blob) == original
        infos = api.inspect(blob)
        (FROZEN / file_name).write_bytes(blob)
        manifest[file_name] = {
            "sha256": hashlib.sha256(original).hexdigest(),
            "size": len(original),
            "modes": [i.mode for i in infos],
            "model_ids": [i.model_id for i in infos],
            "names": [i.name for i in infos],
            "mtimes": [i.mtime for i in infos],
            "container_version": container.VERSION,
        }
        print(f"wrote {file_name}: {[i.mode for i in infos]}")
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
