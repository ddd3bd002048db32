"""tools/family_study.py on tiny generated data: real coded bits per arm, the JSON, the plot."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
pytest.importorskip("jpeglib")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import family_study  # noqa: E402

from mlzip.learned.features import N_LUMA_INPUTS  # noqa: E402
from mlzip.learned.hints import N_BUCKETS  # noqa: E402
from mlzip.train import features as F  # noqa: E402
from mlzip.train.arch import spec_for_scheme  # noqa: E402
from mlzip.train.qat import QGraph  # noqa: E402
from tests.jpeg_fixtures import make_jpeg, photo  # noqa: E402


def _hint_model(path: Path, family: str, seed: int) -> None:
    """An untrained luma-scheme model of the family (frozen thresholds at 0), and a training entry beside it."""
    torch.manual_seed(seed)
    model = QGraph(spec_for_scheme("luma", N_LUMA_INPUTS, F.FEATURE_RANGE, 64, "xs", F.FEATURE_FRAC, family)).export()
    model.spec["hint"] = {"scheme": "luma", "buckets": "frozen"}
    model.tensors["hint.thresholds"] = np.zeros((64, N_BUCKETS - 1), np.int32)
    path.write_bytes(model.to_bytes())
    meta = {"family": family, "size": "xs", "params": model.params,
            "training": {"steps": 10, "seconds": 1.5, **({"adv_weight": 0.1} if family == "gan" else {})},
            "measured": {"val_curve": [[5, 1.0], [10, 0.8]]}}
    path.with_suffix(path.suffix + ".json").write_text(json.dumps(meta))


def _tiny_dirs(tmp_path: Path) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(6):
        (photos / f"p{i}.jpg").write_bytes(make_jpeg(72, 56, i, quality=50 + 8 * i))
        photo(64, 48, 10 + i).save(photos / f"q{i}.png")
    cifar = tmp_path / "cifar10-jpeg" / "train"
    for cls in ("cat", "ship"):
        (cifar / cls).mkdir(parents=True)
        for n in (4500, 4501, 4502, 12, 13, 14):  # 4500+: validation; 0012-0014: training, never evaluated
            (cifar / cls / f"{n:04d}.jpg").write_bytes(make_jpeg(32, 32, n, quality=75, subsampling=2))
    return photos, cifar


def test_study_runs_on_tiny_data(tmp_path):
    photos, cifar = _tiny_dirs(tmp_path)
    models = [tmp_path / "cnn-xs.mlzn", tmp_path / "rnn-xs.mlzn", tmp_path / "gan-xs.mlzn"]
    for i, (m, fam) in enumerate(zip(models, ("cnn", "rnn", "gan"))):
        _hint_model(m, fam, i)
    out = tmp_path / "study"
    assert family_study.main(["eval", *map(str, models), "--photos", str(photos), "--cifar", str(cifar.parent),
                              "--cifar-per-class", "2", "--val-fraction", "0.5", "--out", str(out)]) == 0
    result = json.loads((out / "family_study.json").read_text())
    assert (out / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert result["sets"]["cifar"]["shared"]["images"] == 4
    assert 0 < result["sets"]["photos"]["shared"]["images"] < 12
    assert set(result["models"]) == {"classic", "cnn-xs", "rnn-xs", "gan-xs"}
    assert result["models"]["gan-xs"]["adversarial_weight"] == 0.1
    for s in result["sets"].values():
        arms = s["arms"]
        assert arms["classic"]["blob_vs_classic"] == 0 and arms["classic"]["hint_cpu_s_per_mb"] == 0
        assert all(0 < a["savings"] < 1 and a["bits_per_coef_chroma"] > 0 for a in arms.values())
        assert len({a["bits_per_coef"] for a in arms.values()}) > 1  # hints change the coded bits
    assert "| rnn-xs |" in family_study.table(result)


def test_no_images_is_an_error(tmp_path, capsys):
    assert family_study.main(["eval", "--photos", str(tmp_path)]) == 2


def test_curves_measure_real_bits_at_each_validation(tmp_path):
    from mlzip.train.cli import threshold_candidates
    from mlzip.train.evaluate import coded_bytes

    photos, cifar = _tiny_dirs(tmp_path)
    out = tmp_path / "study"
    assert family_study.main(["curves", "--family", "rnn", "--size", "xs", "--steps", "4", "--every", "2",
                              "--max-files", "20", "--data", str(photos), "--data", str(cifar),
                              "--photos", str(photos), "--photo-count", "3", "--val-fraction", "0.5",
                              "--cifar", str(cifar.parent), "--cifar-per-class", "2", "--out", str(out)]) == 0
    run = json.loads((out / "curves" / "rnn-xs.json").read_text())
    assert [p["step"] for p in run["points"]] == [2, 4]
    assert run["sets"]["photos"]["images"] == 3 and run["sets"]["cifar"]["images"] == 4
    # the classic reference is the coder's real output on the same images
    images = family_study.cifar_set(cifar.parent, 2)
    classic = 8 * sum(coded_bytes(i.coefs, None) for i in images) / sum(i.coefs.n_coefficients for i in images)
    for p in run["points"]:
        assert p["cifar"]["classic_bits_per_coef"] == round(classic, 6)
        assert p["photos"]["bits_per_coef"] > 0 and p["buckets"] in threshold_candidates()
    merged = json.loads((out / "learning_curves_bits.json").read_text())
    assert set(merged["runs"]) == {"rnn-xs"}
    assert (out / "learning_curves_bits.png").read_bytes()[:4] == b"\x89PNG"


def test_validation_hook_leaves_training_unchanged(tmp_path):
    from mlzip.train.cli import train_main

    photos, cifar = _tiny_dirs(tmp_path)
    seen: list[int] = []
    entries = [train_main(family="cnn", size="xs", data=[photos, cifar], out=tmp_path / f"m{k}.mlzn", scheme="luma",
                          steps=4, val_every=2, val_fraction=0.5, quiet=True,
                          on_validation=hook) for k, hook in enumerate([None, lambda s, g: seen.append(s)])]
    assert seen == [2, 4]
    assert entries[0]["sha256"] == entries[1]["sha256"]
