"""mlzip itself as a bench tool: ``mlzip-1`` … ``mlzip-9`` (levels) and ``mlzip:<model>``."""

from __future__ import annotations

from typing import Any

from mlzip.bench.codecs import Codec, distribution_version


class MlzipCodec(Codec):
    requires = ("mlzip.api",)

    def __init__(self, level: int = 6, model: str | None = None) -> None:
        self.level = level
        self.model = model
        self.name = f"mlzip:{model}" if model else f"mlzip-{level}"
        target = f"model {model}" if model else f"level {level}"
        # verify=True is what `mlzip c` does: its speed includes the decode-and-compare it ends with.
        self.description = f"mlzip {target} (mlzip.api.compress, verify=True)"

    def version(self) -> str:
        import mlzip

        installed = distribution_version("mlzip")
        return f"mlzip {mlzip.__version__}" + ("" if installed in ("unknown", mlzip.__version__) else f" (installed {installed})")

    def compress(self, data: bytes) -> bytes:
        from mlzip import api

        return api.compress(data, self.level, model=self.model, verify=True)

    def decompress(self, data: bytes) -> bytes:
        from mlzip import api

        return api.decompress(data)

    def describe(self, packed: bytes) -> dict[str, Any]:
        from mlzip import api

        members = api.inspect(packed)
        models = sorted({str(m.model_id) for m in members if m.mode == "model"})
        return {"mode": "+".join(m.mode for m in members), "model_id": ",".join(models) or None}
