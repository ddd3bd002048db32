"""The numba range coder against a slow pure-Python reference, bit for bit."""

import numpy as np

from mlzip.coder import rangecoder as rc_mod


class ReferenceCoder:
    """Straightforward Python transcription of the coder's arithmetic (LZMA-style carry)."""

    def __init__(self, n_contexts: int, limit: int):
        self.low, self.range, self.cache, self.cache_size = 0, 0xFFFFFFFF, 0, 1
        self.out = bytearray()
        self.prob = [1 << 15] * n_contexts
        self.count = [0] * n_contexts
        self.limit = limit

    def _shift_low(self):
        if self.low < 0xFF000000 or self.low >= 1 << 32:
            carry = self.low >> 32
            temp = self.cache
            while True:
                self.out.append((temp + carry) & 0xFF)
                temp = 0xFF
                self.cache_size -= 1
                if self.cache_size == 0:
                    break
            self.cache = (self.low >> 24) & 0xFF
        self.cache_size += 1
        self.low = (self.low & 0xFFFFFF) << 8

    def encode_p(self, p: int, bit: int):
        """Code one decision with probability p of a 1."""
        bound = (self.range * p) >> 16
        if bit:
            self.range = bound
        else:
            self.low += bound
            self.range -= bound
        while self.range < 1 << 24:
            self.range <<= 8
            self._shift_low()

    def adapt(self, ctx: int, bit: int):
        p = self.prob[ctx]
        step = (1 << 16) // (min(self.count[ctx], self.limit) + 2)
        p += ((65536 * bit - p) * step) >> 16  # Python's >> floors, like the coder's
        self.prob[ctx] = min(max(p, rc_mod.PROB_MIN), rc_mod.PROB_MAX)
        self.count[ctx] = min(self.count[ctx] + 1, rc_mod.MAX_COUNT)

    def encode(self, ctx: int, bit: int):
        self.encode_p(self.prob[ctx], bit)
        self.adapt(ctx, bit)

    def finish(self) -> bytes:
        for k in range(32, -1, -1):  # the final value with the most trailing zero bits
            v = (self.low + (1 << k) - 1) & ~((1 << k) - 1)
            if v < self.low + self.range:
                self.low = v
                break
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


def _random_decisions(n: int, n_ctx: int, seed: int):
    rng = np.random.default_rng(seed)
    ctxs = rng.integers(0, n_ctx, n)
    skew = rng.random(n_ctx)  # each context has its own bias, some near 0 or 1
    bits = (rng.random(n) < skew[ctxs] ** 3).astype(np.int64)
    return ctxs, bits


def _numba_encode(ctxs, bits, n_ctx, limit):
    model = rc_mod.new_contexts(n_ctx)
    rc = rc_mod.new_encoder()
    buf = np.zeros(4 * len(bits) + 16, np.uint8)
    rc_mod.code_bits(rc, buf, model, rc_mod.rate_table(limit), rc_mod.NO_LOG, ctxs, bits)
    rc_mod.flush(rc, buf)
    return buf[:rc[rc_mod.POS]].tobytes()


def test_matches_reference_bit_for_bit():
    n_ctx, limit = 7, 30
    ctxs, bits = _random_decisions(3000, n_ctx, seed=1)
    ref = ReferenceCoder(n_ctx, limit)
    for c, b in zip(ctxs.tolist(), bits.tolist()):
        ref.encode(c, b)
    assert _numba_encode(ctxs, bits, n_ctx, limit) == ref.finish()


def test_decoder_inverts_encoder():
    n_ctx, limit = 50, 60
    ctxs, bits = _random_decisions(20000, n_ctx, seed=2)
    data = np.frombuffer(_numba_encode(ctxs, bits, n_ctx, limit), np.uint8).copy()
    model = rc_mod.new_contexts(n_ctx)
    rc = rc_mod.new_decoder(data)
    out = rc_mod.code_bits(rc, data, model, rc_mod.rate_table(limit), rc_mod.NO_LOG, ctxs,
                           np.zeros_like(bits))
    assert np.array_equal(out, bits)
    assert rc[rc_mod.POS] == data.size  # the decoder reads exactly what the encoder wrote


def test_skewed_bits_cost_little():
    ctxs = np.zeros(10000, np.int64)
    bits = np.zeros(10000, np.int64)
    bits[::100] = 1  # p(1) = 1 %: entropy ~ 0.08 bit per decision
    assert len(_numba_encode(ctxs, bits, 1, 60)) < 10000 * 0.12 / 8


def test_change_log_restores_exactly_and_reports_overflow():
    n_ctx = 200
    ctxs, bits = _random_decisions(3000, n_ctx, seed=5)
    pristine = np.random.default_rng(6).integers(1 << 12, 1 << 23, n_ctx).astype(np.int32) << 1
    for capacity, fits in [(5000, True), (100, False)]:
        model, log = pristine.copy(), rc_mod.new_log(capacity)
        buf = np.zeros(4 * len(bits) + 16, np.uint8)
        rc_mod.code_bits(rc_mod.new_encoder(), buf, model, rc_mod.rate_table(30), log, ctxs, bits)
        assert not np.array_equal(model, pristine) and log[0] == len(bits)  # every change counted
        assert rc_mod.restore(model, pristine, log) == fits
        if fits:
            assert np.array_equal(model, pristine) and log[0] == 0  # ready for the next run
    # logging never changes the code
    logged = np.zeros(4 * len(bits) + 16, np.uint8)
    rc_mod.code_bits(rc_mod.new_encoder(), logged, pristine.copy(), rc_mod.rate_table(30), rc_mod.new_log(10),
                     ctxs, bits)
    plain = np.zeros_like(logged)
    rc_mod.code_bits(rc_mod.new_encoder(), plain, pristine.copy(), rc_mod.rate_table(30), rc_mod.NO_LOG, ctxs, bits)
    assert np.array_equal(logged, plain)
