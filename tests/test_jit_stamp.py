"""Numba's cache must notice a change in any source compiled into a cached kernel (tools/stamp_jit.py)."""

import shutil
from pathlib import Path

from tools import stamp_jit

ROOT = Path(__file__).resolve().parent.parent


def test_every_numba_module_is_stamped_with_its_sources():
    assert stamp_jit.stale() == [], "run python tools/stamp_jit.py"


def test_stamp_follows_an_indirect_dependency(tmp_path, monkeypatch):
    """classic imports mixer, mixer imports rangecoder: editing rangecoder restamps both."""
    coder = tmp_path / "mlzip" / "coder"
    coder.mkdir(parents=True)
    for name in ("classic.py", "mixer.py", "rangecoder.py", "tables.py"):
        shutil.copy(ROOT / "mlzip" / "coder" / name, coder / name)
    shutil.copy(ROOT / "mlzip" / "jitviews.py", tmp_path / "mlzip" / "jitviews.py")  # classic imports it
    monkeypatch.setattr(stamp_jit, "PACKAGE", tmp_path / "mlzip")
    assert stamp_jit.stale() == []
    rangecoder = coder / "rangecoder.py"
    rangecoder.write_text(rangecoder.read_text().replace("MAX_COUNT = 255", "MAX_COUNT = 254"))
    assert sorted(p.name for p, _ in stamp_jit.stale()) == ["classic.py", "mixer.py"]
    assert stamp_jit.main([]) == 0 and stamp_jit.stale() == []
    text = (coder / "classic.py").read_text()
    assert stamp_jit.STAMP.search(text).group(1) == stamp_jit.expected_stamp(coder / "classic.py")


def test_one_run_settles_when_a_dependency_gets_its_first_stamp(tmp_path, monkeypatch):
    """a imports b, both njit, neither stamped: b's first stamp (stamped after a) changes the text a
    hashes, so a single pass would leave a stale; main() passes until nothing changes."""
    pkg = tmp_path / "mlzip"
    pkg.mkdir()
    (pkg / "c.py").write_text("X = 1\n")
    (pkg / "b.py").write_text("from numba import njit\n\nfrom mlzip.c import X\n\n\n@njit\ndef g():\n    return X\n")
    (pkg / "a.py").write_text("from numba import njit\n\nfrom mlzip.b import g\n\n\n@njit\ndef f():\n    return g()\n")
    monkeypatch.setattr(stamp_jit, "PACKAGE", pkg)
    assert sorted(p.name for p, _ in stamp_jit.stale()) == ["a.py", "b.py"]
    assert stamp_jit.main([]) == 0
    assert stamp_jit.stale() == []
    assert stamp_jit.main(["--check"]) == 0
