"""tools/ideal_bits.py: the adaptive cost model that the hint study rests on."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import ideal_bits as IB  # noqa: E402


def _blocks(vals, hint=None, nh=1, feat=None):
    b = vals.shape[0]
    z = np.zeros((b, 63), np.uint8)
    return (vals.astype(np.int32), z, z if hint is None else hint.astype(np.uint8), z + IB.UNSURE,
            np.zeros(b, np.uint8), np.zeros((b, 63, 0)) if feat is None else feat)


def test_adaptation_makes_repeated_data_cheap():
    vals = np.zeros((400, 63), np.int32)
    vals[:, 0] = 3
    model = IB.AdaptiveModel(1)
    bits = model.cost(_blocks(vals))
    assert bits / vals.size < 0.05


def test_informative_hint_saves_bits_and_useless_hint_costs_little():
    rng = np.random.default_rng(0)
    active = rng.random((3000, 63)) < 0.5  # per coefficient: the previous ones say nothing
    vals = np.where(active, rng.integers(1, 21, (3000, 63)), 0)
    plain = IB.AdaptiveModel(1).cost(_blocks(vals))
    good = IB.AdaptiveModel(4).cost(_blocks(vals, active * 3, 4))
    noise = IB.AdaptiveModel(4).cost(_blocks(vals, rng.integers(0, 4, (3000, 63)), 4))
    assert good < 0.9 * plain
    assert plain <= noise < 1.1 * plain
    feat = np.stack([active * 2.0 - 1, np.zeros(active.shape)], -1)
    mixed = IB.AdaptiveModel(1, 2)
    mixed.fit(_blocks(vals, feat=feat))
    assert mixed.cost(_blocks(vals, feat=feat)) < 0.9 * plain


def test_prior_from_fit_helps_a_small_image():
    rng = np.random.default_rng(1)
    train = np.where(rng.random((5000, 63)) < 0.1, 1, 0)
    small = np.where(rng.random((16, 63)) < 0.1, 1, 0)
    fresh = IB.AdaptiveModel(1).cost(_blocks(small))
    fitted = IB.AdaptiveModel(1)
    fitted.fit(_blocks(train))
    assert fitted.cost(_blocks(small)) < fresh


@pytest.mark.parametrize("offsets", [IB.RASTER, IB.WHITE])
def test_neighbour_bucket_uses_only_given_neighbours(offsets):
    a = np.zeros((5, 5, 64), np.int64)
    a[2, 2] = 50
    nb = IB.neighbour_bucket(a, offsets)
    lit = {(2 + dy, 2 + dx) for dy, dx in offsets if 0 <= 2 + dy < 5 and 0 <= 2 + dx < 5}
    assert {tuple(p) for p in np.argwhere(nb[..., 0] > 0)} == lit
