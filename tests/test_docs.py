"""Generated docs stay current; the format page and the README say what the code does."""

import importlib.util
import re
import shlex
import tomllib
from pathlib import Path

from mlzip import container

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current():
    assert _gen_docs().stale() == [], "run: python tools/gen_docs.py"


def test_staleness_is_detected(tmp_path):
    gen = _gen_docs()
    for path, text in gen.render_all().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "man").joinpath("mlzip.5").write_text("x")
    assert gen.stale(tmp_path) == []
    (tmp_path / "man" / "mlzip.1").write_text("old")
    (tmp_path / "man" / "mlzip.5").unlink()
    assert gen.stale(tmp_path) == ["man/mlzip.1", "man/mlzip.5"]


def test_man1_lists_every_option_of_every_command():
    import typer

    from mlzip import cli

    man = (ROOT / "man" / "mlzip.1").read_text()
    for name, command in typer.main.get_command(cli.app).commands.items():
        assert command.hidden or f'.SS "{name}' in man
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt.replace("-", r"\-") in man, (name, opt)
    assert "Usage errors" in man and ".B 130" in man


def test_man5_documents_the_layout_the_code_writes():
    page = (ROOT / "man" / "mlzip.5").read_text()
    fields = re.findall(r'^\.B "(\S+)  (.+?)  (\w+)"', page, flags=re.M)
    assert [f[2] for f in fields] == [
        "magic", "version", "mode", "flags", "model_id", "original_size", "checksum", "mtime",
        "name_length", "name", "section_count", "section_lengths", "header_crc",
    ]
    fixed = [(int(off), int(size)) for off, size, _ in fields if off.isdigit() and size.isdigit()]
    assert sum(size for _, size in fixed) == 7 == container._FIXED.size
    assert all(a + s == b for (a, s), (b, _) in zip(fixed, fixed[1:]))
    assert container.CHECKSUM_BYTES == 8 and '"\\-  8  checksum"' in page
    for number, name in container.MODE_NAMES.items():
        assert f".B {number} {name.replace('-', chr(92) + '-')}" in page
    assert "is 23 + 3 bytes" in " ".join(page.split())
    assert len(container.encode_member(container.MODE_STORED, 0, b"abc", [b"abc"])) == 26


def test_pyproject_installs_docs_and_completions():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data_files = config["tool"]["setuptools"]["data-files"]
    assert data_files["share/mlzip/models"] == ["models/*"]
    assert data_files["share/man/man1"] == ["man/mlzip.1"]
    assert data_files["share/man/man5"] == ["man/mlzip.5"]
    assert data_files["share/bash-completion/completions"] == ["completions/mlzip.bash"]
    assert data_files["share/zsh/site-functions"] == ["completions/_mlzip"]
    assert data_files["share/fish/vendor_completions.d"] == ["completions/mlzip.fish"]
    assert config["project"]["scripts"]["mlzip"] == "mlzip.cli:main"


def test_readme_commands_are_the_ci_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci.startswith("pip install torch==2.13.0 && ")
    assert ci in readme
    first_block = readme.split("```")[1]
    assert "pip install ." in first_block and "tests/data/sample.jpg" in first_block
    assert (ROOT / "tests" / "data" / "sample.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert readme.index(first_block) < readme.index(ci)


def test_readme_main_job_runs(tmp_path, monkeypatch):
    """The README's first command, minus `pip install .`, on a copy of the sample."""
    import shutil
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    line = next(x for x in readme.split("```")[1].splitlines() if "mlzip c" in x)
    commands = line.split("&&")[1:] if line.startswith("pip") else line.split("&&")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "sample.jpg", tmp_path / "tests" / "data")
    mlzip = f"{shlex.quote(sys.executable)} -m mlzip"
    script = " && ".join(c.strip().replace("mlzip ", mlzip + " ", 1) for c in commands)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # re-runnable
        assert subprocess.run(script, shell=True, cwd=tmp_path, env=env).returncode == 0


def test_bash_completion_script_completes(tmp_path):
    import os
    import subprocess
    import sys

    wrapper = tmp_path / "mlzip"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m mlzip "$@"\n')
    wrapper.chmod(0o755)
    script = (
        f"source {ROOT / 'completions' / 'mlzip.bash'}\n"
        "COMP_WORDS=(mlzip c --lev); COMP_CWORD=2; _mlzip_completion mlzip; echo \"${COMPREPLY[@]}\"\n"
        "COMP_WORDS=(mlzip decomp); COMP_CWORD=1; _mlzip_completion mlzip; echo \"${COMPREPLY[@]}\"\n"
    )
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split("\n")[:2] == ["--level", "decompress"]
