import io

import numpy as np
import pytest
from PIL import Image

from mlzip.errors import UnsupportedJpeg
from mlzip.train import data

pytest.importorskip("jpeglib")


def _image(w: int = 48, h: int = 40, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 4, yy * 5, (xx + yy) * 2], -1) + rng.integers(0, 40, (h, w, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", **kw)
    return buf.getvalue()


@pytest.mark.parametrize("subsampling, chroma_blocks", [(0, (5, 6)), (1, (5, 3)), (2, (3, 3))])
def test_read_coefficients_shapes_and_tables(subsampling, chroma_blocks):
    c = data.read_coefficients(_jpeg(_image(), quality=60, subsampling=subsampling))
    assert [x.shape for x in c.components] == [(5, 6, 64), (*chroma_blocks, 64), (*chroma_blocks, 64)]
    assert all(x.dtype == np.int16 for x in c.components)
    assert c.qtables[0].shape == (64,) and c.qtables[0][0] > 1
    assert c.sampling[0] == ({0: (1, 1), 1: (2, 1), 2: (2, 2)}[subsampling])


def test_dc_matches_pixel_mean():
    img = Image.new("L", (16, 8), 200)
    c = data.read_coefficients(_jpeg(img, quality=100))
    # DC = 8 * (mean - 128) / q: a flat 200 gray gives 576 / q in every block
    assert len(c.components) == 1
    assert np.all(c.components[0][..., 0] * c.qtables[0][0] == 576)
    assert np.all(c.components[0][..., 1:] == 0)


def test_garbage_is_unsupported_jpeg():
    with pytest.raises(UnsupportedJpeg):
        data.read_coefficients(b"\xff\xd8not a jpeg")


def test_reencode_is_seeded_and_varied():
    img = _image(300, 280)
    a = [data.reencode(img, np.random.default_rng(1))[1] for _ in range(1)]
    b = [data.reencode(img, np.random.default_rng(1))[1] for _ in range(1)]
    assert a == b
    rng = np.random.default_rng(2)
    opts = [data.reencode(img, rng, crop=64) for _ in range(30)]
    qualities = {o["quality"] for _, o in opts}
    assert min(qualities) >= 30 and max(qualities) <= 100 and len(qualities) > 10
    assert {o["subsampling"] for _, o in opts} == {0, 1, 2}
    assert {o["progressive"] for _, o in opts} == {False, True}
    coefs = data.read_coefficients(opts[0][0])
    assert coefs.components[0].shape == (8, 8, 64)


def test_split_rules(tmp_path):
    assert data.is_validation("x/cifar10-jpeg/train/cat/4500.jpg")
    assert data.is_validation("x/cifar10-jpeg/train/cat/4999.jpg")
    assert not data.is_validation("x/cifar10-jpeg/train/cat/4499.jpg")
    names = [tmp_path / f"photo{i}.png" for i in range(2000)]
    val = [n for n in names if data.is_validation(n, 0.1, seed=0)]
    assert 150 < len(val) < 250
    assert val == [n for n in names if data.is_validation(n, 0.1, seed=0)]  # stable
    assert val != [n for n in names if data.is_validation(n, 0.1, seed=1)]  # the seed matters


def test_iter_coefficients_mixes_jpeg_and_png(tmp_path):
    _image().save(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes(_jpeg(_image(seed=1), quality=90))
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    files = data.list_sources([tmp_path])
    assert [f.name for f in files] == ["a.png", "b.jpg", "bad.jpg"]
    got = list(data.iter_coefficients(files, np.random.default_rng(0), reencodes=2))
    assert [p.name for p, _ in got] == ["a.png", "a.png", "b.jpg"]
