"""mlzip: lossless JPEG recompression with learned predictors and an adaptive arithmetic coder.

`compress`, `decompress`, `inspect` and `MlzError` are loaded on first use, so `import mlzip`
(and with it `mlzip --help`) stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["MlzError", "compress", "decompress", "inspect", "__version__"]

_LAZY = {"compress": "mlzip.api", "decompress": "mlzip.api", "inspect": "mlzip.api", "MlzError": "mlzip.errors"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlzip' has no attribute {name!r}")
