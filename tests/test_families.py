"""The rnn family (row GRU in the integer runtime) and the gan family's adversarial training."""

import numpy as np
import pytest

from mlzip.errors import ModelError
from mlzip.nn import IntModel

torch = pytest.importorskip("torch")
from mlzip.train.arch import rnn_spec, spec_for_scheme  # noqa: E402
from mlzip.train.qat import QGraph, int_forward_torch  # noqa: E402
from tests.test_nn import _inputs, assert_batch_and_tile_invariant, assert_float_twin_tracks  # noqa: E402


def _rnn(seed: int, width: int = 8, depth: int = 2, hidden: int = 6) -> tuple[QGraph, IntModel]:
    torch.manual_seed(seed)
    spec = rnn_spec(3, (-64, 64), 5, width, depth, hidden)
    spec["outputs"] = ["head", "gru_fw", "gru_bw"]
    g = QGraph(spec)
    with torch.no_grad():
        for conv in g.convs.values():
            conv.bias.uniform_(-0.5, 0.5)
            conv.weight.mul_(2.0)
    return g, g.export()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_numpy_runtime_equals_torch_integer_forward(seed):
    _, model = _rnn(seed)
    x = _inputs(seed, 2, 3, 7, 19)
    ref = model.forward(x)
    assert len(np.unique(ref["head"])) > 20
    state = ref["gru_fw"]
    assert state.min() >= -128 and state.max() <= 128 and len(np.unique(state)) > 20  # gates not saturated
    tor = int_forward_torch(model, x)
    for k in ref:
        assert np.array_equal(tor[k], ref[k]), k


def test_rnn_float_twin_tracks_integer_forward():
    g, model = _rnn(4)
    assert_float_twin_tracks(g, model, _inputs(4, 1, 3, 9, 16), 2.0)


def test_row_gru_state_runs_along_the_row_in_its_direction():
    _, model = _rnn(5, depth=1)  # stem only: 1 block of radius before the gru
    x = _inputs(5, 1, 3, 6, 20)
    ref = model.forward(x)
    x2 = x.copy()
    x2[:, :, 2, 15:] = -x2[:, :, 2, 15:] + 9  # row 2, columns 15 and right
    out = model.forward(x2)
    # the left-to-right state left of column 14 (stem radius 1) does not see the change; far left it
    # is carried by the recurrence alone: the right-to-left state there does see it
    assert np.array_equal(out["gru_fw"][:, :, :, :14], ref["gru_fw"][:, :, :, :14])
    assert not np.array_equal(out["gru_bw"][:, :, 2, :5], ref["gru_bw"][:, :, 2, :5])
    assert np.array_equal(out["head"][:, :, 5], ref["head"][:, :, 5])  # rows never mix beyond the convs


def test_rnn_batch_and_tile_sizes_do_not_change_a_bit():
    _, model = _rnn(6)
    assert_batch_and_tile_invariant(model, _inputs(6, 3, 3, 11, 13), tiles=(3, 5, 32))


def test_gru_with_wrong_input_width_is_rejected():
    _, model = _rnn(0)
    spec = dict(model.spec, layers=[dict(la, hidden=5) if la["op"] == "gru" else la for la in model.spec["layers"]])
    with pytest.raises(ModelError):
        IntModel(spec, model.tensors)


def test_spec_for_scheme_families():
    assert spec_for_scheme("dc", 5, (-9, 9), 4, "xs", family="gan")["family"] == "gan"
    rnn = spec_for_scheme("dc", 5, (-9, 9), 4, "xs", family="rnn")
    assert rnn["family"] == "rnn" and any(la["op"] == "gru" for la in rnn["layers"])
    with pytest.raises(ValueError, match="rnn"):
        spec_for_scheme("rows", 70, (-9, 9), 4, "xs", family="rnn")


def _samples(seed: int, n: int):
    from mlzip.train import features as F
    from mlzip.train.data import read_coefficients
    from tests.jpeg_fixtures import make_jpeg

    images = [read_coefficients(make_jpeg(64, 64, seed * 100 + i, quality=40 + 10 * i)) for i in range(n)]
    return F.build_samples(images, "dc")


def test_gan_training_step_runs_and_generator_losses_fall():
    from mlzip.train import features as F
    from mlzip.train.gan import AdversarialTerm
    from mlzip.train.loop import evaluate, train

    torch.set_num_threads(1)
    tr, va = _samples(1, 5), _samples(2, 2)
    n_in, n_out = tr[0][0].shape[0], tr[0][1].shape[0]
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        g = QGraph(spec_for_scheme("dc", n_in, F.FEATURE_RANGE, n_out, "xs", F.FEATURE_FRAC, "gan"))
        adv = AdversarialTerm(n_in, n_out, F.FEATURE_FRAC, weight=0.1)  # larger than shipped: a visible term
        untrained = evaluate(g, va)
        hist = train(g, tr, va, steps=40, batch=4, crop=8, lr=1e-2, seed=3, val_every=20, adversary=adv)
        runs.append((hist, adv, g.export().to_bytes()))
    hist, adv, _ = runs[0]
    assert len(adv.gen_loss) == len(adv.disc_loss) == 40
    assert np.mean(hist.train_loss[-8:]) < 0.85 * np.mean(hist.train_loss[:4])  # the rate loss falls
    assert hist.val_loss[-1] < 0.8 * untrained
    assert all(np.isfinite(adv.gen_loss)) and all(np.isfinite(adv.disc_loss))
    assert runs[0][2] == runs[1][2]  # seeded: the same integer model


@pytest.mark.parametrize("family", ["rnn", "gan"])
def test_train_main_trains_the_family_into_a_coder_hint_model(tmp_path, family):
    """The shipped scheme (luma): training, then thresholds and bucket mode chosen in real coded bits, and
    the exported file drives the coder through mlzip.learned like a cnn does."""
    from mlzip.coder import decode_coefficients, encode_coefficients
    from mlzip.learned.hints import HintModel
    from mlzip.train.cli import train_main
    from mlzip.train.data import read_coefficients
    from tests.jpeg_fixtures import make_jpeg, photo

    data = tmp_path / "imgs"
    data.mkdir()
    for i in range(6):
        photo(80, 64, i).save(data / f"img{i}.png")
    out = tmp_path / f"{family}.mlzn"
    entry = train_main(family=family, size="xs", data=[data], out=out, scheme="luma", steps=12, crop=8, batch=2,
                       val_fraction=0.4, reencodes=1, quiet=True)
    hint_model = HintModel.from_bytes(out.read_bytes())
    assert entry["family"] == hint_model.model.spec["family"] == family
    assert hint_model.model.params == entry["params"] > 0
    assert ("adv_weight" in entry["training"]) == (family == "gan")
    c = read_coefficients(make_jpeg(72, 56, 7, quality=60))
    hints = hint_model.all_hints(c.components, c.qtables, c.sampling)
    assert hints[0] is None and hints[1].shape == c.components[1].shape
    blob = encode_coefficients(c.components, c.qtables, c.sampling, hints=hints)
    back = decode_coefficients(blob, [p.shape[:2] for p in c.components], c.qtables, c.sampling, hints=hints)
    assert all(np.array_equal(a, b) for a, b in zip(back, c.components))
