"""The dictionary trainer (deterministic, skips CIFAR validation files), the shipped dictionary, the bench."""

from __future__ import annotations

import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlzip.assets import load_verified, model_path
from mlzip.errors import ModelError
from mlzip.header import bench, dictionary, encode_header

_ROOT = Path(__file__).resolve().parent.parent


def _trainer():
    spec = importlib.util.spec_from_file_location("train_header_dict", _ROOT / "tools" / "train_header_dict.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_jpegs(directory: Path, count: int) -> None:
    rng = np.random.default_rng(7)
    for index in range(count):
        image = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
        exif = Image.Exif()
        exif[0x010F] = f"camera {index % 5}"
        exif[0x0110] = f"model {index % 3} " + "x" * (index % 40)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=50 + index % 50, exif=exif.tobytes(), comment=b"note %d" % index)
        (directory / f"{index:04d}.jpg").write_bytes(out.getvalue())


def test_training_is_deterministic_and_skips_the_cifar_validation_split(tmp_path):
    trainer = _trainer()
    cifar = tmp_path / "cifar10-jpeg" / "train" / "cat"
    cifar.mkdir(parents=True)
    _write_jpegs(cifar, 80)
    (cifar / "4500.jpg").write_bytes(b"not used")
    files = trainer.training_files([tmp_path])
    assert len(files) == 80 and all(int(p.stem) < 4500 for p in files)
    samples = trainer.collect_samples(files)
    first, second = trainer.train(samples, 1024), trainer.train(list(samples), 1024)
    assert first == second and len(first) >= 1024


def test_frequent_parts_keep_recurring_payloads_only():
    trainer = _trainer()
    common, rare = b"A" * 100, b"B" * 100
    assert trainer.frequent_parts([common, rare, common, common, b"short"] * 1 + [b"short"] * 5) == common


def test_shipped_dictionaries_pass_their_checksum():
    for name, sha256 in dictionary.DICTIONARIES.values():
        assert hashlib.sha256(load_verified(name, sha256)).hexdigest() == sha256
        assert model_path(name).stat().st_size <= 8192
    assert dictionary.CURRENT_ID in dictionary.DICTIONARIES
    with pytest.raises(ModelError):
        load_verified(dictionary.DICTIONARIES[1][0], "0" * 64)


def test_dictionary_helps_on_icc_profiles():
    """The sRGB profile recurs in real photos; with the dictionary it costs almost nothing."""
    name, sha256 = dictionary.DICTIONARIES[1]
    assert b"ICC_PROFILE" in load_verified(name, sha256)


def test_bench_measures_a_directory(tmp_path):
    _write_jpegs(tmp_path, 5)
    result = bench.measure(bench.select([tmp_path], first_index=2))
    assert result["headers"] == 3
    assert result["mean_after"] < result["mean_before"]
    assert encode_header(b"")  # the bench's files are all real headers; the API takes anything
