"""Adaptive binary range coder (LZMA-style carry handling, 16-bit probabilities).

One function, :func:`code_bit`, serves both directions so that every model is written once:
when encoding it writes ``bit`` and returns it; when decoding it ignores ``bit`` and returns the
decoded one. All state is integer: ``rc`` holds the coder registers, ``model`` one int32 word per
adaptive context: ``probability of a 1 (in 1/65536) << 8 | observations so far`` (one load, one
store and one cache line per decision).

Adaptation: ``p += (target - p) / (n + 2)`` while ``n < limit`` (exactly the Krichevsky-Trofimov
estimate for the first observations), then a fixed rate ``1 / (limit + 2)`` (exponential forgetting).

Change log: ``log`` is ``NO_LOG`` or a 1-D int32 array: ``log[0]`` = contexts changed so far and
the indexes of the first ``log.size - 1`` of them after it (the two types compile two coders, so
the large images' coder pays nothing for it). A small image touches a few
thousand of the half million contexts: logging them lets the caller reuse one context array and
restore just those (``restore``) instead of copying the whole 1.9-3.3 MB prior for every coder run.
"""

import numpy as np
from numba import njit

# rc register indexes
LOW, RANGE, CACHE, CACHE_SIZE, POS, CODE, DECODING = 0, 1, 2, 3, 4, 5, 6
# Measurement only (never changes the code): where the bits go. ACCOUNT != 0 turns it on; the
# model calls ``account`` when it moves to another part of a block; ACC + part sums that part's
# bits in 1/65536 bit.
ACCOUNT, PART, MARK, ACC = 7, 8, 9, 10
N_PARTS = 4
# Set by a decoder that has met damage the checksum would only report at the end: a value no
# encoder can have coded (outside int16), or reading far past the end of its stream (see
# OVERRUN_BYTES). code_plane then stops at the next block instead of decoding garbage to the end
# (a flipped bit made a level-9 decode drift into dense blocks of huge values and take 30x its time).
DAMAGED = ACC + N_PARTS
N_REGS = DAMAGED + 1
# A decoder reads zeros past the end of its stream, where the encoder's trailing zero bytes were
# dropped: 3-5 bytes past it at the end of every stream measured (2,400 of them). Reading more than
# this plus a quarter of the stream past it is damage (it would take 256 zero bytes in a row).
OVERRUN_BYTES = 256

PROB_BITS = 16
PROB_ONE = 1 << PROB_BITS
PROB_MIN = 48  # caps one decision at ~10.4 bits, so output size per block is bounded
PROB_MAX = PROB_ONE - PROB_MIN
TOP = 1 << 24
MAX_COUNT = 255


def rate_table(limit: int) -> np.ndarray:
    """recip[n] = 65536 / (min(n, limit) + 2): the adaptation step after n observations."""
    n = np.minimum(np.arange(MAX_COUNT + 1), limit)
    return (PROB_ONE // (n + 2)).astype(np.int64)


def new_contexts(n: int) -> np.ndarray:
    return np.full(n, (PROB_ONE // 2) << 8, np.int32)


def new_encoder() -> np.ndarray:
    rc = np.zeros(N_REGS, np.int64)
    rc[RANGE] = 0xFFFFFFFF
    rc[CACHE_SIZE] = 1
    return rc


def start_accounting(rc: np.ndarray) -> None:
    """Count bits per part of the model from here on (see ``account``)."""
    rc[ACCOUNT] = 1
    rc[MARK] = _code_length(rc)


def new_decoder(buf: np.ndarray) -> np.ndarray:
    rc = np.zeros(N_REGS, np.int64)
    rc[RANGE] = 0xFFFFFFFF
    rc[DECODING] = 1
    _init_decoder(rc, buf)
    return rc


@njit(cache=True)
def _next_byte(rc, buf):
    pos = rc[POS]
    rc[POS] = pos + 1
    if pos < buf.size:  # reading past the end yields zeros; the caller checks the length
        return np.int64(buf[pos])
    return 0


@njit(cache=True, nogil=True)
def _init_decoder(rc, buf):
    code = 0
    for _ in range(5):
        code = ((code << 8) | _next_byte(rc, buf)) & 0xFFFFFFFF
    rc[CODE] = code


@njit(cache=True)
def _shift_low(rc, buf):
    low = rc[LOW]
    if low < 0xFF000000 or low >= 0x100000000:
        carry = low >> 32
        temp = rc[CACHE]
        pos = rc[POS]
        while True:
            buf[pos] = np.uint8((temp + carry) & 0xFF)
            pos += 1
            temp = 0xFF
            rc[CACHE_SIZE] -= 1
            if rc[CACHE_SIZE] == 0:
                break
        rc[POS] = pos
        rc[CACHE] = (low >> 24) & 0xFF
    rc[CACHE_SIZE] += 1
    rc[LOW] = (low & 0x00FFFFFF) << 8


@njit(cache=True, inline="always")  # a call per decision would cost 3x the decision
def code_p(rc, buf, p, bit):
    """Code one binary decision with probability ``p`` of a 1 (in 1/65536, within
    [PROB_MIN, PROB_MAX]); returns the bit (decoded when decoding)."""
    rng = rc[RANGE]
    bound = (rng * p) >> PROB_BITS  # probability of a 1 -> low part
    # branch-free selects: the bits are data, a mispredicted branch per decision costs more
    # than the arithmetic
    if rc[DECODING]:
        code = rc[CODE]
        bit = 1 if code < bound else 0
        keep_low = bit - 1  # all ones when the bit is 0 (the upper part of the range)
        rc[CODE] = code - (bound & keep_low)
        rng = bound + ((rng - 2 * bound) & keep_low)
        while rng < TOP:
            rng <<= 8
            rc[CODE] = ((rc[CODE] << 8) | _next_byte(rc, buf)) & 0xFFFFFFFF
    else:
        bit = 1 if bit else 0
        keep_low = bit - 1
        rc[LOW] += bound & keep_low
        rng = bound + ((rng - 2 * bound) & keep_low)
        while rng < TOP:
            rng <<= 8
            _shift_low(rc, buf)
    rc[RANGE] = rng
    return bit


NO_LOG = np.zeros((0, 0), np.int32)  # no change log; its type (2-D) selects a coder compiled without one


@njit(cache=True)  # a call, not inlined at each of the coder's decisions: less to compile
def _log_change(log, uctx):
    k = log[0]
    if k + 1 < log.size:
        log[k + 1] = uctx
    log[0] = k + 1  # past log.size - 1: overflowed, restore everything


@njit(cache=True, inline="always")
def adapt(model, recip, log, uctx, state, bit):
    """Move context ``uctx`` (whose word was ``state``) towards the coded bit; log the change."""
    p = state >> 8
    n = state & 0xFF
    p += (((bit << PROB_BITS) - p) * recip[np.uint64(n)]) >> PROB_BITS  # towards 0 or 1, floor division
    if log.ndim == 1:  # known when compiling: NO_LOG (2-D) compiles a coder without this call
        _log_change(log.reshape(log.size), uctx)
    model[uctx] = (min(max(p, PROB_MIN), PROB_MAX) << 8) | min(n + 1, MAX_COUNT)


def new_log(capacity: int) -> np.ndarray:
    return np.zeros(capacity + 1, np.int32)


@njit(cache=True, nogil=True)
def restore(model, pristine, log):
    """Undo the logged changes: ``model`` equals ``pristine`` again. Returns False when the log
    overflowed (the caller copies everything)."""
    k = log[0]
    if k + 1 > log.size:
        return False
    for i in range(1, k + 1):
        u = log[i]
        model[u] = pristine[u]
    log[0] = 0
    return True


@njit(cache=True, inline="always")
def code_bit(rc, buf, model, recip, log, ctx, bit):
    """Code one binary decision in context ``ctx``; returns the bit (decoded when decoding)."""
    uctx = np.uint64(ctx)  # an unsigned index spares the negative-index fix-up
    state = np.int64(model[uctx])
    bit = code_p(rc, buf, state >> 8, bit)
    adapt(model, recip, log, uctx, state, bit)
    return bit


@njit(cache=True, inline="always")
def _code_length(rc):
    """The code length so far in 1/65536 bit, up to a constant: 8 x bytes out (or in) minus log2
    of the range."""
    return np.int64((8.0 * (rc[POS] + rc[CACHE_SIZE]) - np.log2(np.float64(rc[RANGE]))) * 65536.0)


@njit(cache=True, inline="always")
def account(rc, part):
    """Charge the bits coded since the last call to the part then current, and switch to ``part``."""
    if rc[ACCOUNT]:
        now = _code_length(rc)
        rc[ACC + rc[PART]] += now - rc[MARK]
        rc[MARK] = now
        rc[PART] = part


@njit(cache=True, inline="always")
def code_raw(rc, buf, nbits, value):
    """Code ``nbits`` (1..8) equiprobable bits at once, without a context; returns the value."""
    rng = rc[RANGE] >> nbits
    if rc[DECODING]:
        value = min(rc[CODE] // rng, (1 << nbits) - 1)  # the min only matters on damaged input
        rc[CODE] -= value * rng
        while rng < TOP:
            rng <<= 8
            rc[CODE] = ((rc[CODE] << 8) | _next_byte(rc, buf)) & 0xFFFFFFFF
    else:
        rc[LOW] += value * rng
        while rng < TOP:
            rng <<= 8
            _shift_low(rc, buf)
    rc[RANGE] = rng
    return value


@njit(cache=True, nogil=True)
def flush(rc, buf):
    """Write the final bytes: the value in [low, low + range) with the most trailing zero bits,
    so that the caller can drop trailing zero bytes (the decoder reads zeros past the end)."""
    low = rc[LOW]
    for k in range(32, -1, -1):
        mask = (np.int64(1) << k) - 1
        v = (low + mask) & ~mask
        if v < low + rc[RANGE]:
            rc[LOW] = v
            break
    for _ in range(5):
        _shift_low(rc, buf)


@njit(cache=True)
def code_bits(rc, buf, model, recip, log, ctxs, bits):
    """Code a sequence of decisions (used by tests and the reference comparison)."""
    out = np.empty(bits.size, np.int64)
    for i in range(bits.size):
        out[i] = code_bit(rc, buf, model, recip, log, ctxs[i], bits[i])
    return out
