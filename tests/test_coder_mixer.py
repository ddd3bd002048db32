"""The numba mixer (mlzip.coder.mixer) against a slow pure-Python reference, bit for bit."""

import math

import numpy as np
import pytest

from mlzip.coder import mixer
from mlzip.coder import rangecoder as rc_mod
from test_coder_rangecoder import ReferenceCoder

KNOTS = [int(k) for k in mixer.SQUASH_KNOTS]


def ref_squash(d: int) -> int:
    """Interpolate the knots: probability (1/65536) of logit d / 256."""
    i, f = (d + 2048) // 128, (d + 2048) % 128
    return KNOTS[i] + (KNOTS[i + 1] - KNOTS[i]) * f // 128


def ref_stretch(p: int) -> int:
    """The smallest logit whose squash reaches p (16-bit probability, 12-bit resolution)."""
    for x in range(-2047, 2048):
        if ref_squash(x) >> 4 >= p >> 4:
            return x
    return 2047


class ReferenceMixer(ReferenceCoder):
    """Two (or three) adaptive contexts mixed in the logistic domain, weights learnt online."""

    def __init__(self, n_contexts: int, limit: int, n_sets: int, n_mixed: int = 2):
        super().__init__(n_contexts, limit)
        self.weights = [[1 << 16] + [0] * n_mixed for _ in range(n_sets)]

    def encode_mixed(self, c1: int, c2: int, wset: int, bit: int, c3: int | None = None):
        ctxs = [c1, c2] + ([] if c3 is None else [c3])
        x = [ref_stretch(self.prob[c]) for c in ctxs] + [256]
        w = self.weights[wset]
        dot = sum(wi * xi for wi, xi in zip(w, x)) >> 16
        p = ref_squash(min(max(dot, -2047), 2047))
        p = min(max(p, rc_mod.PROB_MIN), rc_mod.PROB_MAX)
        self.encode_p(p, bit)
        err = ((bit << 16) - p) * mixer.LEARNING_RATE
        self.weights[wset] = [wi + ((xi * err) >> mixer.LEARNING_SHIFT) for wi, xi in zip(w, x)]
        for c in ctxs:
            self.adapt(c, bit)


def _decisions(n, seed):
    rng = np.random.default_rng(seed)
    c1 = rng.integers(0, 6, n)
    c2 = rng.integers(6, 12, n)
    wsets = rng.integers(0, 3, n)
    skew = rng.random(12) ** 3
    bits = (rng.random(n) < (skew[c1] + skew[c2]) / 2).astype(np.int64)
    return c1, c2, wsets, bits


def _third_contexts(bits, seed):
    """Contexts 12..15 that see the bit 80 % of the time: the mixer must come to trust them."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(bits.size) < 0.8, 12 + 2 * bits, 13 + 2 * (1 - bits)).astype(np.int64)


def _numba_code3(c1, c2, c3, wsets, bits, data=None):
    model = rc_mod.new_contexts(16)
    rc = rc_mod.new_encoder() if data is None else rc_mod.new_decoder(data)
    buf = np.zeros(4 * bits.size + 16, np.uint8) if data is None else data
    out = mixer.code_mixed3_bits(rc, buf, model, rc_mod.rate_table(30), rc_mod.NO_LOG, c1, c2, c3,
                                 mixer.new_weights(3, mixer.N_INPUTS3), wsets, bits if data is None else np.zeros_like(bits))
    if data is not None:
        return out
    rc_mod.flush(rc, buf)
    return buf[:rc[rc_mod.POS]].tobytes()


def _numba_code(c1, c2, wsets, bits, data=None):
    model = rc_mod.new_contexts(12)
    rc = rc_mod.new_encoder() if data is None else rc_mod.new_decoder(data)
    buf = np.zeros(4 * bits.size + 16, np.uint8) if data is None else data
    out = mixer.code_mixed_bits(rc, buf, model, rc_mod.rate_table(30), rc_mod.NO_LOG, c1, c2, mixer.new_weights(3), wsets,
                                bits if data is None else np.zeros_like(bits))
    if data is not None:
        return out
    rc_mod.flush(rc, buf)
    return buf[:rc[rc_mod.POS]].tobytes()


def test_tables_are_the_logistic_function_and_its_inverse():
    for d in range(-2047, 2048, 37):
        assert abs(mixer.SQUASH[d + 2047] - 65536 / (1 + math.exp(-d / 256))) < 200  # linear between knots
        assert mixer.SQUASH[d + 2047] == ref_squash(d)
    assert np.all(np.diff(mixer.SQUASH) >= 0)
    for p in range(0, 65536, 997):
        assert mixer.STRETCH[p >> 4] == ref_stretch(p)


def test_mixer_matches_reference_bit_for_bit():
    c1, c2, wsets, bits = _decisions(3000, seed=3)
    ref = ReferenceMixer(12, 30, 3)
    for a, b, w, bit in zip(c1.tolist(), c2.tolist(), wsets.tolist(), bits.tolist()):
        ref.encode_mixed(a, b, w, bit)
    assert _numba_code(c1, c2, wsets, bits) == ref.finish()


def test_mixed_decoder_inverts_encoder():
    c1, c2, wsets, bits = _decisions(20000, seed=4)
    data = np.frombuffer(_numba_code(c1, c2, wsets, bits), np.uint8).copy()
    assert np.array_equal(_numba_code(c1, c2, wsets, bits, data), bits)


def test_three_context_mixer_matches_reference_and_uses_the_third():
    c1, c2, wsets, bits = _decisions(3000, seed=5)
    c3 = _third_contexts(bits, seed=6)
    ref = ReferenceMixer(16, 30, 3, n_mixed=3)
    for a, b, c, w, bit in zip(c1.tolist(), c2.tolist(), c3.tolist(), wsets.tolist(), bits.tolist()):
        ref.encode_mixed(a, b, w, bit, c)
    coded = _numba_code3(c1, c2, c3, wsets, bits)
    assert coded == ref.finish()
    assert len(coded) < 0.9 * len(_numba_code(c1, c2, wsets, bits))  # the informative third input pays
    data = np.frombuffer(coded, np.uint8).copy()
    assert np.array_equal(_numba_code3(c1, c2, c3, wsets, bits, data), bits)


class ReferenceMixerN(ReferenceCoder):
    """N contexts, two first-layer weight sets (each learning from its own output) and a second
    layer mixing their logits: mixer.code_mixed_n, written plainly."""

    def __init__(self, n_contexts: int, limit: int, weights: list[int], apm: bool = False):
        super().__init__(n_contexts, limit)
        self.w = list(weights) + (mixer.new_apm().tolist() if apm else [])
        self.apm = apm

    def _refined(self, p, y, wb, ctx0):
        """The APM stage (classic.ULTRA4): two tables' interpolated knots, then the nearer ones move."""
        base = len(self.w) - mixer.APM_SIZE
        x = y + 2048
        frac = x & 127
        h = ((ctx0 * 0x9E3779B97F4A7C15) % (1 << 64)) >> (64 - mixer.APM_HASH_BITS)
        js = [base + (wb >> 2) * 33 + (x >> 7), base + (mixer.APM_SETS + h) * 33 + (x >> 7)]
        a1, a2 = ((self.w[j] * (128 - frac) + self.w[j + 1] * frac) >> 7 for j in js)
        return min(max((p + 2 * a1 + a2) >> 2, rc_mod.PROB_MIN), rc_mod.PROB_MAX), [j + (frac >= 64) for j in js]

    def encode_n(self, ctxs, wa, wb, wf, bit):
        x = [ref_stretch(self.prob[c]) for c in ctxs] + [256]
        n1 = len(x)
        ys = []
        for base in (wa, wb):
            dot = sum(self.w[base + i] * x[i] for i in range(n1)) >> 16
            ys.append(min(max(dot, -2047), 2047))
        xf = ys + [256]
        dot = sum(self.w[wf + i] * xf[i] for i in range(3)) >> 16
        y = min(max(dot, -2047), 2047)
        p = min(max(ref_squash(y), rc_mod.PROB_MIN), rc_mod.PROB_MAX)
        if self.apm:
            q, nearer = self._refined(p, y, wb, ctxs[0])
            self.encode_p(q, bit)
            for j in nearer:
                self.w[j] += ((bit << 16) - self.w[j]) >> mixer.APM_RATE
        else:
            self.encode_p(p, bit)
        err = ((bit << 16) - p) * mixer.FINAL_LEARNING_RATE
        for i in range(3):
            self.w[wf + i] += (xf[i] * err) >> mixer.LEARNING_SHIFT
        for base, y in ((wa, ys[0]), (wb, ys[1])):
            e = ((bit << 16) - ref_squash(y)) * mixer.LEARNING_RATE
            for i in range(n1):
                self.w[base + i] += (x[i] * e) >> mixer.LEARNING_SHIFT
        for c in ctxs:
            self.adapt(c, bit)


def _n_decisions(n_ctx, count, seed):
    """Context i of a decision lies in 8i..8i+7; the last input sees the bit 80 % of the time.
    Weight layout: 3 first-layer A sets, 6 B sets (n_ctx + 1 weights each), 3 final sets."""
    rng = np.random.default_rng(seed)
    ctxs = 8 * np.arange(n_ctx)[None, :] + rng.integers(0, 6, (count, n_ctx))
    skew = rng.random(8 * n_ctx)
    bits = (rng.random(count) < skew[ctxs[:, 0]]).astype(np.int64)
    ctxs[:, -1] = 8 * (n_ctx - 1) + np.where(rng.random(count) < 0.8, 6 + bits, 7 - bits)
    sel = rng.integers(0, 3, count)
    sub = rng.integers(0, 2, count)
    was = sel * (n_ctx + 1)
    wbs = 3 * (n_ctx + 1) + (2 * sel + sub) * (n_ctx + 1)
    wfs = 9 * (n_ctx + 1) + 3 * sel
    w = np.zeros(9 * (n_ctx + 1) + 9, np.int32)
    for s in range(9):
        w[s * (n_ctx + 1)] = 3 << 14  # 0.75 on the first context
        w[s * (n_ctx + 1) + 1:(s + 1) * (n_ctx + 1) - 1] = 1 << 12
    w[9 * (n_ctx + 1)::3] = 1 << 15
    w[9 * (n_ctx + 1) + 1::3] = 1 << 15
    return np.ascontiguousarray(ctxs, np.int64), was, wbs, wfs, bits, w


def _numba_code_n(ctxs, was, wbs, wfs, bits, w, data=None):
    n_ctx = ctxs.shape[1]
    model = rc_mod.new_contexts(8 * n_ctx)
    rc = rc_mod.new_encoder() if data is None else rc_mod.new_decoder(data)
    buf = np.zeros(4 * bits.size + 16, np.uint8) if data is None else data
    out = mixer.code_mixed_n_bits(rc, buf, model, rc_mod.rate_table(30), rc_mod.NO_LOG, ctxs, n_ctx, w.copy(),
                                  was, wbs, wfs, bits if data is None else np.zeros_like(bits))
    if data is not None:
        return out
    rc_mod.flush(rc, buf)
    return buf[:rc[rc_mod.POS]].tobytes()



@pytest.mark.parametrize("apm", [False, True], ids=["mixed", "apm"])
@pytest.mark.parametrize("n_ctx", [1, 5, 6])
def test_n_context_mixer_matches_reference_and_inverts(n_ctx, apm):
    """Without and with the APM tables after the weights (classic.ULTRA4)."""
    ctxs, was, wbs, wfs, bits, w = _n_decisions(n_ctx, 3000, seed=7 + n_ctx)
    ref = ReferenceMixerN(8 * n_ctx, 30, w.tolist(), apm)
    if apm:
        w = np.concatenate([w, mixer.new_apm()])
    for row, a, b, f, bit in zip(ctxs.tolist(), was.tolist(), wbs.tolist(), wfs.tolist(), bits.tolist()):
        ref.encode_n(row, a, b, f, bit)
    coded = _numba_code_n(ctxs, was, wbs, wfs, bits, w)
    assert coded == ref.finish()
    data = np.frombuffer(coded, np.uint8).copy()
    assert np.array_equal(_numba_code_n(ctxs, was, wbs, wfs, bits, w, data), bits)
    if n_ctx > 1:  # the informative last input pays: fewer bytes than the first context alone
        rc, buf = rc_mod.new_encoder(), np.zeros(4 * bits.size + 16, np.uint8)
        rc_mod.code_bits(rc, buf, rc_mod.new_contexts(8 * n_ctx), rc_mod.rate_table(30), rc_mod.NO_LOG,
                         np.ascontiguousarray(ctxs[:, 0]), bits)
        rc_mod.flush(rc, buf)
        assert len(coded) < 0.9 * rc[rc_mod.POS]
