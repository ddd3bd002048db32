"""`mlzip models`: every model of the registry with id, family, size, parameters and measured figures."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from mlzip.errors import MlzError

_HEADER = (f"{'id':>4}  {'name':<18} {'family':<8} {'size':<5} {'params':>7}  {'photos':>7} {'cifar':>7} {'dev':>7}  {'speed':>6}"
           f"  {'dev-6':>7} {'cifar-6':>7} {'dev-9':>7} {'speed-6':>7}")


def _summary(entry: Any) -> dict[str, Any]:
    m = entry.measured or {}
    return {"id": entry.id, "name": entry.name, "family": entry.family, "size": entry.size, "params": entry.params,
            "file": entry.file, "sha256": entry.sha256, "architecture": entry.architecture,
            "training": entry.training, "measured": m}


def _pct(v: Any) -> str:
    return f"{v:+.2%}" if isinstance(v, (int, float)) else "-"


def _times(v: Any) -> str:
    return f"{v:.2f}x" if isinstance(v, (int, float)) else "-"


def render(entries: list[Any], json_out: bool) -> str:
    if json_out:
        return json.dumps([_summary(e) for e in entries], indent=2) + "\n"
    rows = [_HEADER]
    for e in entries:
        sav = (e.measured or {}).get("saving_vs_classic", {})
        speed = (e.measured or {}).get("time_vs_classic")
        mixed = (e.measured or {}).get("saving_vs_same_level", {})
        rows.append(f"{e.id:>4}  {e.name:<18} {e.family:<8} {e.size:<5} {e.params:>7}  {_pct(sav.get('photos')):>7} "
                    f"{_pct(sav.get('cifar')):>7} {_pct(sav.get('dev')):>7}  {_times(speed):>6}  "
                    f"{_pct(mixed.get('dev')):>7} {_pct(mixed.get('cifar')):>7} {_pct(mixed.get('dev_level9')):>7} "
                    f"{_times(mixed.get('time_vs_no_model')):>7}")
    rows.append("photos/cifar/dev: coefficient bytes saved against classic-base-v1 with the hint replacing its buckets "
                "(levels 1-3; validation photos, CIFAR-10 validation, corpus/dev), speed: compress time relative to "
                "classic; dev-6/cifar-6/dev-9: whole files saved against the same level without a model, hints mixed "
                "(coder format 5), speed-6: compress time relative to level 6 without a model")
    return "\n".join(rows) + "\n"


def models(
    json_out: Annotated[bool, typer.Option("--json", help="Every manifest field as JSON.")] = False,
) -> None:
    """List the models this mlzip knows: id, name, family, size, parameters, measured savings and speed."""
    from mlzip.registry import registry

    try:
        entries = registry().entries()
    except MlzError as exc:
        print(f"mlzip: models: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    sys.stdout.write(render(entries, json_out))


def register(app: typer.Typer) -> None:
    app.command("models")(models)
