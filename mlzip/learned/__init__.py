"""Learned predictors at coding time: registry models that give the coder its context hints.

`load(key)` returns a HintModel for a registry id or name (weights sha256-checked on load, cached);
`hint_fn(...)` is what mlzip.coder calls between component phases. Numpy only: no torch here.
"""

from __future__ import annotations

from functools import lru_cache

from mlzip.errors import ModelError
from mlzip.learned.hints import HintModel


@lru_cache(maxsize=8)
def load(key: int | str) -> HintModel:
    from mlzip import registry

    entry = registry.lookup(key)
    if not entry.learned:
        raise ModelError(f"model {entry.name} is not a learned model")
    return HintModel.from_bytes(registry.load_model_bytes(entry))


__all__ = ["HintModel", "load"]
