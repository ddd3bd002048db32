import hashlib
import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("jpeglib")

from mlzip.errors import MlzError  # noqa: E402
from mlzip.nn import IntModel  # noqa: E402
from mlzip.train import features as F  # noqa: E402
from mlzip.train.arch import cnn_spec  # noqa: E402
from mlzip.train.cli import train_main  # noqa: E402
from mlzip.train.loop import train  # noqa: E402
from mlzip.train.qat import QGraph  # noqa: E402


def _photo(seed: int, size: int = 96) -> Image.Image:
    """Smooth shapes plus texture, so the DC plane says something about AC energy."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.zeros((size, size, 3))
    for _ in range(4):
        cy, cx, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(8, 30)]
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        img[inside] = rng.uniform(0, 255, 3)
    texture = rng.normal(0, rng.uniform(2, 25), (size, size, 1)) * (xx[..., None] > size / 2)
    return Image.fromarray(np.clip(img + texture, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs")
    for i in range(8):
        _photo(i).save(d / f"img{i}.png")
    _photo(9).save(d / "img9.jpg", quality=70)
    return d


def _samples(seed: int, n: int):
    from mlzip.train.data import read_coefficients, reencode

    rng = np.random.default_rng(seed)
    images = [read_coefficients(reencode(_photo(seed * 100 + i), rng, crop=None)[0]) for i in range(n)]
    return F.build_samples(images, "dc")


def test_loss_falls_and_training_is_seeded():
    torch.set_num_threads(1)
    tr, va = _samples(1, 6), _samples(2, 2)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        g = QGraph(cnn_spec(tr[0][0].shape[0], F.FEATURE_RANGE, F.N_TARGETS, 8, 1, F.FEATURE_FRAC))
        hist = train(g, tr, va, steps=40, batch=4, crop=12, lr=1e-2, seed=3, val_every=20)
        runs.append((hist, g.export().to_bytes()))
    hist = runs[0][0]
    assert np.mean(hist.train_loss[-8:]) < 0.85 * np.mean(hist.train_loss[:4])
    assert hist.val_loss[-1] < hist.val_loss[0]
    assert runs[0][1] == runs[1][1]  # same seed, same integer model


@pytest.mark.parametrize("scheme", ["dc", "rows"])
def test_train_main_exports_a_loadable_integer_model(image_dir, tmp_path, scheme):
    out = tmp_path / "cnn-xs-v1.mlzn"
    ckpt = tmp_path / "ckpt.pt"
    entry = train_main(size="xs", data=[image_dir], out=out, scheme=scheme, steps=30, crop=12, batch=4, lr=1e-2,
                       val_fraction=0.3, reencodes=1, checkpoint=ckpt, quiet=True)
    blob = out.read_bytes()
    assert entry["sha256"] == hashlib.sha256(blob).hexdigest()
    assert json.loads((tmp_path / "cnn-xs-v1.mlzn.json").read_text())["sha256"] == entry["sha256"]
    assert ckpt.is_file()
    model = IntModel.from_bytes(blob)
    assert model.params == entry["params"] > 0
    assert model.tensors["hint.thresholds"].shape == (63, F.N_HINTS - 1)
    curve = entry["measured"]["val_curve"]
    assert curve[-1][1] < curve[0][1]
    from mlzip.train.data import read_coefficients

    x = F.SCHEMES[scheme][0](read_coefficients(image_dir / "img9.jpg"), 0)
    assert model.forward(x[None])["head"].shape == (1, F.N_TARGETS, *x.shape[1:])


def test_train_main_rejects_unknown_choices(image_dir, tmp_path):
    with pytest.raises(MlzError, match="family"):
        train_main(family="transformer", data=[image_dir], out=tmp_path / "x")
    with pytest.raises(MlzError, match="size"):
        train_main(size="xxl", data=[image_dir], out=tmp_path / "x")


def test_train_main_luma_scheme_ships_a_hint_model_measured_in_real_bits(image_dir, tmp_path):
    from mlzip.learned import HintModel

    out = tmp_path / "cnn-xs-v1.mlznn"
    entry = train_main(size="xs", data=[image_dir], out=out, scheme="luma", steps=40, crop=12, batch=4, lr=1e-2,
                       val_fraction=0.3, reencodes=1, small_batch=4, quiet=True)
    curve = entry["measured"]["val_curve"]
    assert curve[-1][1] < curve[0][1]  # the validation loss falls
    model = HintModel.from_bytes(out.read_bytes())  # the runtime accepts it (scheme, thresholds, inputs)
    assert model.thresholds.shape == (64, 11) and entry["params"] == model.model.params
    (figures,) = entry["measured"]["real_bits"].values()
    assert figures["bytes_classic"] > 0 and figures["images"] > 0
    assert entry["measured"]["buckets"] in entry["measured"]["candidates"]


def test_tiny_images_train_as_whole_image_batches():
    from mlzip.train.loop import shape_groups, whole_images

    rng = np.random.default_rng(0)
    samples = [(rng.integers(0, 9, (3, h, w)), rng.integers(0, 2, (2, h, w))) for h, w in [(2, 2), (4, 2), (2, 2)]]
    groups = shape_groups(samples)
    assert [len(g) for g in groups] == [2, 1]
    x, y = whole_images(groups, rng, 5)
    assert x.shape[0] == 5 and x.shape[1] == 3 and x.shape[2:] in [(2, 2), (4, 2)] and y.shape[1] == 2
    torch.manual_seed(0)
    g = QGraph(cnn_spec(3, F.FEATURE_RANGE, 2, 4, 1, F.FEATURE_FRAC))
    big = [(rng.integers(0, 9, (3, 14, 14)), rng.integers(0, 2, (2, 14, 14))) for _ in range(2)]
    hist = train(g, big + samples, [], steps=3, batch=2, crop=12, small_batch=4)
    assert len(hist.train_loss) == 3
