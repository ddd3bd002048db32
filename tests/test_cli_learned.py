"""`mlzip models`, `mlzip train` and model names in `mlzip l -v`, through typer's CliRunner."""

import json
import sys

import pytest
from typer.testing import CliRunner

from mlzip import cli, registry
from tests.jpeg_fixtures import make_jpeg

runner = CliRunner()


def run(*args: str):
    return runner.invoke(cli.app, list(args))


def test_models_lists_every_registry_entry():
    result = run("models")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["id", "name", "family", "size", "params"]
    for entry in registry.registry().entries():
        row = next(line for line in lines if line.split()[:2] == [str(entry.id), entry.name])
        assert row.split()[2:5] == [entry.family, entry.size, str(entry.params)]
    data = json.loads(run("models", "--json").stdout)
    assert [d["id"] for d in data] == [e.id for e in registry.registry().entries()]
    assert {"name", "family", "size", "params", "sha256", "training", "measured"} <= set(data[0])


def test_train_needs_data_and_out(tmp_path):
    result = run("train", "--out", str(tmp_path / "m.mlznn"))
    assert result.exit_code == 2 and result.stderr.startswith("mlzip: train: ")


def test_train_rejects_unknown_family(tmp_path):
    pytest.importorskip("torch")
    result = run("train", "--family", "transformer", "--data", str(tmp_path), "--out", str(tmp_path / "m.mlznn"))
    assert result.exit_code == 1 and "unknown family" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_train_without_torch_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    result = run("train", "--data", str(tmp_path), "--out", str(tmp_path / "m.mlznn"))
    assert result.exit_code == 1 and "install mlzip[train]" in result.stderr


def test_list_verbose_names_the_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.jpg").write_bytes(make_jpeg(48, 32))
    assert run("c", "-k", "p.jpg").exit_code == 0
    rows = run("l", "-v", "p.jpg.mlz").stdout.splitlines()
    assert rows[1].split()[3:5] == ["model", "classic-base-v1"]
