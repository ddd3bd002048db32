"""The seam between the container and the JPEG coefficient path.

`encode` turns a JPEG into (mode, model id, sections); `decode` turns them back into the exact bytes.
This is the minimal placeholder until the JPEG layer and coder land: every JPEG takes the zstd path.
"""

from __future__ import annotations

from mlzip.errors import CorruptMember, UnsupportedJpeg


def encode(data: bytes, level: int, model: str | None) -> tuple[int, int, list[bytes]]:
    raise UnsupportedJpeg("JPEG coefficient path not available yet")


def decode(mode: int, model_id: int, sections: list[bytes]) -> bytes:
    raise CorruptMember(f"mode {mode} (model id {model_id}) cannot be decoded by this build")
