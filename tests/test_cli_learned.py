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


@pytest.mark.parametrize("name", [e.name for e in registry.registry().entries() if e.learned])
def test_compress_with_a_learned_model_from_the_command_line(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    data = make_jpeg(64, 48, seed=2)
    (tmp_path / "p.jpg").write_bytes(data)
    assert run("c", "-k", "--model", name, "p.jpg").exit_code == 0
    assert run("l", "-v", "p.jpg.mlz").stdout.splitlines()[1].split()[4] == name
    assert runner.invoke(cli.app, ["d", "-c", "p.jpg.mlz"]).stdout_bytes == data


def test_unknown_model_name_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.jpg").write_bytes(make_jpeg(32, 32))
    result = run("c", "-k", "--model", "cnn-zz-v9", "p.jpg")
    assert result.exit_code == 1 and result.stderr.startswith("mlzip: p.jpg: unknown model 'cnn-zz-v9'")


def test_levels_map_through_level_models(monkeypatch):
    """A level mapped to a learned model writes that model's id (no level is mapped while none wins)."""
    from mlzip import api, jpegpath

    learned = [e.id for e in registry.registry().entries() if e.learned]
    if not learned:
        pytest.skip("no learned model shipped")
    monkeypatch.setitem(jpegpath.LEVEL_MODELS, 9, learned[0])
    data = make_jpeg(40, 32)
    assert api.inspect(api.compress(data, 9))[0].model_id == learned[0]
    assert api.inspect(api.compress(data, 6))[0].model_id == jpegpath.CLASSIC_MODEL_ID


def test_shipped_training_commands_use_only_real_options():
    """Each learned model's manifest command is one `mlzip train` accepts (flags checked, not run)."""
    import typer.main

    train = typer.main.get_command(cli.app).commands["train"]
    options = {opt for p in train.params for opt in p.opts}
    for entry in registry.registry().entries():
        if entry.learned:
            words = entry.training["command"].split()
            assert words[:2] == ["mlzip", "train"]
            assert {w for w in words if w.startswith("--")} <= options, entry.name
