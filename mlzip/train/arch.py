"""Architecture specs (plain JSON-able dicts) shared by training (QGraph) and the runtime (IntModel)."""

from __future__ import annotations

from typing import Any

from mlzip.registry import FAMILIES as REGISTRY_FAMILIES

ACT_FRAC = 4  # hidden activations: 4 fractional bits
ACT_RANGE = (0, 255)  # after ReLU: uint8 codes, real values in [0, 16)
RES_RANGE = (-255, 255)  # residual branch before the skip add
OUT_FRAC = 8
OUT_RANGE = (-(1 << 15), (1 << 15) - 1)  # head: int16 codes (logits / predictions)

SIZES: dict[str, dict[str, int]] = {
    "xs": {"width": 8, "depth": 1},
    "s": {"width": 16, "depth": 2},
    "m": {"width": 32, "depth": 4},
    "l": {"width": 64, "depth": 6},
}


def cnn_spec(in_channels: int, in_range: tuple[int, int], out_channels: int, width: int, depth: int,
             in_frac: int = 0, k: int = 3) -> dict[str, Any]:
    """Stem conv, `depth` residual depthwise-separable blocks, 1x1 head (linear, int16 codes)."""
    act = {"frac": ACT_FRAC, "range": list(ACT_RANGE)}
    layers: list[dict[str, Any]] = [
        {"op": "conv", "name": "stem", "src": "input", "k": k, "groups": 1, "cout": width, **act}
    ]
    x = _residual_blocks(layers, "stem", width, depth, k)
    layers.append({"op": "conv", "name": "head", "src": x, "k": 1, "groups": 1, "cout": out_channels,
                   "frac": OUT_FRAC, "range": list(OUT_RANGE)})
    return {
        "family": "cnn",
        "input": {"channels": in_channels, "frac": in_frac, "range": list(in_range)},
        "layers": layers,
        "outputs": ["head"],
    }


def _residual_blocks(layers: list[dict[str, Any]], x: str, width: int, depth: int, k: int) -> str:
    """Append `depth` residual depthwise-separable blocks after layer x; returns the last layer's name."""
    act = {"frac": ACT_FRAC, "range": list(ACT_RANGE)}
    for i in range(depth):
        layers += [
            {"op": "conv", "name": f"b{i}.dw", "src": x, "k": k, "groups": width, "cout": width, **act},
            {"op": "conv", "name": f"b{i}.pw", "src": f"b{i}.dw", "k": 1, "groups": 1, "cout": width,
             "frac": ACT_FRAC, "range": list(RES_RANGE)},
            {"op": "add", "name": f"b{i}.add", "src": [x, f"b{i}.pw"], "range": list(ACT_RANGE)},
        ]
        x = f"b{i}.add"
    return x


GRU_FRAC = 7  # gate and state codes: 7 fractional bits, state in [-1, 1] = [-128, 128]
GRU_IN_RANGE = (-(8 << GRU_FRAC), 8 << GRU_FRAC)  # gate pre-activations, real [-8, 8]


def rnn_spec(in_channels: int, in_range: tuple[int, int], out_channels: int, width: int, depth: int,
             hidden: int, in_frac: int = 0, k: int = 3) -> dict[str, Any]:
    """Stem conv, depth-1 residual blocks (as cnn_spec), then a bidirectional row GRU: one GRU runs left
    to right and one right to left along every block row (their input parts from one 1x1 conv), so each
    block's prediction sees its whole block row through the recurrent state. Head: linear over both
    states and a skip from the convolutional features (moved to the state's scale by a 1x1 conv)."""
    act = {"frac": ACT_FRAC, "range": list(ACT_RANGE)}
    gin = {"frac": GRU_FRAC, "range": list(GRU_IN_RANGE)}
    out = {"k": 1, "groups": 1, "cout": out_channels, "frac": OUT_FRAC, "range": list(OUT_RANGE)}
    layers: list[dict[str, Any]] = [
        {"op": "conv", "name": "stem", "src": "input", "k": k, "groups": 1, "cout": width, **act}
    ]
    x = _residual_blocks(layers, "stem", width, max(depth - 1, 0), k)
    layers += [
        {"op": "conv", "name": "gates", "src": x, "k": 1, "groups": 1, "cout": 6 * hidden, **gin},
        {"op": "slice", "name": "gates_fw", "src": "gates", "start": 0, "stop": 3 * hidden},
        {"op": "slice", "name": "gates_bw", "src": "gates", "start": 3 * hidden, "stop": 6 * hidden},
        {"op": "gru", "name": "gru_fw", "src": "gates_fw", "hidden": hidden, "reverse": False, **gin},
        {"op": "gru", "name": "gru_bw", "src": "gates_bw", "hidden": hidden, "reverse": True, **gin},
        {"op": "conv", "name": "skip", "src": x, "k": 1, "groups": 1, "cout": width, **gin},
        {"op": "concat", "name": "state", "src": ["gru_fw", "gru_bw", "skip"]},
        {"op": "conv", "name": "head", "src": "state", **out},
    ]
    return {"family": "rnn", "input": {"channels": in_channels, "frac": in_frac, "range": list(in_range)},
            "layers": layers, "outputs": ["head"]}


def cnn_rows_spec(n_free: int, n_causal: int, in_range: tuple[int, int], out_channels: int, width: int,
                  depth: int, in_frac: int = 0, k: int = 3) -> dict[str, Any]:
    """Two inputs: the first n_free channels may be read anywhere (e.g. the DC plane, decoded first);
    the last n_causal are rows-causal (AC of the rows above, already shifted down one block row).
    Every layer after the merge only looks at its own row and above, so block row i's outputs never
    depend on block row i's AC: the decoder runs it once per block row."""
    act = {"frac": ACT_FRAC, "range": list(ACT_RANGE)}
    res = {"frac": ACT_FRAC, "range": list(RES_RANGE)}
    layers: list[dict[str, Any]] = [
        {"op": "slice", "name": "free", "src": "input", "start": 0, "stop": n_free},
        {"op": "slice", "name": "causal", "src": "input", "start": n_free, "stop": n_free + n_causal},
        {"op": "conv", "name": "stem_free", "src": "free", "k": k, "groups": 1, "cout": width, **res},
        {"op": "conv", "name": "stem_causal", "src": "causal", "k": k, "groups": 1, "cout": width,
         "mask": "rows", **res},
        {"op": "add", "name": "stem", "src": ["stem_free", "stem_causal"], "range": list(ACT_RANGE)},
    ]
    x = "stem"
    for i in range(depth):
        layers += [
            {"op": "conv", "name": f"b{i}.dw", "src": x, "k": k, "groups": width, "cout": width, "mask": "rows", **act},
            {"op": "conv", "name": f"b{i}.pw", "src": f"b{i}.dw", "k": 1, "groups": 1, "cout": width, **res},
            {"op": "add", "name": f"b{i}.add", "src": [x, f"b{i}.pw"], "range": list(ACT_RANGE)},
        ]
        x = f"b{i}.add"
    layers.append({"op": "conv", "name": "head", "src": x, "k": 1, "groups": 1, "cout": out_channels,
                   "frac": OUT_FRAC, "range": list(OUT_RANGE)})
    return {"family": "cnn", "input": {"channels": n_free + n_causal, "frac": in_frac, "range": list(in_range)},
            "layers": layers, "outputs": ["head"]}


FAMILIES = tuple(f for f in REGISTRY_FAMILIES if f != "classic")  # the trainable ones
# schemes whose whole input map exists before the hinted pass: a row GRU may read right of a block
FULL_MAP_SCHEMES = ("dc", "luma", "checker")


def spec_for_scheme(scheme: str, in_channels: int, in_range: tuple[int, int], out_channels: int,
                    size: str, in_frac: int = 0, family: str = "cnn") -> dict[str, Any]:
    """The network shape a pass scheme and family need (rows: mixed free/causal inputs; others: plain CNN;
    rnn: row GRU; gan: the CNN generator, only its training differs)."""
    cfg = SIZES[size]
    if family == "rnn":
        if scheme not in FULL_MAP_SCHEMES:
            raise ValueError(f"the rnn family reads whole block rows: scheme {scheme!r} cannot feed it")
        return rnn_spec(in_channels, in_range, out_channels, cfg["width"], cfg["depth"], cfg["width"], in_frac)
    if scheme == "rows":
        n_causal = 63
        spec = cnn_rows_spec(in_channels - n_causal, n_causal, in_range, out_channels, cfg["width"], cfg["depth"],
                             in_frac)
    else:
        spec = cnn_spec(in_channels, in_range, out_channels, cfg["width"], cfg["depth"], in_frac)
    return {**spec, "family": family}
