"""Bit-level writer and reader for the compact header stream.

Headers are small (tens to a few hundred fields), so the writer collects '0'/'1' strings and joins them
once: linear time, no per-field big-int shifts. Reading past the end raises CorruptMember.
"""

from __future__ import annotations

from mlzip.errors import CorruptMember


class BitWriter:
    def __init__(self) -> None:
        self._parts: list[str] = []

    def bits(self, value: int, width: int) -> None:
        """Write `value` in `width` bits, most significant first."""
        if width:
            self._parts.append(format(value, f"0{width}b"))

    def flag(self, value: bool) -> None:
        self._parts.append("1" if value else "0")

    def ue(self, value: int) -> None:
        """Exp-Golomb code of a non-negative integer (small values are cheap)."""
        word = format(value + 1, "b")
        self._parts.append("0" * (len(word) - 1) + word)

    def se(self, value: int) -> None:
        """Signed Exp-Golomb: 0, 1, -1, 2, -2 ... map to 0, 1, 2, 3, 4 ..."""
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def uint(self, value: int) -> None:
        """A 0..2**31-1 integer as a 5-bit bit count and the bits below the leading one."""
        n = value.bit_length()
        self.bits(n, 5)
        if n > 1:
            self.bits(value - (1 << (n - 1)), n - 1)

    def extend(self, other: "BitWriter") -> None:
        self._parts.extend(other._parts)

    def getvalue(self) -> bytes:
        text = "".join(self._parts)
        if not text:
            return b""
        text += "0" * (-len(text) % 8)
        return int(text, 2).to_bytes(len(text) // 8, "big")


class BitReader:
    """Reads fields straight from the bytes (no up-front conversion: a hostile blob costs no memory)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._size = 8 * len(data)
        self._pos = 0

    def bits(self, width: int) -> int:
        end = self._pos + width
        if end > self._size:
            raise CorruptMember("header stream ends early")
        first, last = self._pos >> 3, (end + 7) >> 3
        window = int.from_bytes(self._data[first:last], "big")
        self._pos = end
        return (window >> (8 * last - end)) & ((1 << width) - 1)

    def flag(self) -> bool:
        pos = self._pos  # bits(1) without the slice and int.from_bytes: most reads are flags
        if pos >= self._size:
            raise CorruptMember("header stream ends early")
        self._pos = pos + 1
        return (self._data[pos >> 3] >> (7 - (pos & 7))) & 1 == 1

    def ue(self, max_bits: int = 32) -> int:
        zeros = 0
        while not self.bits(1):
            zeros += 1
            if zeros > max_bits:
                raise CorruptMember("header stream has an overlong code")
        return (1 << zeros) + self.bits(zeros) - 1

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)

    def uint(self) -> int:
        n = self.bits(5)
        if n <= 1:
            return n
        return (1 << (n - 1)) + self.bits(n - 1)

    def check_padding(self) -> None:
        """What remains must be the zero padding of the last byte."""
        if self._size - self._pos >= 8 or (self._size > self._pos and self.bits(self._size - self._pos)):
            raise CorruptMember("header stream has trailing data")
