"""Logistic mixing of two adaptive contexts for one binary decision (lpaq style, integer only).

The classic model codes each decision with the probability of one context. The strong models
(``classic.STRONG``/``STRONGEST``) look some decisions up in two contexts that see different
things, turn both probabilities into the logistic domain (``stretch``), add them with weights
learnt online by gradient descent on the coding cost, and code with ``squash`` of the sum. A
weight set is chosen per decision kind and exponent slot; every set starts trusting the first
(classic) context alone. Both contexts adapt as in ``rangecoder.adapt``.

Both tables are built from 33 integer knots by integer interpolation, so every machine computes
the same probabilities. Logits are in 1/256 units, clipped to +-2047 (+-8 nats).
"""

import numpy as np
from numba import njit

from mlzip.coder.rangecoder import PROB_MAX, PROB_MIN, adapt, code_p

# 65536 / (1 + exp(-x / 2)) for x = -16..16 (rounded): the logistic function every 128 logit units
SQUASH_KNOTS = np.array([
    22, 36, 60, 98, 162, 267, 439, 720, 1179, 1921, 3108, 4971, 7812, 11955, 17625, 24743, 32768,
    40793, 47911, 53581, 57724, 60565, 62428, 63615, 64357, 64816, 65097, 65269, 65374, 65438,
    65476, 65500, 65514], np.int64)
LOGIT_MAX = 2047
N_INPUTS = 3  # two contexts and a bias
WEIGHT_ONE = 1 << 16
# weight step = rate * error * input >> shift: about 0.006 in nats; 3 and 12 measured slightly worse
LEARNING_RATE = 6
LEARNING_SHIFT = 18


def _squash_table() -> np.ndarray:
    """SQUASH[d + 2047] = probability (1/65536) of logit d / 256, for d = -2047..2047."""
    d = np.arange(-LOGIT_MAX, LOGIT_MAX + 1) + 2048
    lo, frac = d >> 7, d & 127
    return SQUASH_KNOTS[lo] + (((SQUASH_KNOTS[lo + 1] - SQUASH_KNOTS[lo]) * frac) >> 7)


def _stretch_table(squash: np.ndarray) -> np.ndarray:
    """STRETCH[p >> 4] = the smallest logit whose squash reaches p (the inverse of squash)."""
    out = np.full(4096, LOGIT_MAX, np.int64)
    i = 0
    for x in range(-LOGIT_MAX, LOGIT_MAX + 1):
        v = int(squash[x + LOGIT_MAX]) >> 4
        while i <= v:
            out[i] = x
            i += 1
    return out


SQUASH = _squash_table()
STRETCH = _stretch_table(SQUASH)


def new_weights(n_sets: int) -> np.ndarray:
    """Every weight set starts trusting the first context alone."""
    w = np.zeros((n_sets, N_INPUTS), np.int32)
    w[:, 0] = WEIGHT_ONE
    return w.reshape(-1)


@njit(cache=True, inline="always")
def code_mixed(rc, buf, model, recip, ctx1, ctx2, weights, wset, bit):
    """Code one decision with contexts ``ctx1`` and ``ctx2`` mixed by weight set ``wset``;
    update both contexts and the weights. Returns the bit (decoded when decoding)."""
    u1 = np.uint64(ctx1)
    u2 = np.uint64(ctx2)
    s1 = np.int64(model[u1])
    s2 = np.int64(model[u2])
    x1 = STRETCH[s1 >> 12]
    x2 = STRETCH[s2 >> 12]
    wb = np.uint64(wset * N_INPUTS)
    w1 = np.int64(weights[wb])
    w2 = np.int64(weights[wb + 1])
    w3 = np.int64(weights[wb + 2])
    dot = (w1 * x1 + w2 * x2 + w3 * 256) >> 16
    dot = min(max(dot, -LOGIT_MAX), LOGIT_MAX)
    p = min(max(SQUASH[dot + LOGIT_MAX], PROB_MIN), PROB_MAX)
    bit = code_p(rc, buf, p, bit)
    err = ((bit << 16) - p) * LEARNING_RATE
    weights[wb] = w1 + ((x1 * err) >> LEARNING_SHIFT)
    weights[wb + 1] = w2 + ((x2 * err) >> LEARNING_SHIFT)
    weights[wb + 2] = w3 + ((256 * err) >> LEARNING_SHIFT)
    adapt(model, recip, u1, s1, bit)
    adapt(model, recip, u2, s2, bit)
    return bit


@njit(cache=True)
def code_mixed_bits(rc, buf, model, recip, ctxs1, ctxs2, weights, wsets, bits):
    """Code a sequence of mixed decisions (used by tests against the reference)."""
    out = np.empty(bits.size, np.int64)
    for i in range(bits.size):
        out[i] = code_mixed(rc, buf, model, recip, ctxs1[i], ctxs2[i], weights, wsets[i], bits[i])
    return out
