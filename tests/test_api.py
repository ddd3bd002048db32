import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlzip
from mlzip import api, container, jpegpath
from mlzip.errors import CorruptMember, LimitExceeded, MlzError, ModelError, UnsupportedJpeg

FAKE_JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"


@given(st.binary(max_size=4096), st.integers(1, 9))
@settings(max_examples=150, deadline=None)
def test_round_trip_arbitrary_bytes(data, level):
    blob = api.compress(data, level)
    assert api.decompress(blob) == data
    (info,) = api.inspect(blob)
    assert info.original_size == len(data) and info.compressed_size == len(blob)


@given(st.lists(st.binary(max_size=512), min_size=1, max_size=4))
@settings(max_examples=50, deadline=None)
def test_concatenated_members_decode_in_order(parts):
    assert api.decompress(b"".join(api.compress(p) for p in parts)) == b"".join(parts)


def test_modes_stored_and_zstd():
    assert api.inspect(api.compress(os.urandom(1000)))[0].mode == "stored"
    assert api.inspect(api.compress(b"a" * 1000))[0].mode == "zstd"
    assert api.inspect(api.compress(b""))[0].mode == "stored"


def test_name_and_mtime_are_kept():
    (info,) = api.inspect(api.compress(b"x" * 100, name="caf\udce9.jpg", mtime=123))
    assert info.name == "caf\udce9.jpg" and info.mtime == 123


def test_bad_level_and_size_limit(monkeypatch):
    with pytest.raises(ValueError):
        api.compress(b"x", 0)
    monkeypatch.setattr("mlzip.limits.MAX_INPUT_BYTES", 10)
    with pytest.raises(LimitExceeded):
        api.compress(b"x" * 11)


def _fake_jpeg(monkeypatch, *, wrong: bool = False):
    def encode(data, level, model):
        return container.MODE_JPEG_PLAIN, 5, [data[:10], data[10:][::-1]]

    def decode(mode, model_id, sections, original_size):
        assert (mode, model_id) == (container.MODE_JPEG_PLAIN, 5)
        out = sections[0] + sections[1][::-1]
        return out[:-1] + b"\x00" if wrong else out

    monkeypatch.setattr(jpegpath, "encode", encode)
    monkeypatch.setattr(jpegpath, "decode", decode)


def test_jpeg_path_is_taken_when_it_verifies(monkeypatch):
    _fake_jpeg(monkeypatch)
    blob = api.compress(FAKE_JPEG)
    (info,) = api.inspect(blob)
    assert (info.mode, info.model_id) == ("jpeg-plain", 5)
    assert api.decompress(blob) == FAKE_JPEG


def test_jpeg_path_that_gives_wrong_bytes_falls_back_to_zstd(monkeypatch):
    _fake_jpeg(monkeypatch, wrong=True)
    blob = api.compress(FAKE_JPEG)
    assert api.inspect(blob)[0].mode == "zstd"
    assert api.decompress(blob) == FAKE_JPEG


def test_unverified_wrong_jpeg_path_never_returns_wrong_bytes(monkeypatch):
    _fake_jpeg(monkeypatch, wrong=True)
    blob = api.compress(FAKE_JPEG, verify=False)
    assert api.inspect(blob)[0].mode == "jpeg-plain"
    with pytest.raises(CorruptMember, match="checksum"):
        api.decompress(blob)


@pytest.mark.parametrize("error", [UnsupportedJpeg("no"), IndexError("bug in the JPEG layer")])
def test_jpeg_path_refusal_or_bug_falls_back(monkeypatch, error):
    def encode(data, level, model):
        raise error

    monkeypatch.setattr(jpegpath, "encode", encode)
    blob = api.compress(FAKE_JPEG)
    assert api.inspect(blob)[0].mode == "zstd" and api.decompress(blob) == FAKE_JPEG


def test_model_errors_are_loud(monkeypatch):
    def encode(data, level, model):
        raise ModelError("weights missing")

    monkeypatch.setattr(jpegpath, "encode", encode)
    with pytest.raises(ModelError):
        api.compress(FAKE_JPEG, model="cnn-s")


def test_non_jpeg_never_calls_the_jpeg_path(monkeypatch):
    monkeypatch.setattr(jpegpath, "encode", lambda *a: pytest.fail("called"))
    api.compress(b"plain text " * 50)


def test_decoder_bug_on_damaged_section_reads_as_corruption(monkeypatch):
    _fake_jpeg(monkeypatch)
    blob = api.compress(FAKE_JPEG)
    monkeypatch.setattr(jpegpath, "decode", lambda *a: [][1])
    with pytest.raises(CorruptMember, match="altered"):
        api.decompress(blob)


def test_default_seam_refuses_unknown_modes():
    blob = container.encode_member(container.MODE_MODEL, 9, b"abc", [b"zz"])
    with pytest.raises(CorruptMember):
        api.decompress(blob)
    with pytest.raises(UnsupportedJpeg):
        jpegpath.encode(FAKE_JPEG, 6, None)


def _flip(blob: bytes, index: int) -> bytes:
    bad = bytearray(blob)
    bad[index] ^= 1
    return bytes(bad)


@pytest.mark.parametrize("data", [b"z" * 5000, os.urandom(300)], ids=["zstd", "stored"])
def test_altered_bytes_never_decode_to_wrong_bytes(data):
    blob = api.compress(data)
    detected = 0
    for i in range(len(blob)):
        try:
            out = api.decompress(_flip(blob, i))
        except MlzError:
            detected += 1
            continue
        assert out == data, f"flipping byte {i} decoded to wrong bytes"  # a don't-care bit of zstd
    assert detected >= len(blob) - 2


def test_zstd_section_errors():
    data = b"hello " * 200
    header, (frame,) = next(container.split_members(api.compress(data)))
    frame = bytes(frame)
    for sections, message in [
        ([frame + b"!"], "garbage after"),
        ([frame[:-4]], "truncated|altered"),
        ([b"not zstd at all"], "altered"),
        ([frame, frame], "sections"),
    ]:
        blob = container.encode_member(container.MODE_ZSTD, 0, data, sections)
        with pytest.raises(CorruptMember, match=message):
            api.decompress(blob)


def test_lazy_package_api():
    assert mlzip.compress is api.compress and issubclass(mlzip.MlzError, Exception)
    with pytest.raises(AttributeError):
        mlzip.nothing_here  # noqa: B018
    code = "import sys, mlzip; print('mlzip.api' in sys.modules, 'zstandard' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


_MEMBERS = [api.compress(b"abc" * 400, name="x"), api.compress(os.urandom(100)), api.compress(b"")]
_VALID = b"".join(_MEMBERS)
_BOUNDARIES = {len(_MEMBERS[0]), len(_MEMBERS[0]) + len(_MEMBERS[1])}


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_random_bytes_only_ever_raise_mlz_errors(blob):
    try:
        api.decompress(blob)
        api.inspect(blob)
    except MlzError:
        pass


@given(st.one_of(st.integers(0, len(_VALID) - 1), st.sampled_from(sorted(_BOUNDARIES))), st.binary(min_size=1, max_size=8), st.sampled_from(["set", "cut", "insert"]))
@settings(max_examples=300, deadline=None)
def test_damaged_streams_fail_cleanly_or_decode_exactly(pos, junk, how):
    original = api.decompress(_VALID)
    if how == "set":
        blob = _VALID[:pos] + junk + _VALID[pos + len(junk) :]
    elif how == "cut":
        blob = _VALID[:pos]
    else:
        blob = _VALID[:pos] + junk + _VALID[pos:]
    try:
        out = api.decompress(blob)
    except MlzError:
        return
    if how == "cut":  # a cut exactly between two members leaves a shorter valid file, as with gzip
        assert original.startswith(out) and len(blob) in _BOUNDARIES
    else:
        assert out == original  # only a don't-care bit may change without detection
