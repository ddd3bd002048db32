"""The row GRU: a recurrent layer that carries a hidden state block to block along each block row.

One definition of the recurrence serves the integer runtime (mlzip.nn.model, numpy or torch backend)
and the fake-quantized training twin (mlzip.train.qat): the caller passes the cell's arithmetic
(`lin` for the recurrent 1x1 product, `gate`, `tanh`, `mul` fixed-point product). Every block row of
every image advances together, one block column per step: a loop over columns, never over blocks.

Cell (PyTorch's GRU variant, hard gates so the integer path needs no exp):
    u = lin(h);  z = gate(xz + uz);  r = gate(xr + ur);  n = tanh(xn + r * un);  h' = h + z * (n - h)
with x = the layer's input, 3*hidden channels (z, r, n parts), precomputed by a convolution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def gru_cell(xt: Any, h: Any, hidden: int, lin: Callable[[Any], Any], gate: Callable[[Any], Any],
             tanh: Callable[[Any], Any], mul: Callable[[Any, Any], Any]) -> Any:
    u = lin(h)
    z = gate(xt[:, :hidden] + u[:, :hidden])
    r = gate(xt[:, hidden : 2 * hidden] + u[:, hidden : 2 * hidden])
    n = tanh(xt[:, 2 * hidden :] + mul(r, u[:, 2 * hidden :]))
    return h + mul(z, n - h)


def row_scan(x: Any, hidden: int, reverse: bool, step: Callable[[Any, Any], Any],
             cat_width: Callable[[list[Any]], Any]) -> Any:
    """Run `step(x_column, h) -> h` over the block columns of x [N, 3*hidden, H, W] (right to left
    when `reverse`), starting from h = 0; returns the hidden states [N, hidden, H, W]."""
    width = x.shape[3]
    h = x[:, :hidden, :, :1] * 0  # zeros of the right type, device and shape
    outs = []
    for t in (range(width - 1, -1, -1) if reverse else range(width)):
        h = step(x[:, :, :, t : t + 1], h)
        outs.append(h)
    if reverse:
        outs.reverse()
    return cat_width(outs)
