"""mlzip in real processes: determinism across processes and thread counts, the CLI end to end on a tree
of awkward JPEGs and other files, and the memory and time a hostile tiny JPEG costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jpeg_fixtures import exif_icc_jpeg, make_jpeg
from mlzip import api
from tools import fuzz_roundtrip as fz

ROOT = Path(__file__).resolve().parent.parent
MLZIP = [sys.executable, "-m", "mlzip"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def awkward_files() -> dict[str, bytes]:
    """Relative path -> content: JPEGs of every kind, damaged JPEGs, and files that are not JPEGs."""
    base = make_jpeg(40, 24, seed=1, quality=80)
    files = {
        "baseline.jpg": base,
        "progressive.jpg": make_jpeg(48, 33, seed=2, progressive=True, quality=90),
        "restarts.JPG": make_jpeg(33, 17, seed=3, restart_marker_blocks=1),
        "gray q1.jpg": make_jpeg(17, 9, mode="L", quality=1),
        "cmyk.jpeg": make_jpeg(16, 24, mode="CMYK"),
        "tiny 1x1.jpg": make_jpeg(1, 1),
        "exif-icc.jpg": exif_icc_jpeg(),
        "sub/truncated.jpg": base[: len(base) * 2 // 3],
        "sub/trailing.jpg": base + b"\x00trailer\xff\xd9",
        "sub/two images.jpg": base + make_jpeg(8, 8, seed=4),
        "sub/header only.jpg": base[: fz.scan_start(base)],
        "sub/deeper/declares 2000x2000.jpg": fz.set_dimensions(base, 2000, 2000),
        "sub/deeper/dri-7.jpg": fz.set_dri(base, 7),
        "sub/deeper/caf\u00e9 \u65e5\u672c.jpg": make_jpeg(20, 20, seed=5, subsampling=0),
        "-dash.jpg": make_jpeg(12, 12, seed=6),
        "empty": b"",
        "notes.txt": b"not a jpeg\n" * 300,
        "random.bin": bytes(fz.random.Random(1).randrange(256) for _ in range(3000)),
        "fake.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 100,
        "sub/soi-eoi.jpg": b"\xff\xd8\xff\xd9",
    }
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (1_600_000_000, 1_600_000_000))


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mlzip(*args: str, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    return subprocess.run([*MLZIP, *args], env=kw.pop("env", ENV), timeout=300, **kw)


# ---------------------------------------------------------------- determinism

_COMPRESS_DIR = """
import sys, hashlib
from pathlib import Path
from mlzip import api
for p in sorted(Path(sys.argv[1]).rglob('*')):
    if p.is_file():
        print(p.name, hashlib.sha256(api.compress(p.read_bytes())).hexdigest())
"""


@pytest.mark.parametrize("threads", ["1", "2"])
def test_same_bytes_in_separate_processes_and_numba_threads(tmp_path, threads):
    write_tree(tmp_path, awkward_files())
    in_here = "".join(
        f"{p.name} {__import__('hashlib').sha256(api.compress(p.read_bytes())).hexdigest()}\n"
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    )
    env = {**ENV, "NUMBA_NUM_THREADS": threads}
    result = subprocess.run([sys.executable, "-c", _COMPRESS_DIR, str(tmp_path)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == in_here


# ---------------------------------------------------------------- the CLI end to end


@pytest.mark.slow
def test_cli_tree_round_trip_with_one_and_two_workers(tmp_path):
    files = awkward_files()
    one, two = tmp_path / "one", tmp_path / "two"
    write_tree(one, files)
    write_tree(two, files)
    assert mlzip("c", "-r", "-T", "1", "one", cwd=tmp_path).returncode == 0
    result = mlzip("c", "-r", "-T", "2", "two", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    packed = read_tree(one)
    assert sorted(packed) == sorted(rel + ".mlz" for rel in files)  # every input replaced, nothing else
    assert packed == read_tree(two)  # -T 1 and -T 2: the same bytes

    result = mlzip("t", "-r", "one", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b""), result.stderr
    listing = mlzip("l", "--json", "-r", "one", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    entries = {Path(e["file"]).relative_to("one").as_posix(): e for e in json.loads(listing.stdout)}
    assert sorted(entries) == sorted(packed)
    for rel, data in files.items():
        (member,) = entries[rel + ".mlz"]["members"]
        assert member["original_size"] == len(data) and member["name"] == Path(rel).name
        assert member["compressed_size"] == len(packed[rel + ".mlz"])
        assert member["mode"] == ("model" if rel in JPEG_PATH_FILES else member["mode"])

    result = mlzip("d", "-r", "one", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_tree(one) == files
    assert all(p.stat().st_mtime == 1_600_000_000 for p in one.rglob("*") if p.is_file())


# Files of the tree that must take the coefficient path (clean or mildly damaged JPEGs).
JPEG_PATH_FILES = {"baseline.jpg", "progressive.jpg", "restarts.JPG", "gray q1.jpg", "cmyk.jpeg", "exif-icc.jpg"}


@pytest.mark.slow
def test_cli_pipelines_concatenate_members(tmp_path):
    files = awkward_files()
    write_tree(tmp_path, files)
    names = ["baseline.jpg", "empty", "sub/two images.jpg", "notes.txt", "cmyk.jpeg"]
    joined = b"".join(files[n] for n in names)
    packed = mlzip("c", "-c", *names, cwd=tmp_path)
    assert packed.returncode == 0, packed.stderr
    assert mlzip("d", "-c", input=packed.stdout).stdout == joined  # stdin to stdout
    (tmp_path / "all.mlz").write_bytes(packed.stdout)
    assert mlzip("d", "-c", "all.mlz", cwd=tmp_path).stdout == joined
    listing = json.loads(mlzip("l", "--json", "all.mlz", cwd=tmp_path).stdout)
    assert [m["original_size"] for m in listing[0]["members"]] == [len(files[n]) for n in names]
    # a shell pipe: stdin -> c -> d -> cmp, and members written by separate runs, concatenated
    cmd = (f"cat baseline.jpg | {sys.executable} -m mlzip c | {sys.executable} -m mlzip d | cmp - baseline.jpg && "
           f"({sys.executable} -m mlzip c -c cmyk.jpeg; {sys.executable} -m mlzip c < notes.txt) > two.mlz")
    assert subprocess.run(cmd, shell=True, cwd=tmp_path, env=ENV, timeout=300).returncode == 0
    assert api.decompress((tmp_path / "two.mlz").read_bytes()) == files["cmyk.jpeg"] + files["notes.txt"]
    assert all((tmp_path / n).read_bytes() == files[n] for n in names)  # -c never removes an input


@pytest.mark.slow
def test_cli_damaged_member_keeps_its_input_and_writes_nothing(tmp_path):
    files = {"a.jpg": make_jpeg(24, 16, seed=1), "b.jpg": make_jpeg(24, 16, seed=2)}
    write_tree(tmp_path, files)
    assert mlzip("c", "a.jpg", "b.jpg", cwd=tmp_path).returncode == 0
    packed = (tmp_path / "a.jpg.mlz").read_bytes()
    bad = bytearray(packed)
    bad[-5] ^= 0x10  # inside the coefficient section
    (tmp_path / "a.jpg.mlz").write_bytes(bytes(bad))
    for command in ("t", "d"):
        result = mlzip(command, "a.jpg.mlz", "b.jpg.mlz", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.decode().startswith("mlzip: a.jpg.mlz: ") and result.stderr.count(b"\n") == 1
        assert b"Traceback" not in result.stderr
    assert (tmp_path / "a.jpg.mlz").read_bytes() == bytes(bad)
    assert not (tmp_path / "a.jpg").exists()
    assert (tmp_path / "b.jpg").read_bytes() == files["b.jpg"] and not (tmp_path / "b.jpg.mlz").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg.mlz", "b.jpg"]  # no temporary left over


# ---------------------------------------------------------------- resources

_MEASURE = """
import json, resource, sys, time
from mlzip import api, container
from tools import fuzz_roundtrip as fz
sys.path.insert(0, 'tests')
from jpeg_fixtures import make_jpeg

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

height, width, mode, side = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
small = make_jpeg(16, 16, mode=mode, quality=75)
hostile = fz.set_dimensions(small, height, width)
if side == 'padded':  # the same header in a file just big enough for the declared-size rule
    from mlzip import jpeg, limits
    blocks = 0
    try:
        jpeg.parse(hostile)
    except Exception as exc:
        blocks = int(str(exc).split()[2])  # "JPEG declares N blocks, ..."
    pad = max(0, -(-(blocks - limits.JPEG_FREE_BLOCKS) // limits.JPEG_BLOCKS_PER_BYTE) - len(hostile)) + 4
    hostile = hostile[:2] + b''.join(bytes.fromhex('fffeffff') + bytes(65533) for _ in range(pad // 65537 + 1)) + hostile[2:]
if side == 'decompress':  # a member whose header section claims the hostile size, tiny coefficients
    from mlzip.header import decode_header, encode_header
    ((head, secs),) = container.split_members(api.compress(small))
    header = fz.set_dimensions(decode_header(bytes(secs[0])), height, width)
    member = fz.member_claiming(head, [encode_header(header), bytes(secs[1]), bytes(secs[2])])
    work = lambda: api.decompress(member)
else:
    work = lambda: api.decompress(api.compress(hostile)) == hostile or 1 / 0
work_small = lambda: api.decompress(api.compress(small))
work_small()
before = rss()
start = time.perf_counter()
try:
    work()
    outcome = 'ok'
except Exception as exc:
    outcome = type(exc).__name__
modes = [] if side == 'decompress' else [m.mode for m in api.inspect(api.compress(hostile))]
print(json.dumps({'input_bytes': len(hostile), 'seconds': time.perf_counter() - start,
                  'rss_growth_mb': rss() - before, 'outcome': outcome, 'modes': modes}))
"""


def measure(height: int, width: int, mode: str, side: str) -> dict:
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(height), str(width), mode, side], cwd=ROOT,
                            env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# The declared-size rule (mlzip/limits.py): a complete JPEG codes every block with at least one bit, so
# blocks <= 8 x bytes; blocks past 65536 + 16 x input bytes mean a hostile or mostly missing file, which
# compress sends to zstd and decode calls corrupt, before allocating the image.
# Under that rule a 1 KB input costs at most ~80k blocks (~10 MB of coefficients).
GROWTH_BOUND_MB = 50  # before the rule: ~250 MB (compress), ~130 MB (decompress)


@pytest.mark.slow
def test_hostile_dimensions_cost_little_to_compress():
    """8000x8000 gray declared by a ~400-byte file: refused by the JPEG layer, the file takes zstd."""
    figures = measure(8000, 8000, "L", "compress")
    assert figures["outcome"] == "ok" and figures["input_bytes"] < 600
    assert figures["modes"] != ["model"]
    assert figures["rss_growth_mb"] < GROWTH_BOUND_MB


@pytest.mark.slow
def test_hostile_member_costs_little_to_decompress():
    figures = measure(8000, 8000, "L", "decompress")
    assert figures["outcome"] == "CorruptMember"
    assert figures["rss_growth_mb"] < GROWTH_BOUND_MB


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
def test_worst_case_declared_size_under_the_pixel_limit(mode):
    """3000 x 65535 (just under MAX_JPEG_PIXELS), the scan data of a 16x16 image, padded with comments
    until the declared-size rule lets it through: the most a file of its size may cost. Must finish,
    exactly, on the coefficient path."""
    figures = measure(3000, 65535, mode, "padded")
    print(mode, figures)
    assert figures["outcome"] == "ok" and figures["seconds"] < 300
    assert figures["modes"] == ["model"]


def test_fuzz_tool_runs_and_summarizes(tmp_path):
    # one coder (the default level's): the tool's warm-up compiles what the cases use, on a cold numba
    # cache a minute or more for each variant
    result = subprocess.run([sys.executable, "tools/fuzz_roundtrip.py", "--seconds", "3", "--seed", "1", "--level", "6",
                             "--out", str(tmp_path)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["cases"] > 5 and summary["stats"].get("failing cases", 0) == 0
    assert summary["modes"].get("model", 0) > 0
