"""`mlzip train`: fit a block-grid hint predictor, export its frozen integer weights, measure it.

`train_main` is plain Python (mlzip.cli_train wires it into typer); torch is imported inside it so the
compress/decompress CLI never pays for it. The steps are separate functions so other families
(rnn, gan) reuse them: `select_sources` (train/validation files), `load_images`, `GRAPHS[family]`
(the trainable network for a spec), `finish_hint_model` (thresholds and bucket mode chosen in real
coded bits, mlzip.train.evaluate) and `manifest_entry`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlzip.errors import MlzError

SPLIT_SEED = 0  # the validation split never moves with --seed: figures stay comparable across runs


def _cnn_graph(spec: dict[str, Any]) -> Any:
    from mlzip.train.qat import QGraph

    return QGraph(spec)


# family -> builder of a trainable module with .spec, forward(x) -> {"head": ...} and export() -> IntModel.
# QGraph runs every op of mlzip.nn, the rnn family's gru included; gan trains the cnn generator with an
# adversarial term (mlzip.train.gan) beside the rate loss.
GRAPHS: dict[str, Callable[[dict[str, Any]], Any]] = {"cnn": _cnn_graph, "rnn": _cnn_graph, "gan": _cnn_graph}
FAMILIES = tuple(GRAPHS)


def select_sources(data: Sequence[str | Path], val_fraction: float, max_files: int | None, max_val: int | None,
                   seed: int) -> tuple[list[Path], dict[str, list[Path]]]:
    """Training files of every --data dir (at most max_files each) and validation files per dir (at most
    max_val each), by mlzip.train.data's stable split."""
    from mlzip.train import data as D

    train: list[Path] = []
    val: dict[str, list[Path]] = {}
    for d in data:
        tr, va = D.split_sources(D.list_sources([d]), val_fraction, SPLIT_SEED)
        train += D.subset(tr, max_files, seed)
        if va:
            name = Path(d).name if Path(d).name not in ("train", "jpeg", "") else Path(d).parent.name
            val[f"{name}-val"] = D.subset(va, max_val, SPLIT_SEED)
    return train, val


def load_images(files: Sequence[Path], seed: int, reencodes: int, jpeg_reencodes: int = 0) -> list[Any]:
    from mlzip.train import data as D

    rng = np.random.default_rng(seed)
    return [c for _, c in D.iter_coefficients(files, rng, reencodes, jpeg_reencodes=jpeg_reencodes)]


def threshold_candidates() -> dict[str, np.ndarray]:
    """Ways to turn head codes into coder buckets, each measured in real bits: the classic model's meaning
    (bucket = bit length of gain x predicted magnitude; edge AC at 4x the 7x7 gain) with the AC and DC
    gains varied around the best measured ones (cnn-s, 1500 steps: AC x2, edges x8, DC x32; AC x1 and x4
    and DC x2..x8 were worse). Per-slot quantiles and per-image ranks of the predictions were 0.5 to 1
    point worse on every set, since the coder's trained prior expects the classic meaning."""
    from mlzip.learned.hints import edge_slots, pow2_thresholds

    out: dict[str, np.ndarray] = {}
    for ac_gain in (1.5, 2.0, 3.0):
        for dc_gain in (16.0, 32.0, 64.0):
            gains = np.where(edge_slots(), 4 * ac_gain, ac_gain)
            gains[0] = dc_gain
            out[f"ac{ac_gain:g}-dc{dc_gain:g}"] = pow2_thresholds(gains)
    return out


def finish_hint_model(model: Any, scheme: str, val_sets: dict[str, list[Any]]) -> tuple[Any, dict[str, Any]]:
    """Freeze a coder-hint network: of the threshold candidates, keep the one with the best mean real-bit
    saving over the validation sets (each set counts alike: CIFAR's bytes are few). Returns (model, figures)."""
    from mlzip.learned.hints import HintModel
    from mlzip.train.evaluate import coded_sizes, compare

    candidates = threshold_candidates()
    arms: dict[str, Any] = {"classic": None}
    for name, thr in candidates.items():
        clone = type(model)({**model.spec, "hint": {"scheme": scheme, "buckets": "frozen"}},
                            {**model.tensors, "hint.thresholds": thr})
        arms[name] = HintModel(clone)
    sizes = {name: coded_sizes(images, arms) for name, images in val_sets.items()}
    saving = {arm: float(np.mean([compare(s, "classic", arm)["saving"] for s in sizes.values()]))
              for arm in candidates}
    best = max(saving, key=saving.__getitem__)
    model.spec["hint"] = {"scheme": scheme, "buckets": "frozen"}
    model.tensors["hint.thresholds"] = candidates[best]
    figures = {name: {**compare(s, "classic", best), "images": int(s["images"]),
                      "seconds_classic": s["seconds:classic"], "seconds_model": s[f"seconds:{best}"]}
               for name, s in sizes.items()}
    return model, {"buckets": best, "candidates": {k: round(v, 5) for k, v in saving.items()}, "real_bits": figures}


def manifest_entry(*, family: str, size: str, scheme: str, blob: bytes, out: Path, model: Any, data: Sequence[Any],
                   hist: Any, options: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    from mlzip.train.arch import SIZES

    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items())
    return {
        "name": f"{family}-{size}-vN",
        "family": family,
        "size": size,
        "file": out.name,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "architecture": {"kind": family, "scheme": scheme, **SIZES[size], "inputs": model.spec["input"]["channels"],
                         "outputs": int(model.spec["layers"][-1]["cout"]), "hint": model.spec.get("hint")},
        "params": model.params,
        "training": {"data": [str(d) for d in data], "steps": hist.steps[-1], "seconds": round(hist.seconds, 1),
                     **options,
                     "command": f"mlzip train --family {family} --size {size} --scheme {scheme} {flags} "
                                + " ".join(f"--data {d}" for d in data) + f" --out {out.name}"},
        "measured": {"val_mse": hist.val_loss[-1] if hist.val_loss else None,
                     "val_curve": [[s, round(v, 5)] for s, v in zip(hist.val_steps, hist.val_loss)],
                     "train_loss_first": hist.train_loss[0], "train_loss_last": hist.train_loss[-1], **measured},
    }


def train_main(*, family: str = "cnn", size: str = "s", data: Sequence[str | Path], out: str | Path,
               scheme: str = "luma", steps: int = 2000, minutes: float | None = None, seed: int = 0,
               val_fraction: float = 0.1, reencodes: int = 2, jpeg_reencodes: int = 0, batch: int = 8,
               crop: int = 24, small_batch: int = 32, lr: float = 3e-3, threads: int = 1,
               max_files: int | None = None, max_val: int | None = 300, checkpoint: str | Path | None = None,
               quiet: bool = False, adv_weight: float | None = None, val_every: int | None = None,
               on_validation: Callable[[int, Any], None] | None = None) -> dict[str, Any]:
    """Train, validate, export. Writes OUT (integer weights, MLZNN format) and OUT.json (a manifest entry
    draft with the training command, validation loss and, for coder schemes, real coded-bit figures).
    `adv_weight`: the gan family's weight of the adversarial loss beside the rate loss (None: mlzip.train.gan's
    DEFAULT_WEIGHT, the one the shipped gan models use). `val_every` (default steps // 10) and `on_validation`
    (step, graph), called after each validation: mlzip.train.loop.train's, for learning curves."""
    from mlzip.train.arch import FULL_MAP_SCHEMES, SIZES

    if family not in GRAPHS:
        raise MlzError(f"unknown family {family!r} (have: {', '.join(FAMILIES)})")
    if size not in SIZES:
        raise MlzError(f"unknown size {size!r} (have: {', '.join(SIZES)})")
    from mlzip.train.features import SCHEMES

    if scheme not in SCHEMES:
        raise MlzError(f"unknown scheme {scheme!r} (have: {', '.join(SCHEMES)})")
    if family == "rnn" and scheme not in FULL_MAP_SCHEMES:
        raise MlzError(f"the rnn family needs a scheme with the whole input map ({', '.join(FULL_MAP_SCHEMES)})")
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from mlzip.train.arch import spec_for_scheme
    from mlzip.train.features import (CODER_SCHEMES, FEATURE_FRAC, FEATURE_RANGE, SIGN_THRESHOLDS, build_samples,
                                      fit_hint_thresholds, n_targets)
    from mlzip.train.loop import train

    torch.set_num_threads(threads)
    train_files, val_files = select_sources(data, val_fraction, max_files, max_val, seed)
    if not train_files or not val_files:
        raise MlzError("training needs files on both sides of the validation split")
    # compact storage (inputs fit int16, targets int8): full photos' 135-channel grids add up
    train_set = [(x.astype(np.int16), y.astype(np.int8))
                 for x, y in build_samples(load_images(train_files, seed, reencodes, jpeg_reencodes), scheme)]
    val_images = {name: load_images(files, SPLIT_SEED + 1, 1) for name, files in val_files.items()}
    val_set = [s for imgs in val_images.values() for s in build_samples(imgs, scheme)]
    if not train_set or not val_set:
        raise MlzError("no usable images in the training data")

    torch.manual_seed(seed)
    n_in = train_set[0][0].shape[0]
    graph = GRAPHS[family](spec_for_scheme(scheme, n_in, FEATURE_RANGE, n_targets(scheme), size, FEATURE_FRAC,
                                           family))
    adversary = None
    if family == "gan":
        from mlzip.train.gan import DEFAULT_WEIGHT, AdversarialTerm

        adv_weight = DEFAULT_WEIGHT if adv_weight is None else adv_weight
        adversary = AdversarialTerm(n_in, n_targets(scheme), FEATURE_FRAC, adv_weight)
    columns = (TextColumn("[bold]train"), BarColumn(),
               TextColumn("{task.completed}/{task.total} loss {task.fields[loss]:.4f}"), TimeRemainingColumn())
    with Progress(*columns, disable=quiet, transient=True) as bar:
        task = bar.add_task("train", total=steps, loss=float("nan"))
        hist = train(graph, train_set, val_set, steps=steps, seconds=None if minutes is None else minutes * 60,
                     batch=batch, crop=crop, lr=lr, seed=seed, val_every=val_every or max(steps // 10, 1),
                     checkpoint=None if checkpoint is None else Path(checkpoint),
                     small_batch=small_batch if scheme in CODER_SCHEMES else 0,
                     progress=lambda s, loss: bar.update(task, completed=s, loss=loss), adversary=adversary,
                     on_validation=on_validation)

    model = graph.export()
    if scheme in CODER_SCHEMES:
        model, measured = finish_hint_model(model, scheme, val_images)
    else:  # study schemes: 63 AC buckets and sign buckets (tools/ideal_bits.py)
        probe = [x for x, _ in train_set[:: max(1, len(train_set) // 300)]]
        model.tensors["hint.thresholds"] = fit_hint_thresholds([model.forward(x[None])["head"][0] for x in probe])
        model.tensors["hint.sign_thresholds"] = SIGN_THRESHOLDS.astype(np.int32)
        measured = {}
    blob = model.to_bytes()
    out = Path(out)
    out.write_bytes(blob)
    options = {"steps": steps, "seed": seed, "batch": batch, "crop": crop, "small_batch": small_batch, "lr": lr,
               "reencodes": reencodes, "jpeg_reencodes": jpeg_reencodes, "val_fraction": val_fraction,
               "max_files": max_files, "max_val": max_val}
    if minutes is not None:
        options["minutes"] = minutes
    if adversary is not None:
        from mlzip.train.gan import DEFAULT_WEIGHT

        if adv_weight != DEFAULT_WEIGHT:  # the recorded command names --adv-weight only when not the default
            options["adv_weight"] = adv_weight
        measured = {**measured, "adv_loss_first": adversary.gen_loss[0], "adv_loss_last": adversary.gen_loss[-1]}
    entry = manifest_entry(family=family, size=size, scheme=scheme, blob=blob, out=out, model=model, data=data,
                           hist=hist, options={k: v for k, v in options.items() if v is not None}, measured=measured)
    if adversary is not None:
        entry["training"]["adv_weight"] = adv_weight
    out.with_suffix(out.suffix + ".json").write_text(json.dumps(entry, indent=1))
    return entry
