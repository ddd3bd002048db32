"""Where frozen model files live, in a source checkout and in an installed copy.

`models/` sits at the top of the repository; `pip install` copies it to `<prefix>/share/mlzip/models`
(see `[tool.setuptools.data-files]` in pyproject.toml). Both are searched, the checkout first.
"""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from pathlib import Path

from mlzip.errors import ModelError

_CANDIDATES = (
    Path(__file__).resolve().parent.parent / "models",
    Path(sys.prefix) / "share" / "mlzip" / "models",
)


def models_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise ModelError("models directory not found (broken installation?)")


def model_path(name: str) -> Path:
    path = models_dir() / name
    if not path.is_file():
        raise ModelError(f"model file {name} is missing (broken installation?)")
    return path


@lru_cache(maxsize=None)
def load_verified(name: str, sha256: str) -> bytes:
    """Read a model file and check its sha256, so a damaged file never drives the coder."""
    data = model_path(name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ModelError(f"model file {name} fails its sha256 check ({digest[:12]} != {sha256[:12]})")
    return data
