"""The model registry: `models/manifest.json` maps fixed numeric ids and names to frozen model files.

Ids are stored in every .mlz member, so they are never reused or renumbered: 1-99 are hand-made
predictors (1 = classic), learned models start at 100. Names follow `<family>-<size>-v<N>`.
Loading a learned model checks its sha256 (mlzip.assets.load_verified) so a damaged file never
drives the coder. No torch here: the runtime that decompresses needs numpy only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mlzip.assets import load_verified, models_dir
from mlzip.errors import ModelError

MANIFEST_NAME = "manifest.json"
CLASSIC_ID = 1
FIRST_LEARNED_ID = 100
FAMILIES = ("classic", "cnn", "rnn", "gan")
_NAME_RE = re.compile(r"^(?P<family>[a-z]+)-(?P<size>[a-z0-9]+)-v(?P<version>[1-9][0-9]*)$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ModelEntry:
    """One manifest row. `file`/`sha256` are None only for hand-made predictors."""

    id: int
    name: str
    family: str
    size: str
    file: str | None
    sha256: str | None
    architecture: dict[str, Any]
    params: int
    training: dict[str, Any] | None = None
    measured: dict[str, Any] = field(default_factory=dict)

    @property
    def learned(self) -> bool:
        return self.file is not None


def _entry_from_json(raw: Any) -> ModelEntry:
    if not isinstance(raw, dict):
        raise ModelError("manifest entry is not an object")
    try:
        entry = ModelEntry(
            id=raw["id"],
            name=raw["name"],
            family=raw["family"],
            size=raw["size"],
            file=raw.get("file"),
            sha256=raw.get("sha256"),
            architecture=raw["architecture"],
            params=raw["params"],
            training=raw.get("training"),
            measured=raw.get("measured") or {},
        )
    except KeyError as exc:
        raise ModelError(f"manifest entry {raw.get('name', '?')} lacks field {exc.args[0]}") from None
    _check_entry(entry)
    return entry


def _check_entry(e: ModelEntry) -> None:
    if not isinstance(e.id, int) or isinstance(e.id, bool) or e.id < 1:
        raise ModelError(f"manifest entry {e.name!r}: id must be a positive integer")
    m = _NAME_RE.match(e.name) if isinstance(e.name, str) else None
    if m is None:
        raise ModelError(f"manifest entry {e.name!r}: name must be <family>-<size>-v<N>")
    if m["family"] != e.family or m["size"] != e.size:
        raise ModelError(f"manifest entry {e.name!r}: name disagrees with family/size")
    if e.family not in FAMILIES:
        raise ModelError(f"manifest entry {e.name!r}: unknown family {e.family!r}")
    if e.family == "classic":
        if e.id >= FIRST_LEARNED_ID or e.file is not None:
            raise ModelError(f"manifest entry {e.name!r}: hand-made predictors use ids < 100 and no file")
    else:
        if e.id < FIRST_LEARNED_ID:
            raise ModelError(f"manifest entry {e.name!r}: learned models use ids >= {FIRST_LEARNED_ID}")
        if not isinstance(e.file, str) or not isinstance(e.sha256, str) or not _SHA_RE.match(e.sha256):
            raise ModelError(f"manifest entry {e.name!r}: learned models need a file and a sha256")
    if not isinstance(e.architecture, dict) or not isinstance(e.params, int):
        raise ModelError(f"manifest entry {e.name!r}: architecture must be an object, params an integer")


class Registry:
    """All models of one manifest, indexed by id and by name."""

    def __init__(self, entries: list[ModelEntry]):
        self.by_id: dict[int, ModelEntry] = {}
        self.by_name: dict[str, ModelEntry] = {}
        for e in entries:
            if e.id in self.by_id:
                raise ModelError(f"manifest reuses id {e.id}")
            if e.name in self.by_name:
                raise ModelError(f"manifest reuses name {e.name}")
            self.by_id[e.id] = e
            self.by_name[e.name] = e

    @classmethod
    def from_json(cls, text: str | bytes) -> Registry:
        try:
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"model manifest is not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != 1 or not isinstance(doc.get("models"), list):
            raise ModelError("model manifest has an unknown format")
        return cls([_entry_from_json(raw) for raw in doc["models"]])

    def get(self, key: int | str) -> ModelEntry:
        """Look a model up by numeric id or by name."""
        table: dict[Any, ModelEntry] = self.by_id if isinstance(key, int) else self.by_name
        try:
            return table[key]
        except KeyError:
            kind = "id" if isinstance(key, int) else "name"
            raise ModelError(f"unknown model {kind} {key!r} (written by a newer mlzip?)") from None

    def entries(self) -> list[ModelEntry]:
        return sorted(self.by_id.values(), key=lambda e: e.id)


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The manifest shipped with this installation."""
    path = models_dir() / MANIFEST_NAME
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"model manifest unreadable: {exc}") from None
    return Registry.from_json(text)


def lookup(key: int | str) -> ModelEntry:
    return registry().get(key)


def load_model_bytes(entry: ModelEntry) -> bytes:
    """The verified weight bytes of a learned model."""
    if entry.file is None or entry.sha256 is None:
        raise ModelError(f"model {entry.name} has no weights file")
    return load_verified(entry.file, entry.sha256)


def load_model(key: int | str) -> Any:
    """A ready-to-run model: None for hand-made predictors, an integer network for learned ones."""
    entry = lookup(key)
    if not entry.learned:
        return None
    from mlzip.nn.model import IntModel  # numpy only; imported here so listing models stays cheap

    return IntModel.from_bytes(load_model_bytes(entry))
