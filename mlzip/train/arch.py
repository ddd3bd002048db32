"""Architecture specs (plain JSON-able dicts) shared by training (QGraph) and the runtime (IntModel)."""

from __future__ import annotations

from typing import Any

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
    x = "stem"
    for i in range(depth):
        layers += [
            {"op": "conv", "name": f"b{i}.dw", "src": x, "k": k, "groups": width, "cout": width, **act},
            {"op": "conv", "name": f"b{i}.pw", "src": f"b{i}.dw", "k": 1, "groups": 1, "cout": width,
             "frac": ACT_FRAC, "range": list(RES_RANGE)},
            {"op": "add", "name": f"b{i}.add", "src": [x, f"b{i}.pw"], "range": list(ACT_RANGE)},
        ]
        x = f"b{i}.add"
    layers.append({"op": "conv", "name": "head", "src": x, "k": 1, "groups": 1, "cout": out_channels,
                   "frac": OUT_FRAC, "range": list(OUT_RANGE)})
    return {
        "family": "cnn",
        "input": {"channels": in_channels, "frac": in_frac, "range": list(in_range)},
        "layers": layers,
        "outputs": ["head"],
    }
