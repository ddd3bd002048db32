"""JPEG test files generated with Pillow (no reads of shared data); other tests may import these."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def photo(width: int, height: int, seed: int = 0, mode: str = "RGB") -> Image.Image:
    """A smooth random image with some edges: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(height // 8, 2), max(width // 8, 2), 4)).astype(np.uint8)
    img = Image.fromarray(small, "RGBA").resize((width, height), Image.BICUBIC)
    arr = np.asarray(img).copy()
    noise = rng.integers(-12, 13, arr.shape)
    arr = np.clip(arr.astype(np.int64) + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, "RGBA")
    if mode == "CMYK":
        return Image.fromarray(arr, "CMYK")
    return img.convert(mode)


def jpeg_bytes(img: Image.Image, **save_args) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", **save_args)
    return buf.getvalue()


def make_jpeg(width: int = 64, height: int = 48, seed: int = 0, mode: str = "RGB", **save_args) -> bytes:
    return jpeg_bytes(photo(width, height, seed, mode), **save_args)


def exif_icc_jpeg(width: int = 40, height: int = 30) -> bytes:
    """A JPEG with an EXIF block and an ICC profile (APP1 and APP2 segments)."""
    img = photo(width, height, 3)
    exif = Image.Exif()
    exif[0x010F] = "mlzip test camera"
    exif[0x0110] = "fixture"
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return jpeg_bytes(img, quality=88, exif=exif.tobytes(), icc_profile=icc)
