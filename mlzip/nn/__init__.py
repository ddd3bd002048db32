"""Integer-exact neural network runtime (numpy only, no torch).

Everything that feeds the entropy coder must be bit-identical on every machine (design.md §4), so
the networks run on integer codes: int8 weights, int32 biases, int64 accumulators, requantization
by an integer multiply and a rounding arithmetic right shift, clamps for ReLU, hard or table-based
gates. Convolutions use float64 matrix products on integer values whose sums stay below 2**53, so
they are exact whatever the summation order (thread count, BLAS, tiling).
"""

from mlzip.nn.model import IntModel
from mlzip.nn.weights import read_weights, write_weights

__all__ = ["IntModel", "read_weights", "write_weights"]
