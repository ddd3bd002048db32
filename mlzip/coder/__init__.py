"""Adaptive binary arithmetic coding of quantized JPEG DCT coefficients.

Public API::

    blob = encode_coefficients(coefs, qtables, sampling, level=6, hints=None, *, hint_fn=None,
                               threads=None, strength=0) -> bytes
    coefs = decode_coefficients(blob, shapes, qtables, sampling, hints=None, *, hint_fn=None,
                                threads=None) -> list[np.ndarray]

``coefs[i]``: int16 ``[blocks_y, blocks_x, 64]`` in natural (row-major 8x8) order, one per component
in frame order; ``qtables[i]``: the 64 quantizer steps (natural order); ``sampling[i]``: (h, v)
(bands follow ``v``). Any int16 value round-trips. ``decode_coefficients`` raises :class:`mlzip.errors.CorruptMember` on a
damaged blob.

The default predictor is the hand-made classic one (:mod:`mlzip.coder.classic`), with contexts
starting from a trained prior (:mod:`mlzip.coder.prior`, file ``classic_prior_v1.bin``).

``strength`` picks the model (recorded in the blob's format version: 1, 2 classic, 3 STRONG, 4 STRONGEST,
5 HINTS_MIXED, 6 ULTRA, 7 ULTRA2, 8 ULTRA3, 9 STRONGEST2, 10 HINTS_MIXED2, 11 ULTRA4, so decoding needs no
argument): 0 = the classic model (:mod:`mlzip.coder.classic`, the only one of the first files),
1 = STRONG and 2 = STRONGEST (more contexts, some decisions mixed from two contexts by
:mod:`mlzip.coder.mixer`; listed in classic's docstring), 3 = HINTS_MIXED (a learned model's hints
mixed in), 4 = ULTRA (STRONGEST with more contexts mixed by a two-layer mixer), 5 = ULTRA2 (ULTRA with the edge
non-zero counts and DC mixed too), 6 = ULTRA3 (ULTRA2 with every 7x7 coefficient predicted by pixel
continuity with the above and left blocks), 7 = STRONGEST2 (STRONGEST whose signs also see ULTRA3's
continuity predictions), 8 = HINTS_MIXED2 (HINTS_MIXED on STRONGEST2), 9 = ULTRA4 (ULTRA3 with APM stages after
its two-layer mixer). ``strength_for_level`` maps the
container's ``-1 … -9``: 1-3 classic, 4-5 STRONG, 6 STRONGEST2 (STRONGEST until format 9), 7-9 ULTRA4 (ULTRA until format 7, ULTRA2 until 8, ULTRA3 until 11; HINTS_MIXED2 from 6 with a
learned model, HINTS_MIXED until format 10; see its docstring for measured
sizes and speeds). ``level`` itself changes nothing else, but that level 9 codes every image in one band. Measured alternative: without
the pixel-continuity edge predictions the coder was about 10 % faster and 1.1 % larger.

Blob: byte 0 = format version (high nibble) and flags, 4 bytes CRC-32, band fields when banded, the
range coders' bytes (see :mod:`mlzip.coder.api`). Large images are split into bands of MCU rows
(:mod:`mlzip.coder.bands`) coded independently in parallel threads (``threads=`` on both calls, else
$MLZIP_THREADS, else the usable CPUs). Coding is integer-only and the band split depends on the
image alone, so the bytes do not depend on the machine or on the thread count.

Extension point for learned models (``hints``): an optional list of uint8 ``[blocks_y, blocks_x, 64]``
arrays (or None: that component is coded the classic way), one per component; or instead
``hint_fn(c, planes)``, called before each component ``c`` is coded, on encode and decode alike, with
the complete planes of the components before it, returning component ``c``'s array or None (e.g.
chroma hints computed from the luma plane). When given, ``hints[i][by, bx, k]`` replaces the classic
model's magnitude bucket for coefficient ``k`` (natural order) of that block, i.e. selects the adaptive
contexts of its exponent decisions (zero flag included; for the first row, first column and DC also
of its sign):

* 7x7 AC (row and column >= 1): the bit length (0..11) of the predicted magnitude in quantizer steps;
* first row / first column AC: the bit length (0..11) of 4 x the predicted magnitude;
* DC (k = 0): the uncertainty bucket (0..12) of the DC prediction (12: no prediction).

Larger values are clamped. The rest of the model (non-zero counts, positions, DC prediction) stays
classic, so a network only has to output buckets. The decoder must be given identical hints, so a
model may only derive them from data the decoder has before decoding (side information, an earlier
pass); the blob records that hints were used, and decoding without them raises CorruptMember.
"""

from mlzip.coder.api import decode_coefficients, encode_coefficients, strength_for_level

__all__ = ["encode_coefficients", "decode_coefficients", "strength_for_level"]
