"""The listing printed by `mlzip list` (gzip -l style columns, or JSON)."""

from __future__ import annotations

import dataclasses
import json

from mlzip.fileops import Outcome, Settings, decompressed_name

_HEADER = f"{'compressed':>12} {'uncompressed':>12} {'saved':>7}  {'mode':<10} {'model':>5}  name"
_VERBOSE_HEADER = f"{'compressed':>12} {'uncompressed':>12} {'saved':>7}  {'mode':<10} {'model':<16}  name"


def render_listing(outcomes: list[Outcome], settings: Settings, *, verbose: bool, json_out: bool) -> str:
    if json_out:
        return json.dumps([_as_json(o) for o in outcomes], indent=2) + "\n"
    rows = [_VERBOSE_HEADER if verbose else _HEADER]
    for outcome in outcomes:
        if verbose:
            for member in outcome.members:
                rows.append(_row(member.compressed_size, member.original_size, member.mode,
                                 model_label(member.mode, member.model_id), f"{outcome.source}: {member.name or '-'}",
                                 width=-16))
        else:
            modes = {m.mode for m in outcome.members}
            models = {m.model_id for m in outcome.members}
            rows.append(_row(
                outcome.bytes_in, outcome.bytes_out, modes.pop() if len(modes) == 1 else "mixed",
                models.pop() if len(models) == 1 else "*", _uncompressed_name(outcome.source, settings),
            ))
    if len(outcomes) > 1:
        rows.append(_row(sum(o.bytes_in for o in outcomes), sum(o.bytes_out for o in outcomes), "", "", "(totals)"))
    return "\n".join(rows) + "\n"


def _row(compressed: int, original: int, mode: str, model: object, name: str, width: int = 5) -> str:
    saved = f"{1 - compressed / original:.1%}" if original else "-"
    model_col = f"{model!s:<{-width}}" if width < 0 else f"{model!s:>{width}}"
    return f"{compressed:>12} {original:>12} {saved:>7}  {mode:<10} {model_col}  {name}"


def model_label(mode: str, model_id: int) -> str:
    """The predictor's registry name for `model` members (its id where this mlzip does not know it)."""
    if mode != "model":
        return str(model_id)
    from mlzip import registry
    from mlzip.errors import ModelError

    try:
        return registry.lookup(model_id).name
    except ModelError:
        return f"{model_id} (unknown)"


def _uncompressed_name(source: str, settings: Settings) -> str:
    return decompressed_name(source, settings.suffix) or source


def _as_json(outcome: Outcome) -> dict:
    return {
        "file": outcome.source,
        "compressed": outcome.bytes_in,
        "uncompressed": outcome.bytes_out,
        "members": [dataclasses.asdict(m) for m in outcome.members],
    }


