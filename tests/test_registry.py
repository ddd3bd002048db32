import hashlib
import json

import numpy as np
import pytest

from mlzip import assets, registry
from mlzip.errors import ModelError
from mlzip.nn import IntModel


def _learned_entry(file: str, sha: str, id_: int = 100) -> dict:
    return {"id": id_, "name": "cnn-xs-v1", "family": "cnn", "size": "xs", "file": file, "sha256": sha,
            "architecture": {"kind": "cnn"}, "params": 3}


def _doc(*entries: dict) -> str:
    return json.dumps({"format": 1, "models": list(entries)})


def test_shipped_manifest_has_classic_id_1():
    reg = registry.registry()
    classic = reg.get(1)
    assert classic.family == "classic" and classic.file is None and not classic.learned
    assert reg.get("classic-base-v1") is classic
    assert registry.load_model(1) is None
    assert all(e.id >= registry.FIRST_LEARNED_ID for e in reg.entries() if e.learned)


def test_unknown_id_and_name_raise_model_error():
    with pytest.raises(ModelError, match="unknown model id 4242"):
        registry.lookup(4242)
    with pytest.raises(ModelError, match="unknown model name"):
        registry.lookup("cnn-zz-v9")


@pytest.mark.parametrize(
    "entry, message",
    [
        ({**_learned_entry("a", "0" * 64), "id": 5}, "ids >= 100"),
        ({**_learned_entry("a", "0" * 64), "name": "cnn_xs"}, "<family>-<size>-v<N>"),
        ({**_learned_entry("a", "0" * 64), "sha256": "xyz"}, "sha256"),
        ({**_learned_entry("a", "0" * 64), "family": "gru", "name": "gru-xs-v1"}, "unknown family"),
        ({"id": 100, "name": "cnn-xs-v1"}, "lacks field"),
    ],
)
def test_bad_entries_are_rejected(entry, message):
    with pytest.raises(ModelError, match=message):
        registry.Registry.from_json(_doc(entry))


def test_reused_id_is_rejected():
    a = _learned_entry("a", "0" * 64)
    b = {**_learned_entry("b", "1" * 64), "name": "cnn-s-v1", "size": "s"}
    with pytest.raises(ModelError, match="reuses id 100"):
        registry.Registry.from_json(_doc(a, b))


def test_malformed_manifest():
    with pytest.raises(ModelError):
        registry.Registry.from_json(b"{not json")
    with pytest.raises(ModelError, match="unknown format"):
        registry.Registry.from_json(json.dumps({"format": 2, "models": []}))


def _tiny_model() -> IntModel:
    spec = {"input": {"channels": 1, "frac": 0, "range": [-8, 8]},
            "layers": [{"op": "conv", "name": "c", "src": "input", "k": 1, "groups": 1, "cout": 1,
                        "shift": 0, "frac": 0, "range": [-100, 100]}],
            "outputs": ["c"]}
    t = {"c.w": np.array([[[[3]]]], np.int8), "c.b": np.array([1], np.int32), "c.m": np.array([1], np.int32)}
    return IntModel(spec, t)


def test_load_model_verifies_sha256(tmp_path, monkeypatch):
    data = _tiny_model().to_bytes()
    (tmp_path / "cnn-xs-v1.mlzn").write_bytes(data)
    good = registry.Registry.from_json(_doc(_learned_entry("cnn-xs-v1.mlzn", hashlib.sha256(data).hexdigest())))
    monkeypatch.setattr(assets, "_CANDIDATES", (tmp_path,))
    assets.load_verified.cache_clear()
    monkeypatch.setattr(registry, "registry", lambda: good)
    model = registry.load_model(100)
    assert model.forward(np.full((1, 1, 2, 2), 2))["c"].tolist() == [[[[7, 7], [7, 7]]]]

    bad = registry.Registry.from_json(_doc(_learned_entry("cnn-xs-v1.mlzn", "f" * 64)))
    monkeypatch.setattr(registry, "registry", lambda: bad)
    assets.load_verified.cache_clear()
    with pytest.raises(ModelError, match="sha256"):
        registry.load_model("cnn-xs-v1")
    assets.load_verified.cache_clear()
