"""The CLI through typer's CliRunner: conventions, refusals, exit codes."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlzip import api, cli

runner = CliRunner()
TEXT = b"mlzip test payload " * 300


def run(*args: str, input: bytes | None = None):
    return runner.invoke(cli.app, list(args), input=input)


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_bytes(TEXT)
    (tmp_path / "b.bin").write_bytes(os.urandom(2000))
    os.utime(tmp_path / "a.txt", (1_600_000_000, 1_600_000_000))
    os.chmod(tmp_path / "a.txt", 0o640)
    return tmp_path


def test_compress_then_decompress_replaces_files(work):
    result = run("c", "a.txt", "b.bin")
    assert result.exit_code == 0, result.stderr
    assert not (work / "a.txt").exists() and (work / "a.txt.mlz").exists()
    stat = (work / "a.txt.mlz").stat()
    assert stat.st_mtime == 1_600_000_000 and stat.st_mode & 0o777 == 0o640
    result = run("decompress", "a.txt.mlz", "b.bin.mlz")
    assert result.exit_code == 0, result.stderr
    assert (work / "a.txt").read_bytes() == TEXT and not (work / "a.txt.mlz").exists()
    assert (work / "a.txt").stat().st_mtime == 1_600_000_000
    assert not list(work.glob(".mlzip-*"))


def test_keep_stdout_and_rm(work):
    assert run("c", "-k", "a.txt").exit_code == 0
    assert (work / "a.txt").exists() and (work / "a.txt.mlz").exists()
    result = run("c", "-c", "b.bin")
    assert result.exit_code == 0 and (work / "b.bin").exists()
    assert api.decompress(result.stdout_bytes) == (work / "b.bin").read_bytes()
    assert run("d", "-k", "--rm", "-f", "a.txt.mlz").exit_code == 0
    assert not (work / "a.txt.mlz").exists()


def test_stdin_to_stdout():
    packed = run("c", input=TEXT)
    assert packed.exit_code == 0 and api.decompress(packed.stdout_bytes) == TEXT
    assert api.inspect(packed.stdout_bytes)[0].name is None
    unpacked = run("d", "-", input=packed.stdout_bytes)
    assert unpacked.exit_code == 0 and unpacked.stdout_bytes == TEXT


@pytest.mark.parametrize(
    "args, same_as",
    [
        (["-9"], ["--level", "9"]),
        (["--best"], ["-L", "9"]),
        (["--fast"], ["-1"]),
        (["-9kc"], ["-c", "--level", "9"]),
        (["-1", "-9"], ["--level", "9"]),
        (["-cT2", "-3"], ["-c", "-L3"]),
    ],
)
def test_gzip_level_flags(work, args, same_as):
    first = run("c", "-c", *args, "a.txt")
    second = run("c", "-c", *same_as, "a.txt")
    assert first.exit_code == second.exit_code == 0, first.stderr
    assert first.stdout_bytes == second.stdout_bytes


def test_levels_change_output(work):
    import random

    rnd = random.Random(1)
    words = [bytes(rnd.choices(b"abcdefgh", k=rnd.randint(2, 7))) for _ in range(300)]
    (work / "words").write_bytes(b" ".join(rnd.choices(words, k=20000)))
    fast, best = run("c", "-c", "-1", "words").stdout_bytes, run("c", "-c", "-9", "words").stdout_bytes
    assert len(best) < len(fast)
    assert run("c", "-c", "--level", "0", "a.txt").exit_code == 2


def test_existing_output_is_refused_without_force(work):
    (work / "a.txt.mlz").write_bytes(b"precious")
    result = run("c", "a.txt")
    assert result.exit_code == 2
    assert result.stderr == "mlzip: a.txt: a.txt.mlz already exists; not overwritten\n"
    assert (work / "a.txt.mlz").read_bytes() == b"precious" and (work / "a.txt").exists()
    assert run("c", "-f", "a.txt").exit_code == 0
    assert api.decompress((work / "a.txt.mlz").read_bytes()) == TEXT


def test_refusals_are_warnings_and_others_still_run(work):
    (work / "x.mlz").write_bytes(api.compress(b"x"))
    (work / "dir").mkdir()
    result = run("c", "x.mlz", "dir", "a.txt")
    assert result.exit_code == 2
    assert "mlzip: x.mlz: already has .mlz suffix -- unchanged" in result.stderr
    assert "mlzip: dir: is a directory -- ignored" in result.stderr
    assert (work / "a.txt.mlz").exists()
    result = run("d", "b.bin")
    assert result.exit_code == 2 and "b.bin: unknown suffix" in result.stderr
    assert run("d", "-c", "x.mlz").stdout_bytes == b"x"  # -c does not need the suffix


def test_quiet_hides_warnings_not_the_status(work):
    (work / "dir").mkdir()
    result = run("c", "-q", "dir")
    assert result.exit_code == 2 and result.stderr == ""


def test_error_beats_warning_and_processing_goes_on(work):
    (work / "dir").mkdir()
    result = run("c", "missing.txt", "dir", "a.txt")
    assert result.exit_code == 1
    assert "mlzip: missing.txt: No such file or directory" in result.stderr
    assert (work / "a.txt.mlz").exists()


def test_terminal_refusals(work, monkeypatch):
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    result = run("c", "-c", "a.txt")
    assert result.exit_code == 1 and "not written to a terminal" in result.stderr and not result.stdout_bytes
    assert run("c", input=TEXT).exit_code == 1
    result = run("d", input=api.compress(TEXT))
    assert result.exit_code == 1 and "not read from a terminal" in result.stderr
    assert run("t", input=api.compress(TEXT)).exit_code == 1
    assert run("c", "-c", "-f", "a.txt").exit_code == 0
    assert run("d", "-f", input=api.compress(TEXT)).stdout_bytes == TEXT
    assert run("d", "-c", "-f", input=api.compress(TEXT)).exit_code == 0


def _bad_files(work: Path) -> dict[str, bytes]:
    good = api.compress(TEXT, name="a.txt")
    flipped = bytearray(good)
    flipped[-20] ^= 1
    return {
        "truncated.mlz": good[:-7],
        "altered.mlz": bytes(flipped),
        "foreign.mlz": b"PK\x03\x04 this is a zip" * 4,
        "empty.mlz": b"",
        "garbage.mlz": good + b"\x00\x00",
        "newer.mlz": good[:4] + b"\x07" + good[5:],
    }


@pytest.mark.parametrize("command", ["d", "t"])
def test_corrupt_truncated_foreign_inputs(work, command):
    bad = _bad_files(work)
    for name, blob in bad.items():
        (work / name).write_bytes(blob)
    result = run(command, *bad)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(bad) and all(line.startswith("mlzip: ") for line in lines), result.stderr
    assert "truncated" in result.stderr and "checksum mismatch" in result.stderr
    assert "not an .mlz file" in result.stderr and "trailing garbage" in result.stderr
    assert "upgrade mlzip" in result.stderr and "Traceback" not in result.stderr
    for name, blob in bad.items():  # inputs untouched, no output, no temporary file
        assert (work / name).read_bytes() == blob
        assert not (work / name[:-4]).exists()
    assert not list(work.glob(".mlzip-*")) and not result.stdout_bytes


def test_test_command_and_flag(work):
    (work / "ok.mlz").write_bytes(api.compress(TEXT))
    assert run("test", "ok.mlz").exit_code == 0
    result = run("d", "-t", "-v", "ok.mlz")
    assert result.exit_code == 0 and result.stderr == "ok.mlz: OK\n"
    assert (work / "ok.mlz").exists() and not (work / "ok").exists()


def test_list_reads_headers_only(work):
    blob = bytearray(api.compress(TEXT, name="a.txt"))
    blob[-3] ^= 0xFF  # damaged data, intact header: list still works, test does not
    (work / "a.txt.mlz").write_bytes(bytes(blob))
    (work / "two.mlz").write_bytes(api.compress(TEXT) + api.compress(os.urandom(50)))
    result = run("l", "a.txt.mlz", "two.mlz")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["compressed", "uncompressed", "saved", "mode", "model", "name"]
    assert rows[1].split()[3:] == ["zstd", "0", "a.txt"]
    assert rows[2].split()[3:] == ["mixed", "0", "two"]
    assert rows[3].split()[-1] == "(totals)"
    assert run("t", "a.txt.mlz").exit_code == 1


def test_list_json(work):
    import json

    (work / "a.txt.mlz").write_bytes(api.compress(TEXT, name="a.txt", mtime=5))
    result = run("d", "-l", "--json", "a.txt.mlz")
    (entry,) = json.loads(result.stdout)
    assert entry["file"] == "a.txt.mlz" and entry["uncompressed"] == len(TEXT)
    (member,) = entry["members"]
    assert (member["mode"], member["model_id"], member["name"], member["mtime"]) == ("zstd", 0, "a.txt", 5)
    assert json.loads(run("list", "--json", input=bytes(work.joinpath("a.txt.mlz").read_bytes())).stdout)


def test_recursive_mixed_tree(work):
    tree = work / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    files = {
        "tree/photo.jpg": b"\xff\xd8\xff\xe0" + os.urandom(3000),
        "tree/notes.txt": TEXT,
        "tree/sub/empty": b"",
        "tree/sub/deeper/data.bin": os.urandom(500) * 3,
    }
    for name, data in files.items():
        (work / name).write_bytes(data)
    old = api.compress(b"already compressed")
    (tree / "sub" / "old.mlz").write_bytes(old)
    os.symlink(work / "a.txt", tree / "link.txt")
    result = run("c", "-r", "tree")
    assert result.exit_code == 0, result.stderr
    for name in files:
        assert not (work / name).exists() and (work / (name + ".mlz")).exists()
    assert (tree / "sub" / "old.mlz").read_bytes() == old and (tree / "link.txt").is_symlink()
    assert not (tree / "link.txt.mlz").exists()
    assert run("c", "tree").exit_code == 2  # a directory without -r
    result = run("d", "-r", "tree")
    assert result.exit_code == 0, result.stderr
    for name, data in files.items():
        assert (work / name).read_bytes() == data
    assert (tree / "sub" / "old").read_bytes() == b"already compressed"


def test_output_option(work):
    assert run("c", "-k", "-o", "out.pack", "a.txt").exit_code == 0
    assert api.decompress((work / "out.pack").read_bytes()) == TEXT
    assert run("d", "-o", "back.txt", "out.pack").exit_code == 0
    assert (work / "back.txt").read_bytes() == TEXT and not (work / "out.pack").exists()
    assert run("c", "-o", "x", "a.txt", "b.bin").exit_code == 2  # usage error
    assert run("c", "-c", "-o", "x", "a.txt").exit_code == 2
    assert run("c", "-o", "from-stdin.mlz", input=TEXT).exit_code == 0
    assert api.decompress((work / "from-stdin.mlz").read_bytes()) == TEXT


def test_suffix_option(work):
    assert run("c", "-S", ".pack", "a.txt").exit_code == 0
    assert (work / "a.txt.pack").exists()
    assert run("d", "a.txt.pack").exit_code == 2
    assert run("d", "--suffix", ".pack", "a.txt.pack").exit_code == 0
    assert (work / "a.txt").read_bytes() == TEXT


def test_names_and_mtimes(work):
    assert run("c", "-n", "-k", "a.txt").exit_code == 0
    (info,) = api.inspect((work / "a.txt.mlz").read_bytes())
    assert info.name is None and info.mtime is None
    (work / "renamed.mlz").write_bytes(api.compress(TEXT, name="../../evil/original.txt", mtime=1234))
    assert run("d", "-N", "renamed.mlz").exit_code == 0
    assert (work / "original.txt").read_bytes() == TEXT  # the stored name, never its path
    assert (work / "original.txt").stat().st_mtime == 1234


def test_concatenated_members(work):
    packed = run("c", "-c", "a.txt", "b.bin").stdout_bytes
    assert [i.name for i in api.inspect(packed)] == ["a.txt", "b.bin"]
    assert run("d", input=packed).stdout_bytes == TEXT + (work / "b.bin").read_bytes()


def test_symlink_needs_force(work):
    os.symlink("a.txt", work / "link")
    result = run("c", "link")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert run("c", "-f", "link").exit_code == 0 and (work / "link.mlz").exists()


def test_verbose_lines_and_summary(work):
    result = run("c", "-v", "-k", "a.txt")
    lines = result.stderr.splitlines()
    assert lines[0].startswith("a.txt: ") and "(zstd) -- created a.txt.mlz" in lines[0]
    assert lines[1].startswith("mlzip: 1 file, ") and "MB/s" in lines[1]


def test_no_verify_still_round_trips(work):
    assert run("c", "--no-verify", "a.txt").exit_code == 0
    assert run("d", "--no-verify", "-c", "a.txt.mlz").stdout_bytes == TEXT


def test_version_and_help():
    assert run("--version").stdout.strip() == f"mlzip {__import__('mlzip').__version__}"
    assert run("-V").exit_code == 0
    assert "compress" in run("--help").stdout


def test_level_rewrite_respects_option_values():
    cmd = cli.LevelCommand(name="x", params=[])
    assert cmd._rewrite(["-9", "--", "-1"]) == ["--level", "9", "--", "-1"]
    assert cli._split_cluster("k9T2", {"T"}) == ["-k", "--level", "9", "-T2"]
