"""The CLI as users run it: real processes, pipes, a terminal, a process pool, start-up imports."""

import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlzip import api

ROOT = Path(__file__).resolve().parent.parent
MLZIP = [sys.executable, "-m", "mlzip"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def mlzip(*args, **kw):
    kw.setdefault("capture_output", True)
    return subprocess.run([*MLZIP, *args], env=ENV, **kw)


def test_pipeline_round_trip(tmp_path):
    data = os.urandom(5000) + b"text " * 3000
    packed = mlzip("c", input=data)
    assert packed.returncode == 0 and packed.stderr == b""
    unpacked = mlzip("d", input=packed.stdout)
    assert unpacked.returncode == 0 and unpacked.stdout == data
    # a real shell pipe between two processes
    (tmp_path / "in").write_bytes(data)
    cmd = f"{sys.executable} -m mlzip c -c in | {sys.executable} -m mlzip d | cmp - in"
    assert subprocess.run(cmd, shell=True, cwd=tmp_path, env=ENV).returncode == 0


def test_corrupt_input_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "x.mlz").write_bytes(b"\x89MLZ\x01" + b"\x00" * 10)
    result = mlzip("d", "x.mlz", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == b"mlzip: x.mlz: truncated header of member 1\n"


def test_compressed_data_is_not_written_to_a_terminal(tmp_path):
    (tmp_path / "f").write_bytes(b"data")
    main, tty = pty.openpty()
    try:
        result = subprocess.run([*MLZIP, "c", "-c", "f"], cwd=tmp_path, env=ENV, stdout=tty, stderr=subprocess.PIPE)
        assert result.returncode == 1 and b"not written to a terminal" in result.stderr
        result = subprocess.run([*MLZIP, "d"], cwd=tmp_path, env=ENV, stdin=tty, capture_output=True)
        assert result.returncode == 1 and b"not read from a terminal" in result.stderr
    finally:
        os.close(main)
        os.close(tty)


def test_broken_pipe_is_quiet(tmp_path):
    (tmp_path / "big").write_bytes(os.urandom(1 << 20))
    assert mlzip("c", "big", cwd=tmp_path).returncode == 0
    cmd = f"{sys.executable} -m mlzip d -c big.mlz | head -c 10 > /dev/null"
    result = subprocess.run(cmd, shell=True, cwd=tmp_path, env=ENV, capture_output=True)
    assert b"Traceback" not in result.stderr


def _tree(root: Path) -> None:
    for i in range(6):
        sub = root / f"d{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.txt").write_bytes(b"line %d\n" % i * (200 * (i + 1)))
        (sub / f"r{i}.bin").write_bytes(bytes((i * 7 + j) % 251 for j in range(3000)))


def test_threads_give_the_same_outputs(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _tree(one)
    shutil.copytree(one, two)  # copytree keeps mtimes, which are stored
    shutil.copytree(one, tmp_path / "three")
    assert mlzip("c", "-r", "-T", "1", "one", cwd=tmp_path).returncode == 0
    result = mlzip("c", "-r", "-T2", "two", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files_one = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files_one and all(p.suffix == ".mlz" for p in files_one)
    for rel in files_one:
        assert (one / rel).read_bytes() == (two / rel).read_bytes()
    originals = [str(tmp_path / "three" / r.with_suffix("")) for r in files_one]
    concatenated = mlzip("c", "-c", "-T", "2", *originals, cwd=tmp_path)
    assert concatenated.stdout == b"".join((one / r).read_bytes() for r in files_one)  # -c: in order


def _imports_after(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
        f"sys.argv = ['mlzip', *{args!r}]\n"
        "from mlzip.cli import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True, text=True)
    line = [x for x in result.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(line.split()[1:])


def test_help_and_small_decompress_do_not_import_torch(tmp_path):
    (tmp_path / "small.mlz").write_bytes(api.compress(os.urandom(50_000) + bytes(50_000)))
    for args in (["--help"], ["d", "-k", "small.mlz"]):
        modules = _imports_after(args, tmp_path)
        assert "mlzip.cli" in modules
        assert not {"torch", "numba"} & modules, args
    assert "zstandard" not in _imports_after(["--help"], tmp_path)


def _interruptible() -> None:
    """Ctrl-C as at a terminal: a runner started in the background (`cmd &` in a script) passes SIGINT
    on ignored, and mlzip, like gzip, leaves an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_interrupt_leaves_no_partial_output(tmp_path, threads):
    originals = {}
    for i in range(4):
        data = os.urandom(1 << 20).hex().encode()  # several seconds in all at -9, even on an idle machine
        (tmp_path / f"f{i}").write_bytes(data)
        originals[f"f{i}"] = data
    proc = subprocess.Popen(
        [*MLZIP, "c", "-9", "-T", threads, *originals], cwd=tmp_path, env=ENV, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=_interruptible,
    )
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, workers included
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.endswith(b"mlzip: interrupted\n")
    assert not list(tmp_path.glob(".mlzip-*"))
    for name, data in originals.items():
        packed = tmp_path / (name + ".mlz")
        if packed.exists():  # a finished file is complete; its input may be gone
            assert api.decompress(packed.read_bytes()) == data
        else:
            assert (tmp_path / name).read_bytes() == data


def test_numba_blas_probe_skip_leaves_scipy_importable():
    """The command skips numba's scipy BLAS probe at start-up; scipy must stay importable after."""
    code = (
        "import importlib.util, sys\n"
        "from mlzip import cli\n"
        "sys.meta_path.insert(0, cli._NoBlasProbe())\n"
        "import numba.np.arraymath as am\n"
        "print('blas', am._HAVE_BLAS)\n"
        "assert not any(isinstance(f, cli._NoBlasProbe) for f in sys.meta_path)\n"
        "if importlib.util.find_spec('scipy') is not None:\n"
        "    import scipy.linalg.cython_blas\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "blas False" in done.stdout
