"""Training data: quantized DCT coefficients from JPEG files and from PNGs re-encoded on the fly.

Coefficients come as `Coefs`: per component an int16 array [blocks_y, blocks_x, 64] in natural
order (the project's convention), its quantization table (64 ints, natural order) and sampling
factors. `read_coefficients` is the one place that reads a JPEG (jpeglib for now; the project's
own parser replaces it there). Validation files are chosen by a stable rule, never by shuffling:
CIFAR-10 files 4500-4999 of each class, otherwise a seeded hash of the file name.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlzip.errors import UnsupportedJpeg

JPEG_SUFFIXES = (".jpg", ".jpeg")
IMAGE_SUFFIXES = (".png",)
_CIFAR_RE = re.compile(r"cifar10[^/]*/train/[^/]+/(\d+)\.jpe?g$")
CIFAR_VALIDATION = range(4500, 5000)
SUBSAMPLINGS = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}  # Pillow's codes


@dataclass
class Coefs:
    components: list[np.ndarray]  # int16 [by, bx, 64], natural order
    qtables: list[np.ndarray]  # int32 [64], natural order, one per component
    sampling: list[tuple[int, int]]  # (h, v) per component
    progressive: bool = False

    @property
    def n_coefficients(self) -> int:
        return int(sum(c.size for c in self.components))


def read_coefficients(source: str | os.PathLike[str] | bytes) -> Coefs:
    """Quantized coefficients of a JPEG file or JPEG bytes (jpeglib; raises UnsupportedJpeg)."""
    import jpeglib

    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
            tmp.write(source)
            tmp.flush()
            return read_coefficients(tmp.name)
    try:
        jpeg = jpeglib.read_dct(str(source))
        planes = [jpeg.Y] + ([jpeg.Cb, jpeg.Cr] if jpeg.has_chrominance else [])
        if jpeg.has_black:
            planes.append(jpeg.K)
        qt = np.asarray(jpeg.qt, dtype=np.int32)
        comps = [np.ascontiguousarray(p, dtype=np.int16).reshape(p.shape[0], p.shape[1], 64) for p in planes]
        qtables = [qt[int(jpeg.quant_tbl_no[i])].reshape(64) for i in range(len(planes))]
        # jpeglib gives (v, h)
        sampling = [(int(s[1]), int(s[0])) for s in np.asarray(jpeg.samp_factor)[: len(planes)]]
        progressive = bool(jpeg.progressive_mode)
    except UnsupportedJpeg:
        raise
    except Exception as exc:  # jpeglib reports bad input with assorted exception types
        raise UnsupportedJpeg(f"cannot read coefficients: {exc}") from None
    return Coefs(comps, qtables, sampling, progressive)


def reencode(image: "PIL.Image.Image", rng: np.random.Generator, crop: int | None = 256,  # noqa: F821
             quality: tuple[int, int] = (30, 100)) -> tuple[bytes, dict[str, object]]:
    """A JPEG of a random crop of `image` at a random quality, subsampling and mode."""
    img = image.convert("RGB")
    if crop is not None and (img.width > crop or img.height > crop):
        cw, ch = min(crop, img.width), min(crop, img.height)
        x0, y0 = int(rng.integers(0, img.width - cw + 1)), int(rng.integers(0, img.height - ch + 1))
        img = img.crop((x0, y0, x0 + cw, y0 + ch))
    opts = {
        "quality": int(rng.integers(quality[0], quality[1] + 1)),
        "subsampling": list(SUBSAMPLINGS.values())[int(rng.integers(0, 3))],
        "progressive": bool(rng.integers(0, 2)),
    }
    buf = io.BytesIO()
    img.save(buf, format="JPEG", **opts)
    return buf.getvalue(), opts


def is_validation(path: str | os.PathLike[str], val_fraction: float = 0.1, seed: int = 0) -> bool:
    """Stable split: CIFAR-10 files 4500-4999 of each class; elsewhere a seeded hash of the file name."""
    text = Path(path).as_posix()
    m = _CIFAR_RE.search(text)
    if m:
        return int(m.group(1)) in CIFAR_VALIDATION
    h = hashlib.sha256(f"{seed}:{Path(path).name}".encode()).digest()
    return int.from_bytes(h[:8], "little") < val_fraction * 2.0**64


def list_sources(dirs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """JPEG and PNG files under the given directories, sorted (so runs are reproducible)."""
    files: list[Path] = []
    for d in dirs:
        root = Path(d)
        if root.is_file():
            files.append(root)
            continue
        files += [p for p in root.rglob("*") if p.suffix.lower() in JPEG_SUFFIXES + IMAGE_SUFFIXES]
    return sorted(set(files))


def split_sources(files: Sequence[Path], val_fraction: float = 0.1, seed: int = 0) -> tuple[list[Path], list[Path]]:
    train = [f for f in files if not is_validation(f, val_fraction, seed)]
    val = [f for f in files if is_validation(f, val_fraction, seed)]
    return train, val


def subset(files: Sequence[Path], n: int | None, seed: int = 0) -> list[Path]:
    """At most n of the files, a seeded choice kept in sorted order (None: all)."""
    if n is None or len(files) <= n:
        return list(files)
    keep = np.random.default_rng(seed).choice(len(files), n, replace=False)
    return [files[i] for i in sorted(keep)]


def iter_coefficients(files: Sequence[Path], rng: np.random.Generator, reencodes: int = 1,
                      crop: int | None = 256, jpeg_reencodes: int = 0) -> Iterator[tuple[Path, Coefs]]:
    """Coefficients of every file: JPEGs as they are (plus `jpeg_reencodes` random re-encodings of their
    pixels), PNGs re-encoded `reencodes` times with random settings. Files that cannot be read are
    skipped (training data, not user input)."""
    from PIL import Image

    for f in files:
        try:
            is_jpeg = f.suffix.lower() in JPEG_SUFFIXES
            if is_jpeg:
                yield f, read_coefficients(f)
            n = jpeg_reencodes if is_jpeg else reencodes
            if n:
                with Image.open(f) as im:
                    im.load()
                    for _ in range(n):
                        data, _opts = reencode(im, rng, crop)
                        yield f, read_coefficients(data)
        except (UnsupportedJpeg, OSError, ValueError):
            continue
