"""The model file format: self-describing, deterministic bytes, no pickle, readable without torch.

    b"MLZNN\\x00" + u8 version(1) + u8 reserved + u32le header length + JSON header (UTF-8)
    + the raw little-endian tensors, each at the offset the header gives.

The header holds the architecture ("spec") and a table {name: {dtype, shape, offset}}. Same model,
same bytes (sorted keys, no timestamps), so a file's sha256 identifies the model.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from mlzip.errors import ModelError

MAGIC = b"MLZNN\x00"
VERSION = 1
_DTYPES = {"int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint8": "<u1"}
_MAX_HEADER = 1 << 20
_MAX_ELEMENTS = 1 << 28


def write_weights(spec: dict[str, Any], tensors: dict[str, np.ndarray]) -> bytes:
    table: dict[str, Any] = {}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        dtype = arr.dtype.name
        if dtype not in _DTYPES:
            raise ValueError(f"tensor {name}: dtype {dtype} not allowed in a model file")
        blob = np.ascontiguousarray(arr, dtype=_DTYPES[dtype]).tobytes()
        table[name] = {"dtype": dtype, "shape": list(arr.shape), "offset": offset}
        blobs.append(blob)
        offset += len(blob)
    header = json.dumps({"spec": spec, "tensors": table}, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<BBI", VERSION, 0, len(header)) + header + b"".join(blobs)


def read_weights(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Parse a model file; any malformation is a ModelError."""
    fixed = len(MAGIC) + 6
    if len(data) < fixed or data[: len(MAGIC)] != MAGIC:
        raise ModelError("not an mlzip model file")
    version, _, hlen = struct.unpack_from("<BBI", data, len(MAGIC))
    if version != VERSION:
        raise ModelError(f"model file version {version} not supported")
    if hlen > _MAX_HEADER or fixed + hlen > len(data):
        raise ModelError("model file header truncated")
    try:
        header = json.loads(data[fixed : fixed + hlen])
        spec, table = header["spec"], header["tensors"]
        body = memoryview(data)[fixed + hlen :]
        tensors: dict[str, np.ndarray] = {}
        for name, info in table.items():
            dt = np.dtype(_DTYPES[info["dtype"]])
            shape = tuple(int(s) for s in info["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            start = int(info["offset"])
            if count > _MAX_ELEMENTS or start < 0 or start + count * dt.itemsize > len(body):
                raise ModelError(f"model file tensor {name} out of bounds")
            arr = np.frombuffer(body, dtype=dt, count=count, offset=start).reshape(shape)
            tensors[name] = arr.astype(dt.newbyteorder("="))
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"model file header malformed: {exc}") from None
    if not isinstance(spec, dict):
        raise ModelError("model file spec malformed")
    return spec, tensors
