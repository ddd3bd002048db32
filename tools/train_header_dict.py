"""Train the zstd dictionary for the raw section of header blobs (mlzip.header), deterministically.

    python tools/train_header_dict.py OUT.bin DIR [DIR ...] [--size 4096]

Samples are what the structured code leaves raw (Exif, XMP, ICC, Photoshop, COM segments, and the
quantization/Huffman tables that match no standard one), taken from every *.jpg/*.jpeg below the
directories in sorted order. CIFAR-10 files numbered 4500-4999 are the validation split and are skipped.
The dictionary is raw content (no entropy tables; they gained under 1 % here): whole raw parts seen at
least three times (the sRGB ICC profile, a common camera table), then a COVER-trained dictionary.
Same inputs, same dictionary: the file order is sorted and the COVER parameters are fixed.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections import Counter
import sys
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlzip.header.bits import BitWriter  # noqa: E402
from mlzip.header.extract import jpeg_header  # noqa: E402
from mlzip.header.markers import SOI, split_segments  # noqa: E402
from mlzip.header.segment_codecs import HeaderState  # noqa: E402
from mlzip.header.structured import encode_structured  # noqa: E402

_CIFAR_VALIDATION = re.compile(r"cifar10-jpeg/train/[^/]+/(\d+)\.jpe?g$")


def training_files(directories: list[Path]) -> list[Path]:
    files = sorted(p for d in directories for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    return [p for p in files if not ((m := _CIFAR_VALIDATION.search(p.as_posix())) and int(m.group(1)) >= 4500)]


def raw_parts(header: bytes) -> list[bytes]:
    segments = split_segments(header[2:]) if header[:2] == SOI else None
    if segments is None:
        return [header]
    return encode_structured(segments, HeaderState(raw_tables=True), True, BitWriter())


def collect_samples(files: list[Path]) -> list[bytes]:
    samples = []
    for path in files:
        header = jpeg_header(path.read_bytes())
        if header is not None:
            samples.extend(part for part in raw_parts(header) if part)
    return samples


def frequent_parts(samples: list[bytes], min_count: int = 3, min_size: int = 64) -> bytes:
    """Whole raw parts that recur verbatim, most frequent first (ties: by bytes, for determinism)."""
    counts = Counter(samples)
    parts = sorted((p for p, c in counts.items() if c >= min_count and len(p) >= min_size),
                   key=lambda p: (-counts[p], p))
    return b"".join(parts)


def train(samples: list[bytes], size: int) -> bytes:
    trained = zstandard.train_dictionary(size, samples, k=64, d=8, dict_id=0, threads=0, level=19)
    return frequent_parts(samples) + trained.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("directories", type=Path, nargs="+")
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args()
    files = training_files(args.directories)
    samples = collect_samples(files)
    data = train(samples, args.size)
    args.output.write_bytes(data)
    print(f"{len(files)} files, {len(samples)} samples, {sum(map(len, samples))} bytes -> "
          f"{len(data)} byte dictionary, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
