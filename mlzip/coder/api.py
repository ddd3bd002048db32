"""Blob framing around the classic model: settings byte, checksum, range-coded band streams.

Blob layout (version 2, written now)::

    byte 0      settings: high nibble = format version, low nibble = flags (bit 0: hints
                used, bit 1: contexts start from the trained prior, bit 2: banded). Versions 2 to
                11 share this layout and differ in the model: 2 = classic, 3 = STRONG,
                4 = STRONGEST, 5 = HINTS_MIXED, 6 = ULTRA, 7 = ULTRA2, 8 = ULTRA3, 9 = STRONGEST2,
                10 = HINTS_MIXED2, 11 = ULTRA4 (``strength_for_level``; the
                models: mlzip.coder.classic)
    bytes 1..4  CRC-32 of byte 0, every byte after the CRC and the coefficients (see
                ``_checksum``; little endian): damage is detected, never decoded into wrong values
    banded only: the band fields (``mlzip.coder.bands.pack``: varint number of extra bands, then
                varint MCU rows from each band's start to the next one's), then a varint byte
                count of each band's stream but the last
    then        the bands' range coder outputs back to back (each without its always-zero first
                byte and its trailing zeros)

An image of fewer than ``bands.MIN_BANDED_BLOCKS`` blocks (or any image at ONE_BAND_LEVEL) is one band and has no band fields; its
stream is exactly version 1's. Version 1 (read forever) is that single-band layout with version
nibble 1 and no bit 2.

Coding order: components in turn ("phases"); within a phase every band codes its rows of that
component, in parallel threads (``threads=``, else $MLZIP_THREADS, else the usable CPUs; never more
than the bands). A band's coder registers, contexts and output persist from one phase to the next;
the luma guide of a band's chroma comes from that band's luma only. Without ``hint_fn`` nothing
happens between phases, so each thread codes all components of a band in one go (same bytes, no
waiting for the slowest band at each component).

Hints (see ``mlzip.coder``): ``hints=`` is a list with one uint8 ``[blocks_y, blocks_x, 64]`` array
or None per component; or ``hint_fn(c, planes)``, called before component ``c`` is coded (encode
and decode alike) with the planes of components ``0..c-1`` (complete, not to be modified: the
original coefficients when encoding, the decoded ones when decoding), returns component ``c``'s
hint array or None. With ``hint_fn`` the bands wait for each other at every component. Give at
most one of the two; the blob records whether either was given, and decoding must be given the
same (a ``hint_fn`` must be deterministic: it sees identical planes on both sides).
"""

from __future__ import annotations

import contextlib
import functools
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from mlzip import varint
from mlzip.coder import bands, classic, mixer, prior, rangecoder
from mlzip.errors import CorruptMember, LimitExceeded
from mlzip.jpeg import coefficient_planes
from mlzip.limits import MAX_JPEG_PIXELS

FORMAT_VERSION = 2  # the classic model; + strength for the stronger ones (3 to 11)
FLAG_HINTS = 1
FLAG_PRIOR = 2  # contexts start from the trained prior (mlzip.coder.prior) instead of p = 1/2
FLAG_BANDS = 4  # version 2: more than one band, band fields follow the CRC
_V2_FLAGS = FLAG_HINTS | FLAG_PRIOR | FLAG_BANDS
KNOWN_FLAGS = {1: FLAG_HINTS | FLAG_PRIOR, 2: _V2_FLAGS, 3: _V2_FLAGS, 4: _V2_FLAGS, 5: _V2_FLAGS, 6: _V2_FLAGS, 7: _V2_FLAGS, 8: _V2_FLAGS,
               9: _V2_FLAGS, 10: _V2_FLAGS, 11: _V2_FLAGS}
MAX_STRENGTH = classic.ULTRA4
ADAPT_LIMIT = 127  # observations after which a context forgets at a fixed rate
# The best level codes every image in one band: no context restarts (0.17 % smaller on the dev
# corpus's banded photos), no parallel threads (about half the wall-clock speed on those)
ONE_BAND_LEVEL = 9
ULTRA_LEVEL = 7  # the first level coded with the ULTRA family (ULTRA4 now; without a learned model)
LUMA_GUIDE = True
USE_PRIOR = True
# block grids past this (per component) are refused: the JPEG layer rejects such images earlier
MAX_BLOCKS = 4 * (MAX_JPEG_PIXELS // 64)
N_CONTEXTS = 2 * classic.CONTEXTS_PER_SET
N_CONTEXTS_STRONG = N_CONTEXTS + 2 * classic.SECOND_PER_SET
N_CONTEXTS_MIXED = N_CONTEXTS_STRONG + 2 * classic.THIRD_PER_SET
N_CONTEXTS_ULTRA = N_CONTEXTS_STRONG + 2 * classic.ULTRA_PER_SET
N_CONTEXTS_ULTRA2 = N_CONTEXTS_ULTRA + 2 * classic.ULTRA2_PER_SET
N_CONTEXTS_ULTRA3 = N_CONTEXTS_ULTRA2 + 2 * classic.ULTRA3_PER_SET
N_CONTEXTS_STRONGEST2 = N_CONTEXTS_STRONG + 2 * classic.STRONGEST2_PER_SET
N_CONTEXTS_MIXED2 = N_CONTEXTS_MIXED + 2 * classic.STRONGEST2_PER_SET
# Images of at most this many blocks (in one band) start from this thread's reused context array,
# restored through the coder's change log afterwards (rangecoder.restore) instead of a fresh copy
# of the prior: a 32x32 CIFAR JPEG changes ~3000 of 480,000 contexts, and two 1.9 MB copies
# (compress and its verifying decode) were ~15 % of its compress time.
SMALL_BLOCKS = 1024
LOG_CAPACITY = 1 << 16  # changes logged per run; beyond, the restore copies the whole array
_NO_HINTS = np.zeros((1, 1, 64), np.uint8)
_NO_GUIDE = np.zeros((1, 1), np.int64)


def _context_set(component: int) -> int:
    """Luma (or the first plane) has its own statistics; the other planes share one set."""
    return 0 if component == 0 else 1


def _coefficient_crc(coefs: np.ndarray, crc: int = 0) -> int:
    """CRC-32 (continuing ``crc``) of the coefficients as little-endian int16, in C order."""
    if coefs.dtype != _INT16_LE or not coefs.flags.c_contiguous:  # (never so for the coder's planes)
        coefs = np.ascontiguousarray(coefs, dtype=_INT16_LE)
    return zlib.crc32(coefs, crc)  # the buffer itself: no copy, no memoryview (1 KB files: 2.8 % -> 1.8 % of a compress)


_INT16_LE = np.dtype("<i2")


def _checksum(settings: int, body: bytes | memoryview, coefs: list[np.ndarray], states=None) -> int:
    """CRC-32 of the bytes and the coefficients: any flipped bit of the stream is detected even
    where it would not change the decoded values, and so is decoding with wrong side data.

    Version 1: the coefficients' bytes follow the blob's. Version 2: the CRC-32s of each band's
    rows of each component (band-major, 4 bytes little endian each) follow instead: the bands'
    threads compute them while the rows are in cache (a serial CRC of all coefficients took 4 %
    of the compress + decompress time)."""
    crc = zlib.crc32(body, zlib.crc32(bytes([settings])))
    if settings >> 4 == 1:
        for c in coefs:
            crc = _coefficient_crc(c, crc)
        return crc
    per_band = [st.crcs[c] for st in states for c in range(len(coefs))]
    return zlib.crc32(struct.pack(f"<{len(per_band)}I", *per_band), crc)


def _prepare_tables(qtables: list[np.ndarray], n: int) -> list[np.ndarray]:
    if len(qtables) != n:
        raise ValueError(f"{len(qtables)} quantization tables for {n} components")
    return [_prepared_table(qt if isinstance(qt, np.ndarray) and qt.ndim == 1 else np.asarray(qt).reshape(-1))
            for qt in qtables]


def _prepared_table(qt: np.ndarray) -> np.ndarray:
    """A quantization table as the coder reads it (never writes it). Kept per table bytes: files
    come in sets sharing a few tables, and converting them was 2 % of a 1 KB file's compress."""
    if qt.size != 64:
        raise ValueError("a quantization table has 64 entries")
    key = (qt.dtype.str, qt.tobytes())
    table = _TABLES.get(key)
    if table is None:
        if len(_TABLES) >= 256:
            _TABLES.clear()
        table = _TABLES[key] = np.maximum(qt.astype(np.int64), 1)  # a zero step would divide by zero
    return table


_TABLES: dict[tuple[str, bytes], np.ndarray] = {}


def _prepare_hint(h, shape: tuple[int, int]) -> np.ndarray | None:
    if h is None:
        return None
    h = np.ascontiguousarray(h, dtype=np.uint8)
    if h.shape != (*shape, 64):
        raise ValueError(f"hint array of shape {h.shape}, expected {(*shape, 64)}")
    return h


def _prepare_sampling(sampling, n: int) -> list[tuple[int, int]]:
    if len(sampling) != n:
        raise ValueError(f"{len(sampling)} sampling factors for {n} components")
    return [(int(h), int(v)) for h, v in sampling]


def strength_for_level(level: int, learned: bool = False) -> int:
    """Container levels -> model strength (the models: mlzip.coder.classic's docstring).
    ``learned``: a learned model hints the coder; from level 6 its hints are mixed (HINTS_MIXED2:
    HINTS_MIXED on STRONGEST2 since format 10).
    1-3: classic (fastest); 4-5: STRONG (16 dev photos: 0.85 % fewer coefficient bytes, 300 CIFAR
    validation files 3.6 % fewer; encode +24 %, decode +27 % CPU); 6 (the default):
    STRONGEST2 (STRONGEST, 1.3 % / 3.6 % fewer, encode +65 %, decode +70 % CPU, until format 9;
    STRONGEST2 against STRONGEST: 50 photos-train photos 0.55 % fewer, 500 CIFAR validation files
    0.30 % fewer, encode and decode about +5-8 % CPU); 7-9 without a learned model:
    ULTRA4 (ULTRA3 with two APMs after its two-layer mixer, format 11: 12 deb dev photos at level 9
    0.23 % fewer than ULTRA3), ULTRA3 (ULTRA2 with pixel-continuity predictions of the 7x7 coefficients, format 8; ULTRA2 is
    ULTRA, format 6, with more mixing: 12 deb dev photos at level 9 1.26 % + 0.43 % + 0.56 %
    fewer than level 6; ULTRA alone 0.94 % fewer than STRONGEST in one band, encode 2.5x and decode
    2.2x level 6's time; classic.py's docstring has the details),
    in bands on parallel threads at 7-8, in one band at 9. The default is the strongest model whose
    speed stays above a third of Lepton's in the same run (README "Results")."""
    if not 1 <= level <= 9:
        raise ValueError(f"level {level} outside 1..9")
    if level <= 3:
        return 0
    if level <= 5:
        return classic.STRONG
    if learned:
        return classic.HINTS_MIXED2
    return classic.ULTRA4 if level >= ULTRA_LEVEL else classic.STRONGEST2


def _strength(settings: int) -> int:
    """Versions 1 and 2 are the classic model, 3 to 10 the stronger ones."""
    return max((settings >> 4) - FORMAT_VERSION, 0)


@dataclass
class _Band:
    """One band's coder state, kept across the component phases."""
    rc: np.ndarray
    buf: np.ndarray
    model: np.ndarray
    log: np.ndarray  # the model's change log (rangecoder.NO_LOG: a fresh copy, nothing to restore)
    weights: np.ndarray  # the mixer's weight sets (strong models), learnt along like the contexts
    scratch: np.ndarray  # code_plane's working arrays (_new_scratch)
    guide: np.ndarray = field(default_factory=lambda: _NO_GUIDE)  # the band's luma 7x7 non-zero counts
    crcs: dict[int, int] = field(default_factory=dict)  # component -> CRC-32 of the band's rows


class _Job:
    """Codes (encodes or decodes, as the bands' coders say) all planes, phase by phase."""

    def __init__(self, planes, qts, sampling, starts, states, hints, hint_fn, threads, strength):
        self.planes, self.qts, self.states = planes, qts, states
        self.plane_strength = _PLANE_STRENGTH.get(strength, strength)  # what code_plane codes it as
        self.limits = bands.bounds([p.shape[:2] for p in planes], sampling, starts)
        # [band][component] -> that band's rows of the plane (coded, read as luma/prev, checksummed)
        self.rows = [[p[y0:y1] for p, (y0, y1) in zip(planes, lim)] for lim in self.limits]
        self.recip = _rate_table(ADAPT_LIMIT)
        self.hints, self.hint_fn = hints, hint_fn
        self.threads = bands.thread_count(threads, len(states))

    def run(self) -> None:
        if self.threads == 1:
            self._phases(None)
            return
        with ThreadPoolExecutor(self.threads, thread_name_prefix="mlzip-coder") as pool:
            self._phases(pool)

    def _phases(self, pool) -> None:
        n = len(self.planes)
        if self.hint_fn is None:  # no hints computed between phases: one task per band, no waits
            hints = [_prepare_hint(self.hints[c] if self.hints else None, self.planes[c].shape[:2])
                     for c in range(n)]
            bands.run(pool, lambda k: [self._code(k, c, hints[c]) for c in range(n)], len(self.states))
            return
        for c in range(n):
            hint = _prepare_hint(self.hint_fn(c, self.planes[:c]), self.planes[c].shape[:2])
            bands.run(pool, lambda k: self._code(k, c, hint), len(self.states))

    def _code(self, k: int, c: int, hint: np.ndarray | None) -> None:
        st = self.states[k]
        y0, y1 = self.limits[k][c]
        use_guide = c > 0 and LUMA_GUIDE and st.guide.size > 0
        rows = self.rows[k]  # the strong models also read the band's rows of luma and of the previous plane
        st.buf, nz = classic.code_plane(
            rows[c], self.qts[c], _NO_HINTS if hint is None else hint[y0:y1],
            hint is not None, st.guide if use_guide else _NO_GUIDE, use_guide,
            _context_set(c) * classic.CONTEXTS_PER_SET, st.rc, st.buf, st.model, self.recip, st.log,
            st.weights, self.plane_strength, rows[0], rows[max(c - 1, 0)], c > 1, st.scratch)
        if c == 0:
            st.guide = nz
        st.crcs[c] = _coefficient_crc(rows[c])


@functools.lru_cache(maxsize=4)
def _rate_table(limit: int) -> np.ndarray:
    return rangecoder.rate_table(limit)  # built once: the coder only reads it


def _model_kind(settings: int) -> tuple[int, bool]:
    """What decides the starting contexts: the context layout (0 classic, 1 strong, 2 strong with
    the hints' contexts, 3 strong with ULTRA's extra ones, 4 with ULTRA2's too, 5 with ULTRA3's too,
    6 strong with STRONGEST2's sign contexts, 7 with the hints' and those) and whether they start from the prior."""
    return _LAYOUTS.get(_strength(settings), 1), bool(settings & FLAG_PRIOR)


_LAYOUTS = {0: 0, classic.HINTS_MIXED: 2, classic.ULTRA: 3, classic.ULTRA2: 4, classic.ULTRA3: 5, classic.STRONGEST2: 6,
            classic.HINTS_MIXED2: 7, classic.ULTRA4: 5}  # strength -> layout
# strength -> the strength code_plane codes it as (the difference lies in the weights array alone)
_PLANE_STRENGTH = {classic.ULTRA4: classic.ULTRA3}


@functools.cache
def _pristine(kind: tuple[int, bool]) -> np.ndarray:
    """The starting contexts of a kind (read only: the coder works on copies; the prior's own
    array where it is all of them)."""
    layout, from_prior = kind
    n = N_CONTEXTS_STRONG if layout else N_CONTEXTS
    model = prior.initial_model(n, prior.STRONG if layout else prior.CLASSIC) if from_prior else rangecoder.new_contexts(n)
    if layout >= 2:  # the hints' (ULTRA's extra) contexts start at p = 1/2 (no prior)
        total = {2: N_CONTEXTS_MIXED, 3: N_CONTEXTS_ULTRA, 4: N_CONTEXTS_ULTRA2, 5: N_CONTEXTS_ULTRA3,
                 6: N_CONTEXTS_STRONGEST2, 7: N_CONTEXTS_MIXED2}[layout]
        model = np.concatenate([model, rangecoder.new_contexts(total - n)])
    model.setflags(write=False)
    return model


def _initial_model(settings: int) -> np.ndarray:
    return _pristine(_model_kind(settings)).copy()


_reused = threading.local()  # kind -> (context array equal to its pristine one, empty change log)


def forget_starting_contexts() -> None:
    """Drop the cached pristine and this thread's reused context arrays (after a prior file changed)."""
    _pristine.cache_clear()
    _reused.__dict__.clear()


class _StartingContexts:
    """``with`` it: each band's (contexts, change log). A small one-band image gets this thread's
    reused array, put back equal to the pristine one when the run ends, however it ends. (A class,
    not a contextlib generator: that cost 2 % of a 1 KB file's verified compress.)"""

    def __init__(self, settings: int, n_bands: int, blocks: int) -> None:
        self.settings, self.n_bands, self.blocks = settings, n_bands, blocks
        self.reused: tuple | None = None  # (pool, kind, model, log) while a reused array is lent

    def __enter__(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self.n_bands != 1 or self.blocks > SMALL_BLOCKS:
            return [(_initial_model(self.settings), rangecoder.NO_LOG) for _ in range(self.n_bands)]
        kind = _model_kind(self.settings)
        pool = _reused.__dict__.setdefault("arrays", {})
        model, log = pool.pop(kind, None) or (_initial_model(self.settings), rangecoder.new_log(LOG_CAPACITY))
        self.reused = (pool, kind, model, log)
        return [(model, log)]

    def __exit__(self, *exc) -> None:
        if self.reused is None:
            return
        pool, kind, model, log = self.reused
        self.reused = None
        if not rangecoder.restore(model, _pristine(kind), log):
            np.copyto(model, _pristine(kind))
            log[0] = 0
        pool[kind] = (model, log)


def _blocks(planes: list[np.ndarray]) -> int:
    return sum(p.shape[0] * p.shape[1] for p in planes)


# ULTRA's first-layer weights start here (in WEIGHT_ONE units): the classic context, the second one,
# each extra one; its second layer starts averaging the two first-layer outputs
ULTRA_START = (0.85, 0.15, 0.05)
ULTRA_FINAL_START = (0.5, 0.5)


def _ultra_weights() -> np.ndarray:
    """ULTRA's weights of one context set (classic.UW_*)."""
    one = mixer.WEIGHT_ONE
    parts = []
    for n in (classic.N_MIX7, classic.N_MIXE):
        first = [round(ULTRA_START[min(i, 2)] * one) for i in range(n)] + [0]  # the bias starts at 0
        final = [round(w * one) for w in ULTRA_FINAL_START] + [0]
        parts += [first * classic.EXP_SLOTS, first * (classic.EXP_SLOTS * classic.N_USEL), final * classic.EXP_SLOTS]
    w = np.array([x for part in parts for x in part], np.int32)
    assert w.size == classic.UW_PER_SET
    return w


def _ultra2_weights() -> np.ndarray:
    """ULTRA2's weights of one context set (classic.VW_*), started like ULTRA's."""
    one = mixer.WEIGHT_ONE
    final = [round(w * one) for w in ULTRA_FINAL_START] + [0]
    nz = [round(ULTRA_START[min(i, 2)] * one) for i in range(classic.N_MIXNZ)] + [0]
    dc = [round(ULTRA_START[0 if i == 0 else 2] * one) for i in range(classic.N_MIXDC)] + [0]  # one classic context
    parts = [nz * 16, nz * 64, final * 16,
             dc * classic.EXP_SLOTS, dc * (classic.EXP_SLOTS * (classic.N_MAG + 1)), final * classic.EXP_SLOTS]
    w = np.array([x for part in parts for x in part], np.int32)
    assert w.size == classic.VW_PER_SET
    return w


# ULTRA3's 7x7 sign mixer starts from the classic, the second and the continuity context alike
ULTRA3_SIGN_START = (0.5, 0.5, 0.5)


def _ultra3_weights() -> np.ndarray:
    """ULTRA3's weights of one context set (classic.ZW_*): the 7x7 and edge sign sets, then the 7x7
    exponents', the 7x7 count tree's and the edge exponents', started like ULTRA's, then padding to a
    whole 4-weight set."""
    one = mixer.WEIGHT_ONE
    sign = [round(w * one) for w in ULTRA3_SIGN_START] + [0]
    first = [round(ULTRA_START[min(i, 2)] * one) for i in range(classic.N_MIX7_3)] + [0]
    final = [round(w * one) for w in ULTRA_FINAL_START] + [0]
    nz = [round(ULTRA_START[min(i, 2)] * one) for i in range(classic.N_MIXNZ7)] + [0]
    first_e = [round(ULTRA_START[min(i, 2)] * one) for i in range(classic.N_MIXE_3)] + [0]
    w = sign * (49 + classic.N_EDGE)
    w += first * classic.EXP_SLOTS + first * (classic.EXP_SLOTS * classic.N_USEL) + final * classic.EXP_SLOTS
    w += nz * 64 + nz * (64 * classic.N_CEB) + final * 64
    w += first_e * classic.EXP_SLOTS + first_e * (classic.EXP_SLOTS * classic.N_USEL) + final * classic.EXP_SLOTS
    w += [0] * (classic.ZW_PER_SET - len(w))
    return np.array(w, np.int32)


@functools.lru_cache(maxsize=1)
def _pristine_weights() -> np.ndarray:
    w = np.concatenate([mixer.new_weights(2 * classic.WEIGHT_SETS),
                        mixer.new_weights(2 * classic.WEIGHT_SETS3, mixer.N_INPUTS3)])
    assert w.size == classic.UWEIGHT_BASE
    w = np.concatenate([w, _ultra_weights(), _ultra_weights(), _ultra2_weights(), _ultra2_weights()])
    w = np.concatenate([w, np.zeros(classic.ZWEIGHT_BASE - w.size, np.int32)])
    return np.concatenate([w, _ultra3_weights(), _ultra3_weights()])


# the classic model mixes nothing; its 2-D type compiles a coder without the mixing code
NO_WEIGHTS = np.zeros((0, 0), np.int32)


@functools.lru_cache(maxsize=1)
def _pristine_weights_apm() -> np.ndarray:
    w = _pristine_weights()
    assert (w.size - 1) >> 2 < mixer.APM_SETS and w.size < mixer.APM_SIZE  # every wb >> 2 names a table of the first APM
    return np.concatenate([w, mixer.new_apm()])


def _new_weights(strength: int) -> np.ndarray:
    """The 3-weight sets of every strong model, then HINTS_MIXED's 4-weight sets, then ULTRA's
    (ULTRA4: then its APM tables)."""
    if strength == 0:
        return NO_WEIGHTS
    return (_pristine_weights_apm() if strength == classic.ULTRA4 else _pristine_weights()).copy()


def _new_scratch(strength: int) -> np.ndarray:
    """code_plane's working arrays; 2-D for the ULTRA family, which compiles a coder of its own."""
    shape = (1, classic.SCRATCH_SIZE) if strength in classic.ULTRA_FAMILY else (classic.SCRATCH_SIZE,)
    return np.zeros(shape, np.int64)


def _check_hint_args(hints, hint_fn, n: int) -> None:
    if hints is not None and hint_fn is not None:
        raise ValueError("give hints or hint_fn, not both")
    if hints is not None and len(hints) != n:
        raise ValueError("one hint array (or None) per component")


def encode_coefficients(coefs: list[np.ndarray], qtables: list[np.ndarray],
                        sampling: list[tuple[int, int]], level: int = 6,
                        hints: list[np.ndarray | None] | None = None,
                        model: np.ndarray | None = None, *, hint_fn=None,
                        threads: int | None = None, band_starts: list[int] | None = None,
                        strength: int = 0, stats: dict[str, float] | None = None) -> bytes:
    """``strength``: 0 (the classic model), classic.STRONG, STRONGEST, HINTS_MIXED (meant with
    hints; without, it codes as STRONGEST under another version) or ULTRA; callers choose it from
    the level with ``strength_for_level``. ``model``: continue from (and update) this context
    state (one band); used to train the priors. ``band_starts``: the first MCU row of each band
    instead of the size-based choice; for tests. ``stats``: a dict to receive the bits spent on each
    part of the blocks (measurement only; the bytes are the same): ``high_ac`` (the 7x7 coefficients
    and their non-zero count), ``low_ac`` (first row and column, their counts), ``dc``."""
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
    sampling = _prepare_sampling(sampling, len(planes))
    _check_hint_args(hints, hint_fn, len(planes))
    if model is not None:
        starts = [0]
    elif band_starts is None:
        starts = [0] if level >= ONE_BAND_LEVEL else bands.choose(planes, sampling)
    else:
        starts = _check_starts(band_starts, bands.mcu_rows([p.shape[:2] for p in planes], sampling))
    settings = ((FORMAT_VERSION + strength) << 4) | (FLAG_HINTS if hints is not None or hint_fn is not None else 0)
    if model is None and USE_PRIOR:
        settings |= FLAG_PRIOR
    if len(starts) > 1:
        settings |= FLAG_BANDS
    # a given state (prior training) is coded as it is: no starting contexts made for nothing
    starting = (contextlib.nullcontext([(model, rangecoder.NO_LOG)]) if model is not None
                else _StartingContexts(settings, len(starts), _blocks(planes)))
    with starting as start:
        states = [_Band(rangecoder.new_encoder(), np.empty(classic.ENC_MARGIN * 2, np.uint8), m, log, _new_weights(strength),
                        scratch=_new_scratch(strength))
                  for m, log in start]
        if stats is not None:
            for st in states:
                rangecoder.start_accounting(st.rc)
        _Job(planes, qts, sampling, starts, states, hints, hint_fn, threads, strength).run()
    if stats is not None:
        for name, part in (("high_ac", classic.PART_7X7), ("low_ac", classic.PART_EDGES), ("dc", classic.PART_DC)):
            stats[name] = sum(int(st.rc[rangecoder.ACC + part]) for st in states) / 65536
    streams = []
    for st in states:
        rangecoder.flush(st.rc, st.buf)
        streams.append(st.buf[1:int(st.rc[rangecoder.POS])].tobytes().rstrip(b"\0"))
    head = b""
    if len(starts) > 1:
        head = bands.pack(starts) + b"".join(varint.encode(len(s)) for s in streams[:-1])
    body = head + b"".join(streams)
    return bytes([settings]) + _checksum(settings, body, planes, states).to_bytes(4, "little") + body


def _check_starts(starts: list[int], n_mcu_rows: int) -> list[int]:
    starts = [int(s) for s in starts]
    if starts[:1] != [0] or any(b <= a for a, b in zip(starts, starts[1:])) or starts[-1] >= max(n_mcu_rows, 1):
        raise ValueError(f"band starts {starts} do not split {n_mcu_rows} MCU rows")
    return starts


def _split_streams(blob: bytes, settings: int, shapes, sampling) -> tuple[list[int], list[bytes]]:
    """(band starts, each band's stream) from the bytes after the CRC."""
    if not settings & FLAG_BANDS:
        return [0], [blob[5:]]
    starts, pos = bands.unpack(blob, 5, bands.mcu_rows(shapes, sampling))
    lengths = []
    for _ in starts[1:]:
        n, pos = varint.decode(blob, pos, "coefficient bands")
        lengths.append(n)
    if sum(lengths) > len(blob) - pos:
        raise CorruptMember("coefficient stream truncated")
    streams = []
    for n in lengths:
        streams.append(blob[pos:pos + n])
        pos += n
    return starts, streams + [blob[pos:]]


def decode_coefficients(blob: bytes, shapes: list[tuple[int, int]], qtables: list[np.ndarray],
                        sampling: list[tuple[int, int]],
                        hints: list[np.ndarray | None] | None = None, *, hint_fn=None,
                        threads: int | None = None) -> list[np.ndarray]:
    if len(blob) < 5:
        raise CorruptMember("coefficient stream truncated")
    settings = blob[0]
    version = settings >> 4
    if version not in KNOWN_FLAGS or settings & ~KNOWN_FLAGS[version] & 0xF:
        raise CorruptMember(f"unknown coefficient coder settings 0x{settings:02x}")
    if bool(settings & FLAG_HINTS) != (hints is not None or hint_fn is not None):
        raise CorruptMember("the coefficient stream and the caller disagree about hints")
    shapes = [(int(by), int(bx)) for by, bx in shapes]
    for by, bx in shapes:
        if by < 0 or bx < 0 or by * bx > MAX_BLOCKS:
            raise LimitExceeded(f"block grid {by}x{bx} too large")
    qts = _prepare_tables(qtables, len(shapes))
    sampling = _prepare_sampling(sampling, len(shapes))
    _check_hint_args(hints, hint_fn, len(shapes))
    starts, streams = _split_streams(blob, settings, shapes, sampling)
    # One zeroed buffer laid out as the JPEG layer's from_parts wants it: used there in place, not copied.
    planes = coefficient_planes(shapes)
    with _StartingContexts(settings, len(streams), _blocks(planes)) as start:
        strength = _strength(settings)
        states = []
        for s, (model, log) in zip(streams, start):
            buf = np.frombuffer(b"\0" + s, np.uint8).copy()  # writable: one compiled signature
            states.append(_Band(rangecoder.new_decoder(buf), buf, model, log, _new_weights(strength),
                                scratch=_new_scratch(strength)))
        _Job(planes, qts, sampling, starts, states, hints, hint_fn, threads, strength).run()
    # each decoder reads at least every byte of its stream (trailing zeros were dropped); a value
    # outside int16 (the decoder stopped there) or a checksum miss is damage
    if (any(int(st.rc[rangecoder.POS]) < st.buf.size or st.rc[rangecoder.DAMAGED] for st in states)
            or _checksum(settings, memoryview(blob)[5:], planes, states) != int.from_bytes(blob[1:5], "little")):
        raise CorruptMember("coefficient stream damaged")
    return planes
