"""The seam between the container and the JPEG coefficient path.

`encode` turns a JPEG into (mode, model id, sections); `decode` turns them back into the exact bytes.
Every member of mode `model` or `jpeg-plain` has three sections, or four:

    0  the header (SOI .. end of the first SOS), coded by mlzip.header
    1  the JPEG layer's layout record (everything else needed for an exact rebuild), see `_pack_layout`
    2  the coefficients: mlzip.coder's adaptive arithmetic code (mode `model`), or zstd of the raw
       int16 arrays (mode `jpeg-plain`, model id 0)
    3  (optional) a JPEG embedded in the header, cut out of section 0 and coded as a JPEG of its
       own: mlzip.thumbnail

Mode `model` carries the predictor's id: 1 = classic; ids from 100 are learned models of the registry
(models/manifest.json), which hint the coder's contexts between component phases (mlzip.learned).

The caller (mlzip.api) decodes what `encode` built and compares bytes before trusting it.
"""

from __future__ import annotations

import numpy as np
import zstandard

# Imported here, not in the functions: mlzip.api imports this module only for the coefficient path,
# which needs them all, and an import statement run per call cost ~1 us each (1.5 % of a 1 KB
# file's verified compress, all of them).
from mlzip import coder, jpeg, limits, thumbnail, zstdctx
from mlzip.container import MODE_JPEG_PLAIN, MODE_MODEL
from mlzip.errors import CorruptMember, ModelError, UnsupportedJpeg
from mlzip.header import decode_header, encode_header

# Fixed forever: the model ids a member can carry on this path (see models/manifest.json).
PLAIN_MODEL_ID = 0
CLASSIC_MODEL_ID = 1
MODEL_NAMES = {"plain": PLAIN_MODEL_ID, "classic": CLASSIC_MODEL_ID}
# level -> model id where a learned model is the measured best trade-off; other levels use classic
LEVEL_MODELS: dict[int, int] = {}

# Section 1 starts with one byte saying how the layout record is stored.
_LAYOUT_RAW = 0
_LAYOUT_ZSTD = 1


def encode(data: bytes, level: int, model: str | None) -> tuple[int, int, list[bytes]]:
    model_id = _model_id(model, level)
    img = jpeg.parse(data)
    header, layout = jpeg.to_parts(img)
    coefs = [c.coefs for c in img.components]
    if model_id == PLAIN_MODEL_ID:
        mode, coded = MODE_JPEG_PLAIN, _zstd(b"".join(c.astype("<i2").tobytes() for c in coefs))
    else:
        info = img.info()  # what the decoder's describe(header, layout) gives (the verify proves it)
        if model_id != CLASSIC_MODEL_ID and not limits.learned_model_fits(info.blocks, len(data)):
            model_id = CLASSIC_MODEL_ID  # an absurd declared size for its bytes: no network over it
        qtables = [c.qtable for c in info]
        sampling = [(c.h, c.v) for c in info]
        hint_fn = _hint_fn(model_id, [c.shape[:2] for c in coefs], qtables, sampling)
        strength = coder.strength_for_level(level, hint_fn is not None)
        mode, coded = MODE_MODEL, coder.encode_coefficients(coefs, qtables, sampling, level=level, hint_fn=hint_fn,
                                                               strength=strength)
    head = _header_sections(header, level)
    return mode, model_id, [head[0], _pack_layout(layout), coded, *head[1:]]


def _header_sections(header: bytes, level: int) -> list[bytes]:
    """[section 0] or, with an embedded image coded apart, [section 0, section 3] (`encode` puts
    section 3 last). Cut out, every copy of it, the image never cost bytes on the dev corpus (26 files,
    35.7 KB fewer), so the whole header is not coded too, to compare (2.6 % of level 1's time there)."""
    cut = thumbnail.split(header, level)
    if cut is None:
        return [encode_header(header)]
    rest, image = cut
    return [encode_header(rest), image]


def decode(mode: int, model_id: int, sections: list[bytes], original_size: int) -> bytes:
    """The member's original bytes; original_size (from the member header) bounds the JPEG's size."""
    try:
        return _decode(mode, model_id, sections, original_size)
    except UnsupportedJpeg as exc:  # the encoder only writes JPEGs it accepted: this is damage
        raise CorruptMember(f"jpeg data is altered ({exc})") from None


def _decode(mode: int, model_id: int, sections: list[bytes], original_size: int) -> bytes:
    if mode not in (MODE_MODEL, MODE_JPEG_PLAIN):
        raise CorruptMember(f"mode {mode} is not a JPEG mode")
    if len(sections) not in (3, 4):
        raise CorruptMember(f"{len(sections)} sections where 3 or 4 belong")
    if mode == MODE_JPEG_PLAIN and model_id != PLAIN_MODEL_ID:
        raise _unknown_model(model_id)
    if mode == MODE_MODEL:
        _check_known(model_id)
    header = decode_header(sections[0])
    if len(sections) == 4:
        header = thumbnail.join(header, sections[3])
    layout = _unpack_layout(sections[1])
    info = jpeg.describe(header, layout)
    if info.blocks > limits.max_decoded_jpeg_blocks(original_size):  # encode refuses such files: never allocate them
        raise CorruptMember(f"JPEG header declares {info.blocks} blocks, too many for {original_size} bytes")
    shapes = [(c.blocks_y, c.blocks_x) for c in info]
    if mode == MODE_JPEG_PLAIN:
        coefs = _split_plain(_unzstd(sections[2]), shapes)
    else:
        qtables = [c.qtable for c in info]
        sampling = [(c.h, c.v) for c in info]
        hint_fn = _hint_fn(model_id, shapes, qtables, sampling)
        coefs = coder.decode_coefficients(sections[2], shapes, qtables, sampling, hint_fn=hint_fn)
    return info.rebuild(coefs).encode()


def _model_id(model: str | None, level: int) -> int:
    """The id a --model name (or, without one, the level) selects: plain, classic or a registry model."""
    if model is None:
        return LEVEL_MODELS.get(level, CLASSIC_MODEL_ID)
    if model in MODEL_NAMES:
        return MODEL_NAMES[model]
    from mlzip import registry

    try:
        return registry.lookup(model).id
    except ModelError:
        known = sorted(MODEL_NAMES) + [e.name for e in registry.registry().entries()]
        raise ModelError(f"unknown model {model!r} (known: {', '.join(known)})") from None


def _check_known(model_id: int) -> None:
    """A member's model id must be classic or in this installation's registry."""
    if model_id == CLASSIC_MODEL_ID:
        return
    from mlzip import registry

    if model_id < registry.FIRST_LEARNED_ID:
        raise _unknown_model(model_id)
    try:
        registry.lookup(model_id)
    except ModelError:
        raise _unknown_model(model_id) from None


def _unknown_model(model_id: int) -> ModelError:
    return ModelError(f"model id {model_id} is unknown to this mlzip (upgrade mlzip)")


def _hint_fn(model_id: int, shapes: list[tuple[int, int]], qtables: list, sampling: list[tuple[int, int]]):
    """The coder's between-phase hint callback of a learned model (None for classic)."""
    if model_id == CLASSIC_MODEL_ID:
        return None
    from mlzip import learned

    return learned.load(model_id).hint_fn(shapes, qtables, sampling)


# No zstd frame is this short (RFC 8878: magic 4, frame header 2 or more, block header 3): a layout of
# this size or less stays raw without the trial (compressing an ordinary 6-byte layout at level 19
# was 0.5 % of a 1 KB file's verified compress).
_ZSTD_MIN_FRAME = 9


def _pack_layout(layout: bytes) -> bytes:
    if len(layout) <= _ZSTD_MIN_FRAME:
        return bytes([_LAYOUT_RAW]) + layout
    packed = _zstd(layout)
    if len(packed) < len(layout):
        return bytes([_LAYOUT_ZSTD]) + packed
    return bytes([_LAYOUT_RAW]) + layout


def _unpack_layout(section: bytes) -> bytes:
    if not section:
        raise CorruptMember("layout section is empty")
    if section[0] == _LAYOUT_RAW:
        return bytes(section[1:])
    if section[0] == _LAYOUT_ZSTD:
        return _unzstd(section[1:])
    raise CorruptMember(f"unknown layout storage {section[0]}")


def _split_plain(raw: bytes, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    sizes = [by * bx * 64 for by, bx in shapes]
    if len(raw) != 2 * sum(sizes):
        raise CorruptMember("coefficient section has the wrong size")
    flat = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    bounds = np.cumsum([0, *sizes])
    return [flat[a:b].reshape(by, bx, 64).copy() for (a, b), (by, bx) in zip(zip(bounds, bounds[1:]), shapes)]


def _zstd(raw: bytes) -> bytes:
    return zstdctx.compressor(19).compress(raw)


def _unzstd(frame: bytes) -> bytes:
    try:
        return zstdctx.decompressor().decompress(frame, max_output_size=1 << 31)
    except zstandard.ZstdError as exc:
        raise CorruptMember(f"zstd data is altered ({exc})") from None
