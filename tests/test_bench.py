"""mlzip bench: peers round-trip, failures are charged, the output files keep their shape."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from mlzip.bench.codecs import Codec
from mlzip.bench.corpus import collect
from mlzip.bench.errors import BenchError, ToolFailed
from mlzip.bench.external import ExternalCodec, Step, file_to_file
from mlzip.bench.harness import build_report, execute
from mlzip.bench.output import RESULT_KEYS, write_csv
from mlzip.bench.registry import default_tool_names, make_codec, parse_tools, peers


def make_jpeg(width: int = 64, height: int = 48, **save: object) -> bytes:
    """A small JPEG with some texture (a gradient plus a pattern) so it does not compress to nothing."""
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 7 + y * 3) % 256, (x * y) % 256, (x ^ y) * 5 % 256) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **{"quality": 80, **save})
    return buffer.getvalue()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    (root / "a.jpg").write_bytes(make_jpeg())
    (root / "sub").mkdir()
    (root / "sub" / "b.jpeg").write_bytes(make_jpeg(40, 40, progressive=True, subsampling=0))
    (root / "sub" / "c.JPG").write_bytes(make_jpeg(24, 16, quality=95))
    (root / "MANIFEST.tsv").write_text("not a picture\n")
    (root / ".hidden.jpg").write_bytes(make_jpeg(8, 8))
    return root


# Fakes: module-level classes, so the spawned worker processes can unpickle them.
class IdentityCodec(Codec):
    name = "identity"
    description = "gives the input back"

    def compress(self, data: bytes) -> bytes:
        return data

    def decompress(self, data: bytes) -> bytes:
        return data


class HalvingCodec(IdentityCodec):
    """'Compresses' by keeping a second copy aside: the output is half the size, yet exact."""

    name = "halving"

    def __init__(self) -> None:
        self.kept: dict[bytes, bytes] = {}

    def compress(self, data: bytes) -> bytes:
        packed = data[: len(data) // 2]
        self.kept[packed] = data
        return packed

    def decompress(self, data: bytes) -> bytes:
        return self.kept[data]


class CorruptingCodec(IdentityCodec):
    """Smaller output, and the right length back, but not the right bytes."""

    name = "corrupting"

    def compress(self, data: bytes) -> bytes:
        return data[:-10]

    def decompress(self, data: bytes) -> bytes:
        return data + bytes(10)


class RaisingCodec(IdentityCodec):
    name = "raising"

    def compress(self, data: bytes) -> bytes:
        raise ValueError("refuses everything")


class CrashingCodec(IdentityCodec):
    name = "crashing"

    def compress(self, data: bytes) -> bytes:
        os._exit(3)  # a native crash, as far as the bench can tell


class FirstRunHogCodec(IdentityCodec):
    """Holds 256 MB from its first run on, as a process that compiled a cold JIT cache does; a marker
    file (``marker``) tells later processes that the first run happened."""

    name = "first-run-hog"

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.held = bytearray()

    def compress(self, data: bytes) -> bytes:
        if not os.path.exists(self.marker):
            self.held = bytearray(256 << 20)
            self.held[::4096] = b"\1" * len(self.held[::4096])  # every page resident
            Path(self.marker).write_text("compiled")
        return data


class HangingCodec(IdentityCodec):
    name = "hanging"

    def compress(self, data: bytes) -> bytes:
        import time

        time.sleep(60)
        return data


class AbsentCodec(IdentityCodec):
    name = "absent"

    def availability(self) -> str | None:
        return "not installed here"


FAKES = [IdentityCodec(), HalvingCodec(), CorruptingCodec(), RaisingCodec(), CrashingCodec(), AbsentCodec()]


@pytest.fixture(scope="module")
def fake_run(corpus: Path):  # type: ignore[no-untyped-def]
    return execute(FAKES, collect([corpus]), repeat=2, baseline="identity", timeout=60, settings={"dirs": [str(corpus)]})


# --- peers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [p.name for p in peers()])
def test_each_available_peer_round_trips_a_jpeg(name: str) -> None:
    codec = make_codec(name)
    if not codec.available():
        pytest.skip(f"{name}: {codec.availability()}")
    codec.prepare()
    data = make_jpeg()
    packed = codec.compress(data)
    assert isinstance(packed, bytes) and packed != data
    assert codec.decompress(packed) == data
    assert codec.version() not in ("", "n/a")


def test_lepton_verify_refuses_output_that_decodes_to_other_bytes(monkeypatch) -> None:
    from mlzip.bench import codecs

    monkeypatch.setattr(codecs.LeptonCodec, "compress", lambda self, data: b"packed")
    monkeypatch.setattr(codecs.LeptonCodec, "decompress", lambda self, data: b"other")
    with pytest.raises(ValueError, match="does not decode"):
        codecs.LeptonVerifyCodec().compress(b"input")
    monkeypatch.setattr(codecs.LeptonCodec, "decompress", lambda self, data: b"input")
    assert codecs.LeptonVerifyCodec().compress(b"input") == b"packed"


def test_mlzip_tool_round_trips_and_reports_its_path() -> None:
    codec = make_codec("mlzip-6")
    if not codec.available():
        pytest.skip(f"mlzip.api not merged here: {codec.availability()}")
    data = make_jpeg()
    packed = codec.compress(data)
    assert codec.decompress(packed) == data
    assert codec.describe(packed)["mode"] in ("stored", "zstd", "jpeg-plain", "model")


def test_tool_names() -> None:
    assert [c.name for c in parse_tools("mlzip-1,zstd,mlzip:cnn-s-v1,zstd")] == ["mlzip-1", "zstd", "mlzip:cnn-s-v1"]
    unverified = make_codec("mlzip-3-noverify")
    assert (unverified.name, unverified.level, unverified.verify) == ("mlzip-3-noverify", 3, False)
    assert make_codec("mlzip:classic-noverify").model == "classic" and make_codec("mlzip-3").verify
    at_nine = make_codec("mlzip-9:cnn-xs-v1-noverify")
    assert (at_nine.name, at_nine.level, at_nine.model, at_nine.verify) == ("mlzip-9:cnn-xs-v1-noverify", 9, "cnn-xs-v1", False)
    assert make_codec("mlzip:cnn-xs-v1").level == 6
    assert {"mlzip-1", "mlzip-6", "mlzip-9", "lepton", "jxl", "zstd", "xz", "brotli", "packjpg", "paq8px"} <= set(default_tool_names())
    with pytest.raises(BenchError, match="unknown tool"):
        make_codec("mlzip-0")


def test_command_line_peer_runs_through_temporary_files() -> None:
    copy = file_to_file("cp", "cp both ways", ("cp",), ("cp",), ".copy")
    assert copy.available() and copy.runs_subprocess
    data = make_jpeg()
    assert copy.decompress(copy.compress(data)) == data
    failing = ExternalCodec("false", "exits 1", Step(("false", "{in}"), "x.jpg", "x.out"), Step(("false",), "x.out", "x.jpg"))
    with pytest.raises(ToolFailed, match="exited 1"):
        failing.compress(data)
    silent = ExternalCodec("true", "writes nothing", Step(("true",), "x.jpg", "x.out"), Step(("true",), "x.out", "x.jpg"))
    with pytest.raises(ToolFailed, match="wrote no x.out"):
        silent.compress(data)


# --- files -----------------------------------------------------------------------------------------

def test_collect_filters_sorts_and_limits(corpus: Path) -> None:
    assert [f.label for f in collect([corpus])] == ["a.jpg", "sub/b.jpeg", "sub/c.JPG"]
    assert [f.label for f in collect([corpus], include=["sub/*"])] == ["sub/b.jpeg", "sub/c.JPG"]
    assert [f.label for f in collect([corpus], include=["*.tsv"])] == ["MANIFEST.tsv"]
    assert [f.label for f in collect([corpus], limit=2)] == ["a.jpg", "sub/b.jpeg"]
    two = collect([corpus, corpus / "sub"])
    assert [f.label for f in two][-2:] == ["sub/b.jpeg", "sub/c.JPG"] and two[0].label == f"{corpus.name}/a.jpg"


# --- accounting ------------------------------------------------------------------------------------

def summary(run, name: str):  # type: ignore[no-untyped-def]
    return next(t.summary for t in run.tools if t.codec.name == name)


def test_exact_tools_are_credited(fake_run) -> None:  # type: ignore[no-untyped-def]
    total = sum(f.size for f in fake_run.files)
    identity, halving = summary(fake_run, "identity"), summary(fake_run, "halving")
    assert (identity.accepted, identity.failed, identity.savings) == (3, 0, 0.0)
    assert halving.accepted == 3 and halving.output_bytes == sum(f.size // 2 for f in fake_run.files)
    assert halving.savings == pytest.approx(1 - halving.output_bytes / total)
    assert halving.vs_baseline["size_ratio_common"] == pytest.approx(halving.output_bytes / total)
    assert identity.vs_baseline["size_ratio_common"] == 1.0
    assert halving.compress_mb_s_wall > 0 and halving.decompress_mb_s_cpu is not None
    assert identity.peak_rss_bytes and identity.idle_rss_bytes and identity.peak_memory_bytes is not None


@pytest.mark.parametrize(
    ("name", "error"),
    [("corrupting", "other bytes"), ("raising", "ValueError: refuses everything"), ("crashing", "died (exit code 3)")],
)
def test_failing_tools_are_charged_full_size_and_named(fake_run, name: str, error: str) -> None:  # type: ignore[no-untyped-def]
    s = summary(fake_run, name)
    assert (s.accepted, s.failed, s.savings) == (0, 3, 0.0)
    assert s.output_bytes == s.input_bytes == sum(f.size for f in fake_run.files)
    assert [f["file"] for f in s.failed_files] == [f.label for f in fake_run.files]
    assert all(error in f["error"] for f in s.failed_files)
    assert s.compress_mb_s_wall is None and s.savings_accepted is None


class BadInspectorCodec(IdentityCodec):
    name = "bad-inspector"

    def describe(self, packed: bytes) -> dict[str, object]:
        raise KeyError("no such member")


def test_a_broken_describe_keeps_an_exact_file_exact(tmp_path: Path) -> None:
    from mlzip.bench.worker import round_trip

    (tmp_path / "a.jpg").write_bytes(make_jpeg())
    result = round_trip(BadInspectorCodec(), str(tmp_path / "a.jpg"), 2)
    assert result["ok"] and result["compress_wall_s"] >= 0
    assert result["info"]["mode"].startswith("describe failed: KeyError")


def test_two_lanes_and_a_command_line_tool(corpus: Path) -> None:
    files = collect([corpus])
    copy = file_to_file("cp", "cp both ways", ("cp",), ("cp",), ".copy")
    run = execute([IdentityCodec(), copy], files, jobs=2, timeout=60)
    assert [(r.file, r.tool) for r in run.results] == [(f.label, t) for f in files for t in ("identity", "cp")]
    assert all(r.ok for r in run.results) and run.baseline is None
    cp = summary(run, "cp")
    assert cp.peak_child_rss_bytes and cp.peak_memory_bytes == cp.peak_child_rss_bytes
    assert cp.vs_baseline is None and cp.savings == 0.0


def test_a_tool_that_hangs_is_killed_and_failed(corpus: Path) -> None:
    from mlzip.bench.runner import run_bench

    results, _ = run_bench([HangingCodec()], collect([corpus], limit=1), timeout=0.5)
    assert [(r.ok, r.charged_size == r.size) for r in results] == [(False, True)]
    assert "no answer within 1 s (killed)" in results[0].error


def test_unavailable_tool_is_listed_not_run(fake_run) -> None:  # type: ignore[no-untyped-def]
    absent = next(t for t in fake_run.tools if t.codec.name == "absent")
    assert absent.unavailable_reason == "not installed here" and absent.summary is None
    assert {r.tool for r in fake_run.results} == {"identity", "halving", "corrupting", "raising", "crashing"}
    # some tool failed every file: no file is exact everywhere
    assert summary(fake_run, "identity").savings_common is None


# --- outputs ---------------------------------------------------------------------------------------

TOP_KEYS = ["schema", "schema_version", "created_utc", "command", "machine", "settings", "definitions", "corpus", "tools", "files", "results"]
MACHINE_KEYS = ["cpu_model", "logical_cores", "usable_cores", "physical_cores", "memory_bytes", "platform", "python", "load_average"]
CORPUS_KEYS = ["files", "bytes", "coefficients", "input_bits_per_coefficient"]
TOOL_KEYS = ["name", "description", "version", "available", "unavailable_reason", "summary"]
SUMMARY_KEYS = [
    "files", "accepted", "failed", "failed_files", "input_bytes", "output_bytes", "savings", "savings_accepted",
    "savings_common", "compress_mb_s_wall", "compress_mb_s_cpu", "decompress_mb_s_wall", "decompress_mb_s_cpu",
    "peak_memory_bytes", "peak_rss_bytes", "idle_rss_bytes", "peak_child_rss_bytes", "paths",
    "bits_per_coefficient", "vs_baseline",
]
FILE_KEYS = ["path", "size", "coefficients"]
CSV_KEYS = [
    "tool", "file", "size", "status", "compressed_size", "charged_size", "error", "compress_wall_s",
    "compress_cpu_s", "decompress_wall_s", "decompress_cpu_s", "mode", "model_id",
]


def test_json_schema_is_stable(fake_run) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(json.dumps(build_report(fake_run, ["mlzip", "bench"])))
    assert list(report) == TOP_KEYS
    assert (report["schema"], report["schema_version"]) == ("mlzip-bench", 1)
    assert list(report["machine"]) == MACHINE_KEYS and report["machine"]["logical_cores"] >= 1
    assert list(report["corpus"]) == CORPUS_KEYS and report["corpus"]["files"] == 3
    assert all(list(t) == TOOL_KEYS for t in report["tools"])
    assert all(list(t["summary"]) == SUMMARY_KEYS for t in report["tools"] if t["available"])
    assert list(report["tools"][0]["summary"]["vs_baseline"]) == [
        "size_ratio_common", "savings_points", "compress_speed_ratio", "decompress_speed_ratio"
    ]
    assert all(list(f) == FILE_KEYS for f in report["files"])
    assert all(list(r) == CSV_KEYS for r in report["results"]) and len(report["results"]) == 5 * 3
    assert {"savings", "mb_s", "peak_memory_bytes"} <= set(report["definitions"])


def test_csv_has_one_row_per_tool_and_file(fake_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_csv(fake_run.results, tmp_path / "r.csv")
    with (tmp_path / "r.csv").open() as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == CSV_KEYS == list(RESULT_KEYS)
    assert sorted((r["tool"], r["file"]) for r in rows) == sorted(
        (t, f.label) for t in ("identity", "halving", "corrupting", "raising", "crashing") for f in fake_run.files
    )
    corrupt = [r for r in rows if r["tool"] == "corrupting"]
    assert {r["status"] for r in corrupt} == {"failed"}
    assert all(int(r["charged_size"]) == int(r["size"]) == int(r["compressed_size"]) + 10 for r in corrupt)


def test_plot_is_a_png(fake_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mlzip.bench.plot import write_plot

    write_plot(fake_run, tmp_path / "p.png")
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_markdown_and_terminal_table(fake_run) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    from mlzip.bench.table import markdown, print_report

    text = markdown(fake_run)
    assert "| halving | 3 | 0 | " in text and "absent: unavailable (not installed here)" in text
    console = Console(record=True, width=250)
    print_report(fake_run, console)
    shown = console.export_text()
    assert "corrupting failed 3: a.jpg (round trip gave other bytes" in shown


def test_coefficients_are_counted(tmp_path: Path) -> None:
    from mlzip.bench.coefficients import count_files, counter_name

    if counter_name() is None:
        pytest.skip("neither mlzip.jpeg nor jpeglib is importable")
    (tmp_path / "a.jpg").write_bytes(make_jpeg(64, 48))  # 4:2:0: 8x6 luma blocks, 4x3 per chroma
    (tmp_path / "junk.jpg").write_bytes(b"not a jpeg")
    assert count_files([str(tmp_path / "a.jpg"), str(tmp_path / "junk.jpg")]) == [(48 + 2 * 12) * 64, None]


# --- command line ----------------------------------------------------------------------------------

def test_command_writes_every_output(corpus: Path, tmp_path: Path) -> None:
    from mlzip.bench.__main__ import app

    out = tmp_path
    result = CliRunner().invoke(app, [
        str(corpus), "--tools", "zstd,xz", "--baseline", "xz", "--include", "*.jp*g", "--include", "*.JPG",
        "--limit", "2", "-q", "--json", str(out / "r.json"), "--csv", str(out / "r.csv"),
        "--plot", str(out / "r.png"), "--markdown", str(out / "r.md"),
    ])
    assert result.exit_code == 0, result.output
    assert "zstd" in result.output and "vs xz" in result.output
    report = json.loads((out / "r.json").read_text())
    assert [f["path"] for f in report["files"]] == ["a.jpg", "sub/b.jpeg"]
    assert report["settings"]["baseline"] == "xz" and report["settings"]["include"] == ["*.jp*g", "*.JPG"]
    assert len((out / "r.csv").read_text().splitlines()) == 1 + 2 * 2
    assert (out / "r.png").read_bytes()[:4] == b"\x89PNG" and "| xz |" in (out / "r.md").read_text()


def test_command_rejects_bad_arguments(corpus: Path, tmp_path: Path) -> None:
    from mlzip.bench.__main__ import app

    runner = CliRunner()
    assert runner.invoke(app, [str(corpus), "--tools", "nope"]).exit_code == 2
    assert runner.invoke(app, [str(corpus), "--tools", "zstd", "--baseline", "xz"]).exit_code == 2
    assert runner.invoke(app, [str(corpus), "--json", str(tmp_path / "missing" / "r.json")]).exit_code == 2
    empty = runner.invoke(app, [str(corpus), "--tools", "zstd", "--include", "*.png"])
    assert empty.exit_code == 1 and "no files matched" in empty.output


def test_register_adds_bench_to_an_app() -> None:
    import typer

    from mlzip.bench import register

    app = typer.Typer()

    @app.command()
    def other() -> None:  # a second command, as in the real CLI, so `bench` is a subcommand
        pass

    register(app)
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "--baseline" in result.output


def test_package_import_is_light() -> None:
    heavy = ("matplotlib", "imagecodecs", "torch", "numpy", "lepton_jpeg_python", "jpeglib")
    code = f"import sys, mlzip.bench; loaded = [m for m in {heavy!r} if m in sys.modules]; assert not loaded, loaded"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_a_first_runs_leftovers_are_not_the_tools_peak(corpus: Path, tmp_path: Path) -> None:
    """The first file is coded once in a throwaway process (a cold numba cache compiles there): the
    measured worker's peak is its own work's."""
    from mlzip.bench.runner import run_bench

    marker = tmp_path / "compiled"
    results, memory = run_bench([FirstRunHogCodec(str(marker))], collect([corpus]), timeout=60)
    assert marker.exists() and all(r.ok for r in results)
    mark = memory["first-run-hog"]
    assert mark.peak_rss - mark.idle_rss < 128 << 20
