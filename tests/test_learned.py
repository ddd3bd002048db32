"""Learned hint models at coding time: integer runtime, determinism, the shipped models end to end."""

from __future__ import annotations

import numpy as np
import pytest

from mlzip import api, registry
from mlzip.learned import HintModel, load
from mlzip.learned.features import N_LUMA_INPUTS, ilog2_8, luma_inputs
from mlzip.learned.hints import DC_NO_PREDICTION, N_BUCKETS, buckets, edge_slots, pow2_thresholds
from tests.jpeg_fixtures import make_jpeg

SHIPPED = [e.name for e in registry.registry().entries() if e.learned]


def _coefs(jpeg: bytes):
    from mlzip import jpeg as J

    img = J.parse(jpeg)
    header, layout = J.to_parts(img)
    info = J.describe(header, layout)
    return [c.coefs for c in img.components], [c.qtable for c in info], [(c.h, c.v) for c in info]


def _random_model(seed: int = 0) -> HintModel:
    """An untrained integer network of the luma scheme (random weights: every input matters)."""
    torch = pytest.importorskip("torch")
    from mlzip.learned.features import FEATURE_FRAC, FEATURE_RANGE
    from mlzip.train.arch import spec_for_scheme
    from mlzip.train.qat import QGraph

    torch.manual_seed(seed)
    model = QGraph(spec_for_scheme("luma", N_LUMA_INPUTS, FEATURE_RANGE, 64, "xs", FEATURE_FRAC)).export()
    model.spec["hint"] = {"scheme": "luma", "buckets": "frozen"}
    model.tensors["hint.thresholds"] = pow2_thresholds(np.where(edge_slots(), 256.0, 64.0))  # untrained: small codes
    return HintModel.from_bytes(model.to_bytes())


def test_ilog2_8_is_exact_rounding():
    for num, den in [(1, 1), (2, 1), (3, 1), (25, 9), (255, 1), (65535, 1), (1000, 54)]:
        assert ilog2_8(num, den) == int(np.floor(8 * np.log2(num / den) + 0.5))


def test_pow2_thresholds_give_the_bit_length_of_gain_times_prediction():
    thr = pow2_thresholds(np.full(64, 4.0))
    codes = np.array([0, 63, 64, 127, 128, 256, 100000]).reshape(1, 1, -1).repeat(64, 0)
    h = buckets(codes, thr)  # [1, 7, 64]
    assert h[0, :, 1].tolist() == [0, 0, 1, 1, 2, 3, N_BUCKETS - 1]  # bitlen(floor(4 * code / 256))


@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_features_read_only_planes_decoded_before(subsampling):
    coefs, q, s = _coefs(make_jpeg(72, 40, seed=subsampling, subsampling=subsampling))
    for c in (1, 2):
        x = luma_inputs(coefs[:c], c, coefs[c].shape[:2], q, s)
        assert x.shape == (N_LUMA_INPUTS, *coefs[c].shape[:2])
        damaged = [p.copy() for p in coefs]
        damaged[c][:] = 7  # the hinted plane itself (and later ones) never enter its inputs
        assert np.array_equal(x, luma_inputs(damaged[:c], c, coefs[c].shape[:2], q, s))


def test_hints_do_not_depend_on_tile_size_and_match_the_torch_twin():
    pytest.importorskip("torch")
    from mlzip.train.qat import int_forward_torch

    model = _random_model()
    coefs, q, s = _coefs(make_jpeg(200, 136, seed=3, subsampling=0))
    ref = model.all_hints(coefs, q, s)
    assert ref[0] is None and ref[1].shape == coefs[1].shape and ref[1].dtype == np.uint8
    assert ref[1][0, 0, 0] == DC_NO_PREDICTION and ref[1][..., 1:].max() < N_BUCKETS
    assert len(np.unique(ref[2])) > 3  # not a constant hint
    model.tile = 5
    tiled = model.all_hints(coefs, q, s)
    assert all(np.array_equal(a, b) for a, b in zip(ref[1:], tiled[1:]))
    x = model.inputs(coefs, 2, coefs[2].shape[:2], q, s)
    assert np.array_equal(int_forward_torch(model.model, x[None])["head"][0], model.codes(x))


def test_hint_fn_serves_chroma_only():
    model = _random_model()
    coefs, q, s = _coefs(make_jpeg(48, 32, seed=1))
    fn = model.hint_fn([c.shape[:2] for c in coefs], q, s)
    assert fn(0, []) is None
    assert fn(1, coefs[:1]).shape == coefs[1].shape
    gray, qg, sg = _coefs(make_jpeg(48, 32, seed=1, mode="L"))
    assert model.hint_fn([gray[0].shape[:2]], qg, sg)(0, []) is None


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_and_matches_its_manifest(name):
    entry = registry.lookup(name)
    model = load(name)
    assert model.model.params == entry.params and entry.id >= registry.FIRST_LEARNED_ID
    assert load(entry.id) is load(entry.id)  # cached by id


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_numpy_runtime_equals_torch_twin(name):
    pytest.importorskip("torch")
    from mlzip.train.qat import int_forward_torch

    model = load(name)
    coefs, q, s = _coefs(make_jpeg(96, 64, seed=7, subsampling=2, quality=90))
    for c in (1, 2):
        x = model.inputs(coefs, c, coefs[c].shape[:2], q, s)
        assert np.array_equal(int_forward_torch(model.model, x[None])["head"][0], model.codes(x))


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("kind", [dict(subsampling=2), dict(subsampling=0, progressive=True),
                                  dict(subsampling=1, quality=95), dict(mode="L")])
def test_round_trip_with_each_shipped_model(name, kind):
    data = make_jpeg(120, 88, seed=5, **kind)
    member = api.compress(data, 6, model=name)
    (info,) = api.inspect(member)
    assert info.mode == "model" and info.model_id == registry.lookup(name).id
    assert api.decompress(member) == data


def test_unknown_model_id_asks_for_an_upgrade():
    from mlzip import container, jpegpath
    from mlzip.errors import ModelError

    data = make_jpeg(40, 32)
    mode, _, sections = jpegpath.encode(data, 6, None)
    member = container.encode_member(mode, 999, data, sections)
    with pytest.raises(ModelError, match="upgrade mlzip"):
        api.decompress(member)


def test_unknown_model_name_is_refused():
    from mlzip.errors import ModelError

    with pytest.raises(ModelError, match="unknown model"):
        api.compress(make_jpeg(40, 32), 6, model="cnn-zz-v9")


# every shipped model has frozen files of its own; the file name's suffix -> the coder's format version it must carry
_FROZEN_VERSION = {"-strong.mlz": 1, "-strongest.mlz": 2, "-mixed.mlz": 3, "-mixed2.mlz": 8}


@pytest.mark.parametrize("name", [f"{m}.mlz" for m in SHIPPED] + [f"{m}-mixed.mlz" for m in SHIPPED]
                         + [f"{m}-mixed2.mlz" for m in SHIPPED]
                         + ["cnn-s-v1-bands.mlz", "rnn-s-v1-bands.mlz", "cnn-xs-v1-strong.mlz", "cnn-xs-v1-strongest.mlz"])
def test_frozen_learned_files_used_hints(name):
    """The frozen files of the learned models (decoded with the other frozen files) really carry hinted
    coefficient streams, and the -bands one hints a banded stream."""
    from pathlib import Path

    from mlzip import container
    from mlzip.coder import api as coder_api

    data = (Path(__file__).parent / "frozen" / name).read_bytes()
    ((header, sections),) = list(container.split_members(data))
    assert header.model_id >= registry.FIRST_LEARNED_ID
    settings = bytes(sections[2])[0]
    assert settings & coder_api.FLAG_HINTS
    assert bool(settings & coder_api.FLAG_BANDS) == name.endswith("-bands.mlz")
    # versions 3 and 4: the STRONG and STRONGEST coders under the learned buckets; 5: hints mixed
    # (into STRONGEST); 10: into STRONGEST2
    strength = next((v for suffix, v in _FROZEN_VERSION.items() if name.endswith(suffix)), 0)
    assert settings >> 4 == coder_api.FORMAT_VERSION + strength


@pytest.mark.parametrize("name", SHIPPED)
def test_same_bytes_with_any_tile_size_and_thread_count(name, monkeypatch):
    from mlzip.coder import bands

    monkeypatch.setattr(bands, "MIN_BANDED_BLOCKS", 64)  # a small image in several bands
    data = make_jpeg(160, 120, seed=11, subsampling=2)
    model = load(name)
    outputs = set()
    for tile, threads in [(model.tile, "1"), (3, "2"), (7, "1")]:
        monkeypatch.setattr(model, "tile", tile)
        monkeypatch.setenv(bands.THREADS_ENV, threads)
        member = api.compress(data, 6, model=name)
        assert api.decompress(member) == data
        outputs.add(member)
    assert len(outputs) == 1


def test_absurd_declared_sizes_are_coded_without_the_network():
    """A JPEG declaring far more blocks than its bytes can code (a hostile or mostly missing file) is
    coded with the classic model even when a learned one is asked for: the network would run over
    every declared block."""
    from mlzip import limits
    from tools import fuzz_roundtrip as fz

    data = make_jpeg(256, 256, seed=3, quality=95, mode="L")
    assert api.inspect(api.compress(data, 6, model="cnn-xs-v1"))[0].model_id == registry.lookup("cnn-xs-v1").id
    side = 8 * int((limits.JPEG_FREE_BLOCKS + 6 * len(data)) ** 0.5)  # 6 blocks a byte: above 4, below 8
    assert not limits.learned_model_fits((side // 8) ** 2, len(data))
    bad = fz.set_dimensions(data, side, side)
    member = api.compress(bad, 6, model="cnn-xs-v1")
    info = api.inspect(member)[0]
    assert (info.mode, info.model_id) == ("model", 1)
    assert api.decompress(member) == bad
