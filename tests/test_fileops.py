"""Safety of file-level work: atomic outputs, interrupted and failed writes, inputs that change."""

import errno
import os

import pytest

from mlzip import api, fileops
from mlzip.fileops import Action, Settings, Status

DATA = b"some bytes worth keeping " * 100


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(DATA)
    return path


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".mlzip-"))


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_failed_write_leaves_no_partial_output_and_keeps_the_input(src, monkeypatch, error):
    def fail(stream, data):
        stream.write(data[:10])
        raise error

    monkeypatch.setattr(fileops, "_write_all", fail)
    settings = Settings(Action.COMPRESS)
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            fileops.process_path(str(src), settings)
    else:
        outcome = fileops.process_path(str(src), settings)
        assert (outcome.status, outcome.message) == (Status.ERROR, "No space left on device")
    assert src.read_bytes() == DATA
    assert not (src.parent / "in.txt.mlz").exists() and _leftovers(src.parent) == []


def test_interrupt_during_rename_keeps_input(src, monkeypatch):
    def interrupted(temp, target, force):
        raise KeyboardInterrupt

    monkeypatch.setattr(fileops, "_publish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert src.read_bytes() == DATA and _leftovers(src.parent) == []


def test_file_changing_while_read_is_detected(src, monkeypatch):
    real = fileops._read_all

    def read_and_grow(stream, limit):
        data = real(stream, limit)
        with open(src, "ab") as other:
            other.write(b"more")
        return data

    monkeypatch.setattr(fileops, "_read_all", read_and_grow)
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.ERROR and outcome.message == "changed while being read -- unchanged"
    assert not (src.parent / "in.txt.mlz").exists() and src.read_bytes() == DATA + b"more"


def test_file_changing_after_read_is_kept(src, monkeypatch):
    real = fileops.transform

    def transform_then_touch(data, settings, **kw):
        out = real(data, settings, **kw)
        src.write_bytes(b"new content")
        return out

    monkeypatch.setattr(fileops, "transform", transform_then_touch)
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.WARNING and "changed after being read -- kept" in outcome.message
    assert src.read_bytes() == b"new content"
    assert api.decompress((src.parent / "in.txt.mlz").read_bytes()) == DATA


def test_target_appearing_meanwhile_is_not_replaced(src, monkeypatch):
    real = fileops._write_all

    def write_while_other_creates_target(stream, data):
        (src.parent / "in.txt.mlz").write_bytes(b"theirs")
        real(stream, data)

    monkeypatch.setattr(fileops, "_write_all", write_while_other_creates_target)
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.WARNING and "already exists" in outcome.message
    assert (src.parent / "in.txt.mlz").read_bytes() == b"theirs" and src.exists()
    assert _leftovers(src.parent) == []


def test_read_back_mismatch_keeps_input(src, monkeypatch):
    real = fileops._read_all
    monkeypatch.setattr(fileops, "_read_all", lambda stream, limit: real(stream, limit)[:-1] + b"?")
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.ERROR
    assert src.exists()


def test_hard_links_and_special_files(tmp_path, src):
    os.link(src, tmp_path / "other")
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.WARNING and "other link" in outcome.message
    assert fileops.process_path(str(src), Settings(Action.COMPRESS, keep=True)).status is Status.OK
    os.mkfifo(tmp_path / "fifo")
    outcome = fileops.process_path(str(tmp_path / "fifo"), Settings(Action.COMPRESS))
    assert outcome.status is Status.WARNING and "not a regular file" in outcome.message


def test_size_limit(src, monkeypatch):
    monkeypatch.setattr("mlzip.limits.MAX_INPUT_BYTES", 100)
    outcome = fileops.process_path(str(src), Settings(Action.COMPRESS))
    assert outcome.status is Status.ERROR and "past the limit" in outcome.message


def test_output_permissions_from_stdin(tmp_path):
    old = os.umask(0o022)
    try:
        outcome = fileops.process_bytes(DATA, Settings(Action.COMPRESS, output=str(tmp_path / "o.mlz")))
    finally:
        os.umask(old)
    assert outcome.status is Status.OK
    assert (tmp_path / "o.mlz").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "path, expected",
    [("a.jpg.mlz", "a.jpg"), ("dir/x.mlz", "dir/x"), (".mlz", None), ("dir/.mlz", None), ("a.jpg", None)],
)
def test_decompressed_name(path, expected):
    assert fileops.decompressed_name(path, ".mlz") == expected


def test_worst_status():
    assert fileops.worst([]) is Status.OK
    assert fileops.worst([Status.OK, Status.WARNING]) is Status.WARNING
    assert fileops.worst([Status.WARNING, Status.ERROR, Status.OK]) is Status.ERROR
