"""Blob framing around the classic model: settings byte, checksum, one range-coded stream.

Blob layout (version 1)::

    byte 0      settings: high nibble = format version (1), low nibble = flags (bit 0: hints used,
                bit 1: trained prior, bits 2-3: model strength 0..2, see ``strength_for_level``)
    bytes 1..4  CRC-32 of byte 0, the stream and the coefficients (little endian): damage is
                detected, never decoded into wrong values
    bytes 5..   the range coder's output (its always-zero first byte and trailing zeros dropped)
"""

import zlib

import numpy as np

from mlzip.coder import classic, mixer, prior, rangecoder
from mlzip.errors import CorruptMember, LimitExceeded
from mlzip.limits import MAX_JPEG_PIXELS

FORMAT_VERSION = 1
FLAG_HINTS = 1
FLAG_PRIOR = 2  # contexts start from the trained prior (mlzip.coder.prior) instead of p = 1/2
STRENGTH_SHIFT = 2  # bits 2-3: classic.STRONG / STRONGEST (0: the classic model of the first files)
KNOWN_FLAGS = FLAG_HINTS | FLAG_PRIOR | (3 << STRENGTH_SHIFT)
MAX_STRENGTH = classic.STRONGEST
ADAPT_LIMIT = 127
LUMA_GUIDE = True
USE_PRIOR = True  # observations after which a context forgets at a fixed rate
# block grids past this (per component) are refused: the JPEG layer rejects such images earlier
MAX_BLOCKS = 4 * (MAX_JPEG_PIXELS // 64)


def _context_set(component: int) -> int:
    """Luma (or the first plane) has its own statistics; the other planes share one set."""
    return 0 if component == 0 else 1


def _checksum(settings: int, stream: bytes | np.ndarray, coefs: list[np.ndarray]) -> int:
    """CRC-32 of the stream and the coefficients: any flipped bit of the stream is detected even
    where it would not change the decoded values, and so is decoding with wrong side data."""
    crc = zlib.crc32(stream, zlib.crc32(bytes([settings])))
    for c in coefs:
        crc = zlib.crc32(np.ascontiguousarray(c, dtype="<i2").data, crc)
    return crc


def _prepare_tables(qtables: list[np.ndarray], n: int) -> list[np.ndarray]:
    if len(qtables) != n:
        raise ValueError(f"{len(qtables)} quantization tables for {n} components")
    out = []
    for qt in qtables:
        qt = np.asarray(qt).reshape(-1)
        if qt.size != 64:
            raise ValueError("a quantization table has 64 entries")
        out.append(np.maximum(qt.astype(np.int64), 1))  # a zero step would divide by zero
    return out


def _prepare_hints(hints, shapes) -> list[np.ndarray | None]:
    """One uint8 [by, bx, 64] array per component, or None where that component uses the classic
    magnitude buckets (e.g. luma, when a learned model only hints chroma)."""
    if hints is None:
        return [None] * len(shapes)
    if len(hints) != len(shapes):
        raise ValueError("one hint array (or None) per component")
    out = []
    for h, (by, bx) in zip(hints, shapes):
        if h is None:
            out.append(None)
            continue
        h = np.ascontiguousarray(h, dtype=np.uint8)
        if h.shape != (by, bx, 64):
            raise ValueError(f"hint array of shape {h.shape}, expected {(by, bx, 64)}")
        out.append(h)
    return out


N_CONTEXTS = 2 * classic.CONTEXTS_PER_SET
N_CONTEXTS_STRONG = N_CONTEXTS + 2 * classic.SECOND_PER_SET


def strength_for_level(level: int) -> int:
    """Container levels -> model strength (the models: mlzip.coder.classic's docstring).
    1-5: classic (fastest); 6-8: STRONG (16 dev photos: 0.85 % fewer coefficient bytes, 300 CIFAR
    validation files 3.6 % fewer; encode +24 %, decode +27 % CPU); 9: STRONGEST (1.3 % / 3.6 %
    fewer; encode +65 %, decode +70 % CPU)."""
    if not 1 <= level <= 9:
        raise ValueError(f"level {level} outside 1..9")
    return 0 if level <= 5 else (classic.STRONG if level <= 8 else classic.STRONGEST)


_NO_HINTS = np.zeros((1, 1, 64), np.uint8)


def _code_all(planes, qts, hints, rc, buf, model, strength):
    recip = rangecoder.rate_table(ADAPT_LIMIT)
    weights = mixer.new_weights(2 * classic.WEIGHT_SETS)
    guide = np.zeros((1, 1), np.int64)
    for i, plane in enumerate(planes):
        base = _context_set(i) * classic.CONTEXTS_PER_SET
        hint = _NO_HINTS if hints[i] is None else hints[i]
        buf, nz = classic.code_plane(plane, qts[i], hint, hints[i] is not None, guide, i > 0 and LUMA_GUIDE,
                                     base, rc, buf, model, recip, weights, strength, planes[0],
                                     planes[max(i - 1, 0)], i > 1)
        if i == 0:
            guide = nz
    return buf


def _strength(settings: int) -> int:
    return (settings >> STRENGTH_SHIFT) & 3


def _initial_model(settings: int) -> np.ndarray:
    strong = _strength(settings) > 0
    n = N_CONTEXTS_STRONG if strong else N_CONTEXTS
    if settings & FLAG_PRIOR:
        return prior.initial_model(n, prior.STRONG if strong else prior.CLASSIC)
    return rangecoder.new_contexts(n)


def encode_coefficients(coefs: list[np.ndarray], qtables: list[np.ndarray],
                        sampling: list[tuple[int, int]], level: int = 6,
                        hints: list[np.ndarray] | None = None,
                        model: np.ndarray | None = None, strength: int = 0) -> bytes:
    """``strength``: 0 (the classic model), classic.STRONG or STRONGEST; callers choose it from
    the level with ``strength_for_level``. ``model``: continue from (and update) this context
    state; used to train the priors."""
    if not 1 <= level <= 9:
        raise ValueError(f"level {level} outside 1..9")
    if not 0 <= strength <= MAX_STRENGTH:
        raise ValueError(f"strength {strength} outside 0..{MAX_STRENGTH}")
    planes = []
    for c in coefs:
        c = np.asarray(c)
        if c.ndim != 3 or c.shape[2] != 64:
            raise ValueError(f"coefficients of shape {c.shape}, expected [blocks_y, blocks_x, 64]")
        if c.dtype != np.int16:
            raise ValueError(f"coefficients of dtype {c.dtype}, expected int16")
        planes.append(np.ascontiguousarray(c))
    qts = _prepare_tables(qtables, len(planes))
    hint_arrays = _prepare_hints(hints, [p.shape[:2] for p in planes])
    settings = (FORMAT_VERSION << 4) | (FLAG_HINTS if any(h is not None for h in hint_arrays) else 0)
    settings |= strength << STRENGTH_SHIFT
    if model is None and USE_PRIOR:
        settings |= FLAG_PRIOR
    rc = rangecoder.new_encoder()
    buf = np.empty(classic.ENC_MARGIN * 2, np.uint8)
    buf = _code_all(planes, qts, hint_arrays, rc, buf,
                    _initial_model(settings) if model is None else model, strength)
    rangecoder.flush(rc, buf)
    stream = buf[1:int(rc[rangecoder.POS])].tobytes().rstrip(b"\0")
    return bytes([settings]) + _checksum(settings, stream, planes).to_bytes(4, "little") + stream


def decode_coefficients(blob: bytes, shapes: list[tuple[int, int]], qtables: list[np.ndarray],
                        sampling: list[tuple[int, int]],
                        hints: list[np.ndarray] | None = None) -> list[np.ndarray]:
    if len(blob) < 5:
        raise CorruptMember("coefficient stream truncated")
    settings = blob[0]
    if (settings >> 4 != FORMAT_VERSION or settings & ~KNOWN_FLAGS & 0xF
            or _strength(settings) > MAX_STRENGTH):
        raise CorruptMember(f"unknown coefficient coder settings 0x{settings:02x}")
    if bool(settings & FLAG_HINTS) != (hints is not None and any(h is not None for h in hints)):
        raise CorruptMember("the coefficient stream and the caller disagree about hints")
    shapes = [(int(by), int(bx)) for by, bx in shapes]
    for by, bx in shapes:
        if by < 0 or bx < 0 or by * bx > MAX_BLOCKS:
            raise LimitExceeded(f"block grid {by}x{bx} too large")
    qts = _prepare_tables(qtables, len(shapes))
    hint_arrays = _prepare_hints(hints, shapes)
    # One zeroed buffer laid out as the JPEG layer's from_parts wants it: used there in place, not copied.
    from mlzip.jpeg import coefficient_planes

    planes = coefficient_planes(shapes)
    stream = np.frombuffer(b"\0" + blob[5:], np.uint8).copy()  # writable: one compiled signature
    rc = rangecoder.new_decoder(stream)
    _code_all(planes, qts, hint_arrays, rc, stream, _initial_model(settings), _strength(settings))
    # the decoder reads at least every byte (trailing zeros were dropped); a checksum miss is damage
    if (int(rc[rangecoder.POS]) < stream.size
            or _checksum(settings, blob[5:], planes) != int.from_bytes(blob[1:5], "little")):
        raise CorruptMember("coefficient stream damaged")
    return planes
