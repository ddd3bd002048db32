"""mlzip itself as a bench tool: ``mlzip-1`` … ``mlzip-9`` (levels) and ``mlzip:<model>``."""

from __future__ import annotations

from typing import Any

from mlzip.bench.codecs import Codec, distribution_version

NO_VERIFY_SUFFIX = "-noverify"  # `mlzip c --no-verify`: compress without the closing decode-and-compare


class MlzipCodec(Codec):
    requires = ("mlzip.api",)

    def __init__(self, level: int = 6, model: str | None = None, verify: bool = True) -> None:
        self.level = level
        self.model = model
        self.verify = verify
        prefix = "mlzip" if level == 6 else f"mlzip-{level}"  # the default level goes unnamed with a model
        self.name = (f"{prefix}:{model}" if model else f"mlzip-{level}") + ("" if verify else NO_VERIFY_SUFFIX)
        target = f"model {model} at level {level}" if model else f"level {level}"
        # verify=True is what `mlzip c` does: its speed includes the decode-and-compare it ends with;
        # the -noverify twin does the same work as lepton_jpeg_python's compress_bytes (no check)
        self.description = f"mlzip {target} (mlzip.api.compress, verify={verify})"

    def version(self) -> str:
        import mlzip

        installed = distribution_version("mlzip")
        return f"mlzip {mlzip.__version__}" + ("" if installed in ("unknown", mlzip.__version__) else f" (installed {installed})")

    def compress(self, data: bytes) -> bytes:
        from mlzip import api

        return api.compress(data, self.level, model=self.model, verify=self.verify)

    def decompress(self, data: bytes) -> bytes:
        from mlzip import api

        return api.decompress(data)

    def describe(self, packed: bytes) -> dict[str, Any]:
        from mlzip import api

        members = api.inspect(packed)
        models = sorted({str(m.model_id) for m in members if m.mode == "model"})
        return {"mode": "+".join(m.mode for m in members), "model_id": ",".join(models) or None}
