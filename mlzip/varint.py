"""LEB128 unsigned varints (7 bits a byte, low group first), for length fields inside blobs."""

from mlzip.errors import CorruptMember

MAX_BYTES = 10  # 70 bits: far past any length a blob can hold


def encode(value: int) -> bytes:
    if value < 0:
        raise ValueError(f"varint of negative value {value}")
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def decode(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """(value, position after it); a truncated or overlong number is ``CorruptMember`` about ``what``."""
    value = 0
    for shift in range(0, 7 * MAX_BYTES, 7):
        if pos >= len(data):
            break
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
    raise CorruptMember(f"{what}: damaged length")
