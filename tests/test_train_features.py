import io

import numpy as np
import pytest
from PIL import Image

from mlzip.train import features as F
from mlzip.train.data import read_coefficients

pytest.importorskip("jpeglib")


def _coefs(subsampling: int, size=(40, 24)):
    rng = np.random.default_rng(subsampling)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(
        buf, format="JPEG", quality=80, subsampling=subsampling)
    return read_coefficients(buf.getvalue())


def test_bitlen_and_zigzag():
    assert F.bitlen(np.array([0, 1, -1, 2, 3, 4, -1023, 1024])).tolist() == [0, 1, 1, 2, 2, 3, 10, 11]
    assert sorted(F.ZIGZAG.tolist()) == list(range(64))
    assert F.ZIGZAG[:6].tolist() == [0, 1, 8, 16, 9, 2]


def test_hint_buckets_use_every_level_at_every_position():
    rng = np.random.default_rng(0)
    scale = np.arange(1, 64)[:, None, None]  # positions with very different typical predictions
    preds = [rng.integers(0, 100, (63, 9, 9)) * scale for _ in range(4)]
    thr = F.fit_hint_thresholds(preds)
    assert thr.shape == (63, F.N_HINTS - 1) and thr.dtype == np.int32
    assert np.all(np.diff(thr, axis=1) >= 0)
    h = F.hint_from_prediction(np.concatenate(preds, axis=1), thr)
    assert h.dtype == np.uint8
    for k in (0, 30, 62):
        counts = np.bincount(h[k].ravel(), minlength=F.N_HINTS)
        assert counts.min() > 0.5 * counts.mean()


@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_feature_shapes_follow_each_component_grid(subsampling):
    coefs = _coefs(subsampling)
    for scheme, (feat, comps) in F.SCHEMES.items():
        for c in comps(coefs):
            x = feat(coefs, c)
            assert x.shape[1:] == coefs.components[c].shape[:2], scheme
            assert x.min() >= F.FEATURE_RANGE[0] and x.max() <= F.FEATURE_RANGE[1]
    samples = F.build_samples([coefs], "luma-dc")
    assert len(samples) == 2 and samples[0][1].shape[0] == F.N_TARGETS
    samples = F.build_samples([coefs], "luma")
    assert len(samples) == 2 and samples[0][1].shape[0] == F.n_targets("luma") == 64


def test_luma_on_chroma_grid_averages_the_covered_luma_blocks():
    coefs = _coefs(2, size=(32, 32))
    grid = F.luma_on_chroma_grid(coefs, 1)
    bl = F.bitlen(F.zigzag(coefs.components[0])).transpose(2, 0, 1)
    assert grid.shape == (64, 2, 2)
    assert grid[5, 1, 0] == bl[5, 2:4, 0:2].sum() // 4


def test_checker_features_hide_the_white_half():
    coefs = _coefs(0)
    x = F.checker_features(coefs, 0)
    black, white = F.checker_masks(coefs.components[0].shape)
    assert np.all(x[:64][:, white] == 0) and x[:64][:, black].any()
    y = F.build_samples([coefs], "checker")[0][1]
    assert np.all(y[:, black] == 0)


def test_sign_targets_and_hints():
    coefs = _coefs(0)
    t = F.ac_targets(coefs.components[0])
    zz = F.zigzag(coefs.components[0])
    assert np.array_equal(t[63 + 4], np.sign(zz[..., 5]))
    assert F.sign_hint_from_prediction(np.array([-256, -60, 0, 60, 256])).tolist() == [0, 1, 2, 3, 4]


def test_image_rank_thresholds_split_each_position_evenly():
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 1000, (126, 12, 10)) + np.arange(126)[:, None, None] * 1000
    thr = F.image_rank_thresholds(pred)
    assert thr.shape == (63, F.N_HINTS - 1)
    h = F.hint_from_prediction(pred, thr)
    counts = np.bincount(h[7].ravel(), minlength=F.N_HINTS)
    assert counts.min() >= 5 and counts.max() <= 15
