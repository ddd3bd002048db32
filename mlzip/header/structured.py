"""The structured header code: a bit stream of segment kinds and compact payloads, plus a raw section.

Segment kinds are predicted from the previous one in libjpeg's order (APP0, DQT, DQT, SOF, DHT x4, SOS),
so a predicted kind costs one bit. A segment that no compact code fits (Exif, ICC, COM, odd tables) is
stored as its marker, its length and its bytes in the raw section, which the caller may zstd.
"""

from __future__ import annotations

from collections.abc import Callable

from mlzip.errors import CorruptMember
from mlzip.header import segment_codecs as codecs
from mlzip.header.bits import BitReader, BitWriter
from mlzip.header.markers import APP0, APP14, DHT, DQT, DRI, MAX_PAYLOAD, SOF_MARKERS, SOS, Segment
from mlzip.limits import MAX_JPEG_BYTES

END, KIND_APP0, KIND_DQT, KIND_SOF, KIND_DHT, KIND_DRI, KIND_SOS, KIND_RAW, KIND_ADOBE = range(9)
_KIND_BITS = 4  # room for new kinds
_START_HEADER, _START_SEGMENTS = -1, -2

# segments with a codec of their own: marker, kind, encoder, decoder (one row each, both directions)
_SIMPLE_CODECS = [
    (APP0, KIND_APP0, codecs.encode_app0, codecs.decode_app0),
    (DQT, KIND_DQT, codecs.encode_dqt, codecs.decode_dqt),
    (DHT, KIND_DHT, codecs.encode_dht, codecs.decode_dht),
    (SOS, KIND_SOS, codecs.encode_sos, codecs.decode_sos),
    (DRI, KIND_DRI, codecs.encode_dri, codecs.decode_dri),
    (APP14, KIND_ADOBE, codecs.encode_adobe, codecs.decode_adobe),
]
_SIMPLE_ENCODERS: dict[int, tuple[int, Callable]] = {m: (k, enc) for m, k, enc, _ in _SIMPLE_CODECS}
_SIMPLE_DECODERS: dict[int, tuple[int, Callable]] = {k: (m, dec) for m, k, _, dec in _SIMPLE_CODECS}


class _Predictor:
    """Next segment kind in libjpeg's order, from the previous kind and the tables seen so far."""

    def __init__(self, start: int) -> None:
        self.previous = start

    def predict(self, state: codecs.HeaderState) -> int:
        previous = self.previous
        if previous == _START_HEADER:
            return KIND_APP0
        if previous == _START_SEGMENTS:
            return KIND_DHT
        if previous in (KIND_APP0, KIND_RAW, KIND_ADOBE):
            return KIND_DQT
        if previous == KIND_DQT:
            return KIND_DQT if state.dqt_tables == 1 else KIND_SOF
        if previous == KIND_SOF:
            return KIND_DHT
        if previous == KIND_DHT:
            expected = 2 if len(state.component_ids) == 1 else 4
            return KIND_DHT if state.dht_tables < expected else KIND_SOS
        if previous == KIND_DRI:
            return KIND_SOS
        return END

    def advance(self, kind: int) -> None:
        self.previous = kind


def _write_kind(out: BitWriter, kind: int, predicted: int) -> None:
    out.flag(kind == predicted)
    if kind != predicted:
        out.bits(kind, _KIND_BITS)


def _read_kind(bits: BitReader, predicted: int) -> int:
    kind = predicted if bits.flag() else bits.bits(_KIND_BITS)
    if kind > KIND_ADOBE:
        raise CorruptMember("header stream has an unknown segment kind")
    return kind


def encode_structured(segments: list[Segment], state: codecs.HeaderState, start_with_soi: bool,
                      out: BitWriter) -> list[bytes]:
    """Write the bit stream for `segments` (the SOI, if any, is implied) to `out`; return the raw parts."""
    raw_parts = []
    predictor = _Predictor(_START_HEADER if start_with_soi else _START_SEGMENTS)
    for marker, payload in segments:
        predicted = predictor.predict(state)
        body = BitWriter()
        kind = KIND_RAW
        if marker in SOF_MARKERS:
            if codecs.encode_sof(marker, payload, body, state):
                kind = KIND_SOF
        elif marker in _SIMPLE_ENCODERS:
            simple_kind, encoder = _SIMPLE_ENCODERS[marker]
            if encoder(payload, body, state):
                kind = simple_kind
        if kind == KIND_RAW:
            body = BitWriter()
            body.bits(marker, 8)
            body.uint(len(payload))
            raw_parts.append(payload)
        _write_kind(out, kind, predicted)
        out.extend(body)
        predictor.advance(kind)
    _write_kind(out, END, predictor.predict(state))
    return raw_parts


def decode_structured(bits: BitReader, state: codecs.HeaderState,
                      start_with_soi: bool) -> list[tuple[int, bytes | int]]:
    """Segments as (marker, payload), where a raw payload is given by its length (filled in later)."""
    segments: list[tuple[int, bytes | int]] = []
    predictor = _Predictor(_START_HEADER if start_with_soi else _START_SEGMENTS)
    total = 0  # output bytes so far: a hostile stream of cheap default tables must not run away
    while True:
        if total > MAX_JPEG_BYTES:
            raise CorruptMember("header stream decodes to more bytes than any JPEG holds")
        kind = _read_kind(bits, predictor.predict(state))
        if kind == END:
            bits.check_padding()
            return segments
        if kind == KIND_RAW:
            marker = bits.bits(8)
            segments.append((marker, _checked_length(bits.uint())))
            total += segments[-1][1]
        elif kind == KIND_SOF:
            segments.append(codecs.decode_sof(bits, state))
            total += len(segments[-1][1])
        else:
            marker, decoder = _SIMPLE_DECODERS[kind]
            payload = decoder(bits, state)
            total += _checked_length(len(payload))
            segments.append((marker, payload))
        predictor.advance(kind)


def _checked_length(length: int) -> int:
    if length > MAX_PAYLOAD:
        raise CorruptMember("header stream has an overlong segment")
    return length
