"""Logistic mixing of two (or three) adaptive contexts for one binary decision (lpaq style, integer only).

The classic model codes each decision with the probability of one context. The strong models
(``classic.STRONG``/``STRONGEST``) look some decisions up in two contexts that see different
things, turn both probabilities into the logistic domain (``stretch``), add them with weights
learnt online by gradient descent on the coding cost, and code with ``squash`` of the sum. A
weight set is chosen per decision kind and exponent slot; every set starts trusting the first
(classic) context alone. Both contexts adapt as in ``rangecoder.adapt``.

Both tables are built from 33 integer knots by integer interpolation, so every machine computes
the same probabilities. Logits are in 1/256 units, clipped to +-2047 (+-8 nats).

``code_mixed3`` mixes three contexts (a learned model's hint is the third, see classic.HINTS_MIXED);
its weight sets have four weights and start, like the others, trusting the first context alone.

``code_mixed_n`` (classic.ULTRA) mixes N contexts (their indexes in an array, plus a common offset)
with a two-layer network: two first-layer weight sets of N + 1 weights (N inputs and a bias), the
caller picks them from two different selectors (e.g. the exponent slot, and the slot x a magnitude
bucket); their two logits (clipped, in the stretched domain) are mixed by a second-layer set of 3
weights (two inputs and a bias). Each first-layer set learns from the error of its own output,
the second layer (at a third of the rate, FINAL_LEARNING_RATE) from the final one (paq8's 2-layer mixer). No allocation per call: the
stretched inputs and states go through caller-owned scratch arrays. A weights array longer than
APM_SIZE ends with APM tables that refine its final probability (classic.ULTRA4; see APM_SIZE).
"""

import numpy as np
from numba import njit

from mlzip.coder.rangecoder import PROB_MAX, PROB_MIN, adapt, code_p

JIT_SOURCES_SHA256 = "37f969760a590fb7ce6317b88b00719de3f7a938d9275cd2ed8ca3b7c4ecd230"  # tools/stamp_jit.py

# 65536 / (1 + exp(-x / 2)) for x = -16..16 (rounded): the logistic function every 128 logit units
SQUASH_KNOTS = np.array([
    22, 36, 60, 98, 162, 267, 439, 720, 1179, 1921, 3108, 4971, 7812, 11955, 17625, 24743, 32768,
    40793, 47911, 53581, 57724, 60565, 62428, 63615, 64357, 64816, 65097, 65269, 65374, 65438,
    65476, 65500, 65514], np.int64)
LOGIT_MAX = 2047
N_INPUTS = 3  # two contexts and a bias
N_INPUTS3 = 4  # code_mixed3: three contexts and a bias
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


def new_weights(n_sets: int, n_inputs: int = N_INPUTS) -> np.ndarray:
    """Every weight set starts trusting the first context alone."""
    w = np.zeros((n_sets, n_inputs), np.int32)
    w[:, 0] = WEIGHT_ONE
    return w.reshape(-1)


@njit(cache=True, inline="always")
def _logit(dot):
    """A weighted sum (1/65536 units) as a clipped logit (1/256 units)."""
    return min(max(dot >> 16, -LOGIT_MAX), LOGIT_MAX)


@njit(cache=True, inline="always")
def _coded_prob(y):
    """The probability the coder may use for logit ``y``: squash(y) within [PROB_MIN, PROB_MAX]."""
    return min(max(SQUASH[y + LOGIT_MAX], PROB_MIN), PROB_MAX)


@njit(cache=True, inline="always")
def _mix(dot, rc, buf, bit, rate):
    """Code ``bit`` with the probability of logit ``dot`` (1/65536 units); returns the bit and the
    weight step factor of the update (``rate`` x error)."""
    p = _coded_prob(_logit(dot))
    bit = code_p(rc, buf, p, bit)
    return bit, ((bit << 16) - p) * rate


@njit(cache=True, inline="always")
def _input(model, ctx):
    """A context's index, state word and stretched probability (the mixer's input)."""
    u = np.uint64(ctx)
    s = np.int64(model[u])
    return u, s, STRETCH[s >> 12]


@njit(cache=True, inline="always")
def _step(w, x, err):
    """A weight moved down the coding cost's gradient."""
    return w + ((x * err) >> LEARNING_SHIFT)


@njit(cache=True, inline="always")
def code_mixed(rc, buf, model, recip, log, ctx1, ctx2, weights, wset, bit):
    """Code one decision with contexts ``ctx1`` and ``ctx2`` mixed by weight set ``wset``;
    update both contexts and the weights. Returns the bit (decoded when decoding)."""
    u1, s1, x1 = _input(model, ctx1)
    u2, s2, x2 = _input(model, ctx2)
    wb = np.uint64(wset * N_INPUTS)
    w1, w2, w3 = np.int64(weights[wb]), np.int64(weights[wb + 1]), np.int64(weights[wb + 2])
    bit, err = _mix(w1 * x1 + w2 * x2 + w3 * 256, rc, buf, bit, LEARNING_RATE)
    weights[wb], weights[wb + 1], weights[wb + 2] = _step(w1, x1, err), _step(w2, x2, err), _step(w3, 256, err)
    adapt(model, recip, log, u1, s1, bit)
    adapt(model, recip, log, u2, s2, bit)
    return bit


@njit(cache=True, inline="always")
def code_mixed3(rc, buf, model, recip, log, ctx1, ctx2, ctx3, weights, wset, bit):
    """``code_mixed`` with a third context; ``wset`` indexes sets of N_INPUTS3 weights."""
    u1, s1, x1 = _input(model, ctx1)
    u2, s2, x2 = _input(model, ctx2)
    u3, s3, x3 = _input(model, ctx3)
    wb = np.uint64(wset * N_INPUTS3)
    w1, w2, w3, w4 = (np.int64(weights[wb]), np.int64(weights[wb + 1]), np.int64(weights[wb + 2]),
                      np.int64(weights[wb + 3]))
    bit, err = _mix(w1 * x1 + w2 * x2 + w3 * x3 + w4 * 256, rc, buf, bit, LEARNING_RATE)
    weights[wb], weights[wb + 1] = _step(w1, x1, err), _step(w2, x2, err)
    weights[wb + 2], weights[wb + 3] = _step(w3, x3, err), _step(w4, 256, err)
    adapt(model, recip, log, u1, s1, bit)
    adapt(model, recip, log, u2, s2, bit)
    adapt(model, recip, log, u3, s3, bit)
    return bit


@njit(cache=True)
def code_mixed_bits(rc, buf, model, recip, log, ctxs1, ctxs2, weights, wsets, bits):
    """Code a sequence of mixed decisions (used by tests against the reference)."""
    out = np.empty(bits.size, np.int64)
    for i in range(bits.size):
        out[i] = code_mixed(rc, buf, model, recip, log, ctxs1[i], ctxs2[i], weights, wsets[i], bits[i])
    return out


@njit(cache=True)
def code_mixed3_bits(rc, buf, model, recip, log, ctxs1, ctxs2, ctxs3, weights, wsets, bits):
    """Code a sequence of 3-context mixed decisions (used by tests against the reference)."""
    out = np.empty(bits.size, np.int64)
    for i in range(bits.size):
        out[i] = code_mixed3(rc, buf, model, recip, log, ctxs1[i], ctxs2[i], ctxs3[i], weights, wsets[i], bits[i])
    return out


N_FINAL = 3  # code_mixed_n's second layer: two first-layer logits and a bias
# its weight step (rate x error x input >> LEARNING_SHIFT): a third of the first layer's; 12 deb dev photos,
# coefficient bytes against 6: 3 -0.04 %, 2 -0.05 %, 1 -0.04 %, 12 +0.08 % (500 CIFAR files: 2 -0.03 %)
FINAL_LEARNING_RATE = 2


# APM (adaptive probability map, paq's secondary estimation) after code_mixed_n's second layer, when
# the weights array carries its tables (classic.ULTRA4): the mixed probability's logit selects two
# neighbouring knots of 33 (every 128 logit units) in two tables, one per first-layer set B (``wb >> 2``:
# sets have 4 or more weights) and one picked by a hash of the first (classic) context; the coded
# probability is (mixed + 2 x first table's + second table's) / 4; the nearer knot of each table moves
# towards the bit by 1/2^APM_RATE. The mixer still learns from its own probability. 12 deb dev photos at
# level 9: -0.23 % (one table per set B alone -0.15 %; per second-layer set -0.10 %; a third table by a
# hash of the second context, rate 6 or 8: smaller gains; (mixed + first + 2 x second) / 4: -0.027 %, but
# CIFAR +0.016 %); 500 CIFAR validation files -0.008 %; encode and
# decode about +13 % CPU (min of 3 runs).
APM_KNOTS = 33
APM_SETS = 8192  # tables of the first APM (a bound on wb >> 2)
APM_HASH_BITS = 12  # 2^12 tables of the second (2^14: 0.001 % smaller, 2.5x the memory)
APM_SIZE = (APM_SETS + (1 << APM_HASH_BITS)) * APM_KNOTS
APM_RATE = 7
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


def new_apm() -> np.ndarray:
    """Every APM table starts as the identity: knot k holds squash of its logit."""
    knots = SQUASH[np.clip(np.arange(APM_KNOTS) * 128 - 2048, -LOGIT_MAX, LOGIT_MAX) + LOGIT_MAX]
    return np.tile(knots.astype(np.int32), APM_SIZE // APM_KNOTS)


@njit(cache=True, inline="always")
def _apm_at(weights, j, frac):
    """A table's probability between knots ``j`` and ``j + 1`` (``frac`` / 128 of the way)."""
    return (np.int64(weights[j]) * (128 - frac) + np.int64(weights[j + 1]) * frac) >> 7


@njit(cache=True, inline="always")
def _code_refined(rc, buf, weights, base, set_b, ctx, y, p, bit):
    """Code ``bit`` with probability ``p`` (logit ``y``) refined by the two APMs at ``base`` of
    ``weights``; update their nearer knots. Returns the bit."""
    x = y + 2048
    frac = x & 127
    j1 = np.uint64(base + set_b * APM_KNOTS + (x >> 7))
    h = (np.uint64(ctx) * _HASH_MUL) >> np.uint64(64 - APM_HASH_BITS)
    j2 = np.uint64(base + APM_SETS * APM_KNOTS) + h * np.uint64(APM_KNOTS) + np.uint64(x >> 7)
    q = (p + 2 * _apm_at(weights, j1, frac) + _apm_at(weights, j2, frac)) >> 2
    bit = code_p(rc, buf, min(max(q, PROB_MIN), PROB_MAX), bit)
    near = np.uint64(frac >> 6)
    t = bit << 16
    j1 += near
    j2 += near
    weights[j1] = np.int32(weights[j1] + ((t - weights[j1]) >> APM_RATE))
    weights[j2] = np.int32(weights[j2] + ((t - weights[j2]) >> APM_RATE))
    return bit


@njit(cache=True, inline="always")
def code_mixed_n(rc, buf, model, recip, log, ctxs, n, add, weights, wa, wb, wf, xs, ss, bit):
    """Code one decision with the ``n`` contexts ``ctxs[i] + add`` mixed by two first-layer weight
    sets (``n + 1`` weights each at offsets ``wa`` and ``wb`` of ``weights``) and a second-layer set
    (N_FINAL weights at ``wf``); update every context and all three sets. ``xs``, ``ss``: int64
    scratch of at least ``n`` entries. Returns the bit (decoded when decoding)."""
    da = np.int64(weights[np.uint64(wa + n)]) * 256
    db = np.int64(weights[np.uint64(wb + n)]) * 256
    for i in range(n):
        u = np.uint64(ctxs[i] + add)
        s = np.int64(model[u])
        x = STRETCH[s >> 12]
        ss[i] = s
        xs[i] = x
        da += np.int64(weights[np.uint64(wa + i)]) * x
        db += np.int64(weights[np.uint64(wb + i)]) * x
    ya = _logit(da)
    yb = _logit(db)
    uf = np.uint64(wf)
    f1, f2, f3 = np.int64(weights[uf]), np.int64(weights[uf + 1]), np.int64(weights[uf + 2])
    y = _logit(f1 * ya + f2 * yb + f3 * 256)
    p = _coded_prob(y)
    if weights.size > APM_SIZE:  # the weights carry APM tables (classic.ULTRA4)
        bit = _code_refined(rc, buf, weights, weights.size - APM_SIZE, wb >> 2, ctxs[0] + add, y, p, bit)
    else:
        bit = code_p(rc, buf, p, bit)
    err = ((bit << 16) - p) * FINAL_LEARNING_RATE
    weights[uf], weights[uf + 1], weights[uf + 2] = _step(f1, ya, err), _step(f2, yb, err), _step(f3, 256, err)
    # each first-layer set descends the cost of its own prediction
    ea = ((bit << 16) - SQUASH[ya + LOGIT_MAX]) * LEARNING_RATE
    eb = ((bit << 16) - SQUASH[yb + LOGIT_MAX]) * LEARNING_RATE
    for i in range(n):
        x = xs[i]
        ua = np.uint64(wa + i)
        ub = np.uint64(wb + i)
        weights[ua] = _step(np.int64(weights[ua]), x, ea)
        weights[ub] = _step(np.int64(weights[ub]), x, eb)
        adapt(model, recip, log, np.uint64(ctxs[i] + add), ss[i], bit)
    ua = np.uint64(wa + n)
    ub = np.uint64(wb + n)
    weights[ua] = _step(np.int64(weights[ua]), 256, ea)
    weights[ub] = _step(np.int64(weights[ub]), 256, eb)
    return bit


@njit(cache=True)
def code_mixed_n_bits(rc, buf, model, recip, log, ctxs, n, weights, was, wbs, wfs, bits):
    """Code a sequence of N-context mixed decisions: decision i uses contexts ``ctxs[i, :n]`` and the
    weight offsets ``was[i]``, ``wbs[i]``, ``wfs[i]`` (used by tests against the reference)."""
    out = np.empty(bits.size, np.int64)
    xs = np.zeros(max(n, 1), np.int64)
    ss = np.zeros(max(n, 1), np.int64)
    for i in range(bits.size):
        out[i] = code_mixed_n(rc, buf, model, recip, log, ctxs[i], n, 0, weights, was[i], wbs[i], wfs[i], xs, ss,
                              bits[i])
    return out
