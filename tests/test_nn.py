"""The integer runtime: exact ops, file format, and bit-identity with the torch definition."""

import os
import subprocess
import sys

import numpy as np
import pytest

from mlzip.errors import ModelError
from mlzip.nn import IntModel, ops, read_weights, write_weights

torch = pytest.importorskip("torch")
from mlzip.train.arch import cnn_spec  # noqa: E402
from mlzip.train.qat import QGraph, int_forward_torch  # noqa: E402


def _random_model(seed: int, in_ch: int = 3, out_ch: int = 5, width: int = 8, depth: int = 2,
                  masks=None) -> tuple[QGraph, IntModel]:
    torch.manual_seed(seed)
    spec = cnn_spec(in_ch, (-64, 64), out_ch, width, depth)
    g = QGraph(spec, masks)
    with torch.no_grad():
        for conv in g.convs.values():
            conv.bias.uniform_(-0.5, 0.5)
            conv.weight.mul_(2.0)
    return g, g.export()


def _inputs(seed: int, n: int, c: int, h: int, w: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-70, 71, size=(n, c, h, w))


def test_round_shift_rounds_half_up_for_negatives_too():
    x = np.array([-6, -5, -3, -2, 2, 3, 5, 6], dtype=np.int64)
    assert ops.round_shift(x, 2).tolist() == [-1, -1, -1, 0, 1, 1, 1, 2]  # x/4 rounded half up
    assert ops.round_shift(torch.tensor(x), 2).tolist() == [-1, -1, -1, 0, 1, 1, 1, 2]
    assert ops.round_shift(x, 0).tolist() == x.tolist()


def test_gates_and_lut():
    x = np.arange(-40, 41, dtype=np.int64)  # frac 3: [-5, 5]
    hs = ops.hard_sigmoid(x, 3, np.clip)
    assert hs.min() == 0 and hs.max() == 8 and hs[40] == 4
    assert np.all(np.diff(hs) >= 0)
    assert ops.hard_sigmoid(torch.tensor(x), 3, torch.clamp).tolist() == hs.tolist()
    assert ops.hard_tanh(x, 3, np.clip).tolist() == np.clip(x, -8, 8).tolist()
    table, lo = ops.sigmoid_table(3, 8, span=4)
    y = ops.lut(x, table, lo)
    assert y[0] == table[0] and y[-1] == table[-1] and y[40] == 128


def test_causal_mask():
    m = ops.causal_mask(3, include_center=False)
    assert m.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert ops.causal_mask(3, include_center=True)[1, 1] == 1


def test_weights_roundtrip_is_deterministic_and_pickle_free():
    _, model = _random_model(0)
    data = model.to_bytes()
    assert data == _random_model(0)[1].to_bytes()
    spec, tensors = read_weights(data)
    assert spec == model.spec
    for k, v in model.tensors.items():
        assert tensors[k].dtype == v.dtype and np.array_equal(tensors[k], v)
    assert b"pickle" not in data


@pytest.mark.parametrize("cut", [3, 20, -5])
def test_malformed_weights_raise_model_error(cut):
    data = _random_model(0)[1].to_bytes()
    with pytest.raises(ModelError):
        IntModel.from_bytes(data[:cut])


def test_tensor_with_wrong_shape_is_rejected():
    _, model = _random_model(0)
    tensors = dict(model.tensors, **{"head.b": np.zeros(2, np.int32)})
    with pytest.raises(ModelError, match="shapes"):
        IntModel(model.spec, tensors)


def test_unexact_accumulator_is_rejected():
    spec = {"input": {"channels": 1, "frac": 0, "range": [-(1 << 45), 1 << 45]},
            "layers": [{"op": "conv", "name": "c", "src": "input", "k": 3, "groups": 1, "cout": 1,
                        "shift": 0, "frac": 0, "range": [0, 1]}], "outputs": ["c"]}
    t = {"c.w": np.full((1, 1, 3, 3), 127, np.int8), "c.b": np.zeros(1, np.int32), "c.m": np.ones(1, np.int32)}
    with pytest.raises(ModelError, match="not exact"):
        IntModel(spec, t)


def test_unsupported_bytes_dtype():
    with pytest.raises(ValueError):
        write_weights({}, {"x": np.zeros(2, np.float32)})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_runtime_equals_torch_integer_forward(seed):
    _, model = _random_model(seed)
    x = _inputs(seed, 2, 3, 13, 17)
    ref = model.forward(x)["head"]
    assert ref.dtype == np.int64 and ref.shape == (2, 5, 13, 17)
    assert len(np.unique(ref)) > 20  # a real test: outputs vary
    assert np.array_equal(int_forward_torch(model, x)["head"], ref)


def assert_batch_and_tile_invariant(model: IntModel, x: np.ndarray, tiles=(4, 7, 32)) -> None:
    ref = model.forward(x)["head"]
    for i in range(x.shape[0]):
        assert np.array_equal(model.forward(x[i : i + 1])["head"], ref[i : i + 1])
    for tile in tiles:
        assert np.array_equal(model.forward_tiled(x, tile)["head"], ref)


def test_batch_and_tile_sizes_do_not_change_a_bit():
    _, model = _random_model(3)
    assert_batch_and_tile_invariant(model, _inputs(3, 3, 3, 19, 23))


def assert_float_twin_tracks(g: QGraph, model: IntModel, x: np.ndarray, max_mean_error: float) -> None:
    """The quantized float graph's head (in the integer runtime's 1/256 units) stays within
    max_mean_error codes of the exported integer model's on average and correlates above 0.999."""
    with torch.no_grad():
        fq = g(torch.tensor(x, dtype=torch.float32))["head"].numpy() * 256
    exact = model.forward(x)["head"]
    assert np.mean(np.abs(fq - exact)) < max_mean_error
    assert np.corrcoef(fq.ravel(), exact.ravel())[0, 1] > 0.999


def test_quantized_float_forward_tracks_integer_forward():
    g, model = _random_model(4)
    # only the multiplier rounding separates them: a code or two here and there
    assert_float_twin_tracks(g, model, _inputs(4, 1, 3, 16, 16), 1.0)


def test_causal_mask_makes_conv_blind_to_current_and_later_positions():
    masks = {"stem": ops.causal_mask(3, include_center=False)}
    spec = {"input": {"channels": 1, "frac": 0, "range": [-64, 64]},
            "layers": [{"op": "conv", "name": "stem", "src": "input", "k": 3, "groups": 1, "cout": 4,
                        "frac": 4, "range": [-255, 255]}], "outputs": ["stem"]}
    torch.manual_seed(0)
    model = QGraph(spec, masks).export()
    x = _inputs(5, 1, 1, 6, 6)
    y = model.forward(x)["stem"]
    x2 = x.copy()
    x2[0, 0, 3, 3:] += 5  # change the current position and everything after it on that row
    x2[0, 0, 4:, :] += 5
    assert np.array_equal(model.forward(x2)["stem"][0, :, 3, 3], y[0, :, 3, 3])


_THREAD_SCRIPT = """
import sys, numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
sys.path.insert(0, '.')
from tests.test_nn import _random_model, _inputs
from mlzip.train.qat import int_forward_torch
_, m = _random_model(7, width=32, depth=3)
x = _inputs(7, 2, 3, 40, 40)
a = m.forward(x)['head']; b = int_forward_torch(m, x)['head']
assert np.array_equal(a, b)
print(__import__('hashlib').sha256(a.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_one_and_two_threads_give_identical_outputs():
    digests = set()
    for threads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _THREAD_SCRIPT, threads], env=env, capture_output=True,
                             text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_gate_ops_match_between_runtimes():
    """A GRU-style update h = z * n with hard gates: the integer ops a later rnn family needs."""
    act = {"frac": 6, "range": [-512, 512]}
    spec = {"input": {"channels": 2, "frac": 0, "range": [-64, 64]},
            "layers": [
                {"op": "conv", "name": "gz", "src": "input", "k": 3, "groups": 1, "cout": 4, **act},
                {"op": "conv", "name": "gn", "src": "input", "k": 1, "groups": 1, "cout": 4, **act},
                {"op": "hsigmoid", "name": "z", "src": "gz"},
                {"op": "htanh", "name": "n", "src": "gn"},
                {"op": "mul", "name": "h", "src": ["z", "n"], "frac": 6, "range": [-64, 64]},
                {"op": "concat", "name": "out", "src": ["h", "z"]},
            ], "outputs": ["out"]}
    torch.manual_seed(1)
    g = QGraph(spec)
    model = g.export()
    x = _inputs(8, 2, 2, 9, 11) // 4
    ref = model.forward(x)["out"]
    z = ref[:, 4:]
    assert z.min() == 0 and z.max() == 64 and 0 < np.mean((z > 0) & (z < 64))
    assert np.array_equal(int_forward_torch(model, x)["out"], ref)
    with torch.no_grad():
        fq = g(torch.tensor(x, dtype=torch.float32))["out"].numpy() * 64
    assert np.mean(np.abs(fq - ref)) < 1.0


def test_rows_spec_never_looks_below_in_its_causal_inputs():
    from mlzip.train.arch import cnn_rows_spec

    torch.manual_seed(2)
    spec = cnn_rows_spec(2, 3, (-64, 64), 4, width=8, depth=2)
    g = QGraph(spec)
    with torch.no_grad():
        for conv in g.convs.values():
            conv.weight.mul_(3.0)
    model = g.export()
    x = _inputs(9, 1, 5, 10, 9)
    ref = model.forward(x)["head"]
    assert np.array_equal(int_forward_torch(model, x)["head"], ref)
    r = 4
    x2 = x.copy()
    x2[:, 2:, r + 1 :] = -x2[:, 2:, r + 1 :] + 7  # causal channels below row r
    out = model.forward(x2)["head"]
    assert np.array_equal(out[:, :, : r + 1], ref[:, :, : r + 1])
    assert not np.array_equal(out, ref)
    x3 = x.copy()
    x3[:, :2, r + 1 :] += 9  # free channels below row r do reach it
    assert not np.array_equal(model.forward(x3)["head"][:, :, r], ref[:, :, r])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_numpy_runtime():
    _, model = _random_model(11, width=32, depth=3)
    x = _inputs(11, 2, 3, 33, 47)
    assert np.array_equal(int_forward_torch(model, x, device="cuda")["head"], model.forward(x)["head"])
