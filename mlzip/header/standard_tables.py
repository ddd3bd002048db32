"""The ITU T.81 Annex K tables that libjpeg (and so Pillow, cjpeg, most software) writes by default.

Everything here is in the byte order of the DQT/DHT segment payloads: quantization tables in zigzag
order, Huffman tables as the 16 code-length counts followed by the symbols.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Annex K.1 luminance and chrominance quantization tables, zigzag order (= libjpeg at quality 50).
_BASE_QUANT_HEX = (
    "100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f"
    "626768673e4d71797064785c656763",
    "1112121815182f1a1a2f634238426363636363636363636363636363636363636363636363636363636363636363636363"
    "636363636363636363636363636363",
)
BASE_QUANT = np.array([list(bytes.fromhex(h)) for h in _BASE_QUANT_HEX], dtype=np.int64)  # [class, 64]

# Annex K.3 Huffman tables: (table class Tc, luminance=0/chrominance=1) -> counts + symbols.
_HUFFMAN_HEX = {
    (0, 0): (
        "00010501010101010100000000000000000102030405060708090a0b"
    ),
    (1, 0): (
        "0002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
        "2433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566676869"
        "6a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5"
        "c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"
    ),
    (0, 1): (
        "00030101010101010101010000000000000102030405060708090a0b"
    ),
    (1, 1): (
        "00020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0"
        "156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768"
        "696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
        "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa"
    ),
}
STANDARD_HUFFMAN = {key: bytes.fromhex(h) for key, h in _HUFFMAN_HEX.items()}

# Symbol order used to code custom Huffman tables: standard table order first (optimized tables tend to
# keep the same frequency ranking), then every other byte value.
def _symbol_order(tc: int) -> tuple[int, ...]:
    seen = list(STANDARD_HUFFMAN[(tc, 0)][16:])
    seen += [s for s in STANDARD_HUFFMAN[(tc, 1)][16:] if s not in seen]
    return tuple(seen + [s for s in range(256) if s not in seen])


SYMBOL_ORDER = {tc: _symbol_order(tc) for tc in (0, 1)}


def ijg_scale(quality: int) -> int:
    """libjpeg's jpeg_quality_scaling: quality 1..100 -> percentage scale factor."""
    return 5000 // quality if quality < 50 else 200 - 2 * quality


@lru_cache(maxsize=None)
def scaled_table(table_class: int, quality: int, force_baseline: bool) -> np.ndarray:
    """libjpeg's jpeg_add_quant_table for one Annex K table (zigzag order); read-only, cached."""
    values = (BASE_QUANT[table_class] * ijg_scale(quality) + 50) // 100
    values = np.clip(values, 1, 255 if force_baseline else 32767)
    values.flags.writeable = False
    return values


@lru_cache(maxsize=1)
def _all_scaled() -> tuple[np.ndarray, list[tuple[int, int, bool]]]:
    keys = [(c, q, fb) for c in (0, 1) for fb in (True, False) for q in range(1, 101)]
    return np.stack([scaled_table(*key) for key in keys]), keys


@lru_cache(maxsize=1)
def _scaled_lookup() -> dict[bytes, tuple[int, int, bool]]:
    tables, keys = _all_scaled()
    lookup: dict[bytes, tuple[int, int, bool]] = {}
    for row, key in zip(tables, keys):
        lookup.setdefault(row.astype(np.uint16).tobytes(), key)  # baseline variant first: shorter code
    return lookup


def match_scaled(values: np.ndarray) -> tuple[int, int, bool] | None:
    """(class, quality, force_baseline) of the standard scaled table equal to `values`, if any."""
    return _scaled_lookup().get(values.astype(np.uint16).tobytes())


def signed_eg_bits(deltas: np.ndarray) -> np.ndarray:
    """Length in bits of the signed Exp-Golomb code of each value (last axis summed by callers)."""
    mapped = np.where(deltas > 0, 2 * deltas - 1, -2 * deltas)
    # the bit length of mapped + 1 is frexp's exponent (exact: table deltas are far below 2^53); a
    # searchsorted over the powers of two took 1 % of a 1 MP photo's level-1 compress
    return 2 * np.frexp((mapped + 1).astype(np.float64))[1].astype(np.int64) - 1


def nearest_scaled(values: np.ndarray) -> tuple[int, int, bool]:
    """The standard scaled table whose residuals code shortest."""
    tables, keys = _all_scaled()
    cost = signed_eg_bits(values[None, :] - tables).sum(axis=1)
    return keys[int(np.argmin(cost))]
