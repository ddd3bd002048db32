"""CNN vs RNN vs GAN, in real coded bits: every model through the actual coder on the same images.

    python tools/family_study.py eval MODEL.mlzn [MODEL.mlzn ...] --photos DIR [--photos DIR] \
        --cifar DIR --cifar-per-class 30 [--corpus DIR] --out study/
    python tools/family_study.py plot --out study/      # redraw plot and table from the JSON
    python tools/family_study.py curves --family cnn --size xs --steps 1500 --every 250 --max-files 2000 \
        --data TRAIN_DIR [--data DIR] --photos DIR --photo-count 8 --cifar DIR --cifar-per-class 10 --out study/

Per model (and the classic predictor as the baseline arm): the coefficient blob of mlzip.coder with
the model's chroma hints (luma keeps the classic buckets; the coder's hint_fn computes them between
component phases from the planes coded before, on both sides, as mlzip does), decoded again and
compared coefficient for coefficient (byte-exactness of the whole file is what `mlzip bench` checks).
Bytes are split into luma (the first plane coded alone, which no chroma hint changes), chroma (the
rest of the blob) and headers (mlzip.header's coder on SOI..SOS, plus bytes after EOI): the coder has
one stream and does not report DC / low AC / high AC apart. Savings = 1 - (blob + coded header) /
JPEG bytes. Costs, one thread, CPU seconds per MB of JPEG: the hint computation alone, and coefficient
compress and decompress (each including its hint computation; the JPEG layer's parse/rebuild, the
same for every arm, is left out). Training figures (parameters, steps, seconds, validation
curve) come from each model's MODEL.mlzn.json (written by `mlzip train`).

Evaluation images: the validation side of the photo dirs (mlzip.train.data's stable split; PNGs
re-encoded once with a fixed seed), CIFAR-10 files 4500-4999 of each class (never trained on),
`--cifar-per-class` of them per class, a seeded choice, and optionally every JPEG of a held-out
corpus (`--corpus`, set "dev"); files the reader refuses are left out of every arm alike.
Writes OUT/family_study.json and OUT/learning_curves.png.

`curves`: learning curves in real coded bits. Trains one family and size with `mlzip train`'s own
train_main (same options as the study's models) and, after every `--every` steps, exports the integer
model as train_main does at the end (threshold choice in real bits included, mlzip.train.cli's
finish_hint_model, here on the evaluation images), codes the evaluation images through the coder and
records coded bits per coefficient (all planes; luma keeps classic buckets) beside the classic
predictor's. Writes OUT/curves/FAMILY-SIZE.json, then merges every such run into
OUT/learning_curves_bits.json and draws OUT/learning_curves_bits.png (one line per family and size).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlzip.coder import decode_coefficients, encode_coefficients  # noqa: E402
from mlzip.header import encode_header  # noqa: E402
from mlzip.header.extract import jpeg_header  # noqa: E402
from mlzip.train import data as D  # noqa: E402


@dataclass
class EvalImage:
    name: str
    jpeg: bytes
    coefs: D.Coefs


def _load(name: str, jpeg: bytes) -> EvalImage | None:
    try:
        return EvalImage(name, jpeg, D.read_coefficients(jpeg))
    except Exception:  # noqa: BLE001 - evaluation data the reader refuses is left out (and counted)
        return None


def photo_set(dirs: Sequence[Path], val_fraction: float = 0.1, seed: int = 1) -> list[EvalImage]:
    """Validation side of the photo dirs: JPEGs as they are, PNGs re-encoded once (seeded)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    out = []
    for f in D.split_sources(D.list_sources(dirs), val_fraction)[1]:
        if f.suffix.lower() in D.JPEG_SUFFIXES:
            img = _load(f.name, f.read_bytes())
        else:
            with Image.open(f) as im:
                img = _load(f.name, D.reencode(im, rng)[0])
        if img is not None:
            out.append(img)
    return out


def corpus_set(root: Path) -> list[EvalImage]:
    """Every JPEG under root (a held-out evaluation corpus, e.g. corpus/dev), as it is."""
    files = [f for f in D.list_sources([root]) if f.suffix.lower() in D.JPEG_SUFFIXES]
    return [img for f in files if (img := _load(f.name, f.read_bytes())) is not None]


def cifar_set(root: Path, per_class: int, seed: int = 0) -> list[EvalImage]:
    """CIFAR-10 validation JPEGs (files 4500-4999 of each class), `per_class` of each, a seeded choice."""
    files = [f for f in D.list_sources([root]) if D.is_validation(f)]
    by_class: dict[str, list[Path]] = {}
    for f in files:
        by_class.setdefault(f.parent.name, []).append(f)
    chosen = [f for c in sorted(by_class) for f in D.subset(by_class[c], per_class, seed)]
    return [img for f in chosen if (img := _load(f"{f.parent.name}/{f.name}", f.read_bytes())) is not None]


def header_bytes(jpeg: bytes) -> int:
    """Coded header (mlzip.header) plus whatever follows the last EOI, as the container stores them."""
    head = jpeg_header(jpeg) or b""
    eoi = jpeg.rfind(b"\xff\xd9")
    tail = len(jpeg) - (eoi + 2) if eoi >= len(head) else 0
    return len(encode_header(head)) + tail if head else len(jpeg)


def measure_arm(images: Sequence[EvalImage], model: Any | None) -> dict[str, float]:
    """Blob bytes and CPU seconds: hints alone, compress, decompress (one thread; the hints are computed by
    the coder's hint_fn between component phases on both sides, as mlzip does). Raises if a decode
    differs (never a silent figure)."""
    tot = {"blob": 0, "hint_s": 0.0, "enc_s": 0.0, "dec_s": 0.0}
    for img in images:
        c = img.coefs
        shapes = [p.shape[:2] for p in c.components]

        def hint_fn() -> Any:
            return None if model is None else model.hint_fn(shapes, c.qtables, c.sampling)

        t0 = time.process_time()
        if model is not None:
            model.all_hints(c.components, c.qtables, c.sampling)
        t1 = time.process_time() if model is not None else t0
        blob = encode_coefficients(c.components, c.qtables, c.sampling, hint_fn=hint_fn(), threads=1)
        t2 = time.process_time()
        back = decode_coefficients(blob, shapes, c.qtables, c.sampling, hint_fn=hint_fn(), threads=1)
        t3 = time.process_time()
        if not all(np.array_equal(a, b) for a, b in zip(c.components, back)):
            raise AssertionError(f"{img.name}: coefficients differ after decoding")
        tot["blob"] += len(blob)
        tot["hint_s"] += t1 - t0
        tot["enc_s"] += t2 - t1
        tot["dec_s"] += t3 - t2
    return tot


def set_totals(images: Sequence[EvalImage]) -> dict[str, float]:
    """What every arm shares: JPEG bytes, coded headers, luma coded alone, coefficient counts."""
    luma = sum(len(encode_coefficients(i.coefs.components[:1], i.coefs.qtables[:1], i.coefs.sampling[:1]))
               for i in images)
    n = sum(i.coefs.n_coefficients for i in images)
    n_luma = sum(i.coefs.components[0].size for i in images)
    return {"images": len(images), "jpeg": sum(len(i.jpeg) for i in images),
            "headers": sum(header_bytes(i.jpeg) for i in images), "luma": luma,
            "coefficients": n, "chroma_coefficients": n - n_luma}


def arm_figures(shared: dict[str, float], arm: dict[str, float], classic_blob: float) -> dict[str, float]:
    mb = shared["jpeg"] / 1e6
    chroma = arm["blob"] - shared["luma"]
    return {
        "savings": round(1 - (arm["blob"] + shared["headers"]) / shared["jpeg"], 5),
        "bits_per_coef": round(8 * arm["blob"] / shared["coefficients"], 4),
        "bits_per_coef_luma": round(8 * shared["luma"] / (shared["coefficients"] - shared["chroma_coefficients"]), 4),
        "bits_per_coef_chroma": round(8 * chroma / max(shared["chroma_coefficients"], 1), 4),
        "bits_per_coef_headers": round(8 * shared["headers"] / shared["coefficients"], 4),
        "blob_vs_classic": round(1 - arm["blob"] / classic_blob, 5),
        "chroma_vs_classic": round((classic_blob - arm["blob"]) / max(classic_blob - shared["luma"], 1), 5),
        "hint_cpu_s_per_mb": round(arm["hint_s"] / mb, 3),
        "compress_cpu_s_per_mb": round(arm["enc_s"] / mb, 3),
        "decompress_cpu_s_per_mb": round(arm["dec_s"] / mb, 3),
    }


def load_model(path: Path) -> tuple[Any, dict[str, Any]]:
    """(HintModel, the training entry written beside it by `mlzip train`)."""
    from mlzip.learned.hints import HintModel

    model = HintModel.from_bytes(path.read_bytes())
    meta_path = path.with_suffix(path.suffix + ".json")
    if meta_path.is_file():
        return model, json.loads(meta_path.read_text())
    from mlzip import registry  # a shipped model: its manifest entry holds the same record

    entry = next((e for e in registry.registry().entries() if e.file == path.name), None)
    meta = {} if entry is None else {"family": entry.family, "size": entry.size, "params": entry.params,
                                     "training": entry.training, "measured": entry.measured}
    return model, meta


def study(model_paths: Sequence[Path], sets: dict[str, list[EvalImage]]) -> dict[str, Any]:
    # warm the numba kernels (both directions) so compile time is not charged to the first arm
    warm = [np.zeros((2, 2, 64), np.int16)]
    decode_coefficients(encode_coefficients(warm, [np.ones(64, np.int32)], [(1, 1)]), [(2, 2)],
                        [np.ones(64, np.int32)], [(1, 1)])
    arms: dict[str, tuple[Any | None, dict[str, Any]]] = {"classic": (None, {"family": "classic", "params": 0})}
    for p in model_paths:
        model, meta = load_model(p)
        arms[p.name[: -len(p.suffix)] if p.suffix else p.name] = (model, meta)
    result: dict[str, Any] = {"sets": {}, "models": {}}
    for set_name, images in sets.items():
        shared = set_totals(images)
        raw = {name: measure_arm(images, model) for name, (model, _) in arms.items()}
        result["sets"][set_name] = {
            "shared": shared,
            "arms": {name: arm_figures(shared, r, raw["classic"]["blob"]) for name, r in raw.items()},
        }
    for name, (_, meta) in arms.items():
        training = meta.get("training") or {}
        result["models"][name] = {
            "family": meta.get("family"), "size": meta.get("size"), "params": meta.get("params", 0),
            "steps": training.get("steps"), "train_seconds": training.get("seconds"),
            "adversarial_weight": training.get("adv_weight"),
            "val_curve": (meta.get("measured") or {}).get("val_curve", []),
        }
    return result


def table(result: dict[str, Any]) -> str:
    """Markdown table: one row per arm, savings and bits per set, costs."""
    sets = list(result["sets"])
    head = ["model", "params", "train s"]
    for s in sets:
        head += [f"{s} savings %", f"{s} chroma bits/coef", f"{s} chroma vs classic %"]
    head += [f"hint CPU s/MB ({sets[0]})", "compress CPU s/MB", "decompress CPU s/MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, info in result["models"].items():
        row = [name, str(info["params"]), "-" if info["train_seconds"] is None else f"{info['train_seconds']:.0f}"]
        for s in sets:
            a = result["sets"][s]["arms"][name]
            row += [f"{100 * a['savings']:.2f}", f"{a['bits_per_coef_chroma']:.3f}",
                    f"{100 * a['chroma_vs_classic']:+.2f}"]
        a0 = result["sets"][sets[0]]["arms"][name]
        row += [f"{a0[k]:.3f}" for k in ("hint_cpu_s_per_mb", "compress_cpu_s_per_mb", "decompress_cpu_s_per_mb")]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_curves(result: dict[str, Any], path: Path) -> None:
    """Validation loss (MSE per target value) against training steps, one line per model."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    styles = {"cnn": "tab:blue", "rnn": "tab:green", "gan": "tab:red"}
    steps = [info["steps"] for info in result["models"].values() if info["val_curve"]]
    budget = max(set(steps), key=steps.count) if steps else None  # the study's common step count
    for name, info in result["models"].items():
        curve = info["val_curve"]
        if curve:
            xs, ys = zip(*curve)
            other = info["steps"] != budget  # e.g. a shipped model trained longer: drawn faint and dotted
            axes.plot(xs, ys, marker="o", ms=3, color=styles.get(info["family"], "gray"), alpha=0.45 if other else 1,
                      linestyle=":" if other else ("--" if info["size"] == "xs" else "-"), label=name)
    axes.set_xlabel("training step")
    axes.set_ylabel("validation loss (MSE per predicted value)")
    axes.set_title(f"Learning curves: dashed xs, solid s ({budget} steps); dotted: another budget")
    axes.grid(True, alpha=0.3)
    if axes.lines:
        axes.legend(fontsize=8)
    figure.savefig(path)


def curve_run(family: str, size: str, data: Sequence[Path], sets: dict[str, list[EvalImage]], *, steps: int,
              every: int, max_files: int | None, max_val: int | None, val_fraction: float, model_out: Path
              ) -> dict[str, Any]:
    """Train one model (seed 0, the study's options) and measure it in real coded bits every `every` steps."""
    from mlzip.train.cli import finish_hint_model, train_main

    coefs = {name: [i.coefs for i in images] for name, images in sets.items()}
    n_coefs = {name: sum(c.n_coefficients for c in cs) for name, cs in coefs.items()}
    points: list[dict[str, Any]] = []

    def measure(step: int, graph: Any) -> None:
        t0 = time.process_time()
        _, figures = finish_hint_model(graph.export(), "luma", coefs)
        point: dict[str, Any] = {"step": step, "buckets": figures["buckets"]}
        for name, f in figures["real_bits"].items():
            model_bytes = f"bytes_{figures['buckets']}"  # exact sizes: compare()'s bits are rounded to 1e-4
            point[name] = {"bits_per_coef": round(8 * f[model_bytes] / n_coefs[name], 6), "saving": f["saving"],
                           "saving_chroma": f["saving_chroma"], "bytes": f[model_bytes],
                           "classic_bytes": f["bytes_classic"],
                           "classic_bits_per_coef": round(8 * f["bytes_classic"] / n_coefs[name], 6)}
        point["eval_cpu_s"] = round(time.process_time() - t0, 1)
        points.append(point)
        print(f"{family}-{size} step {step}: " + ", ".join(
            f"{n} {point[n]['bits_per_coef']:.4f} (classic {point[n]['classic_bits_per_coef']:.4f})" for n in coefs),
            flush=True)

    entry = train_main(family=family, size=size, data=data, out=model_out, scheme="luma", steps=steps, seed=0,
                       max_files=max_files, max_val=max_val, val_fraction=val_fraction, val_every=every,
                       on_validation=measure, quiet=True)
    return {"family": family, "size": size, "steps": steps, "every": every, "params": entry["params"],
            "training_command": entry["training"]["command"], "train_seconds": entry["training"]["seconds"],
            "val_curve": entry["measured"]["val_curve"],
            "sets": {name: {"images": len(images), "coefficients": n_coefs[name]} for name, images in sets.items()},
            "points": points}


def merge_curves(out: Path) -> dict[str, Any]:
    """Every OUT/curves/*.json run in one record (OUT/learning_curves_bits.json)."""
    runs = {p.stem: json.loads(p.read_text()) for p in sorted((out / "curves").glob("*.json"))}
    (out / "learning_curves_bits.json").write_text(json.dumps({"runs": runs}, indent=1))
    return runs


def plot_bits_curves(runs: dict[str, Any], path: Path) -> None:
    """Coded bits per coefficient against training steps, one panel per evaluation set, one line per run,
    the classic predictor as a horizontal line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    set_names = list(dict.fromkeys(s for run in runs.values() for s in run["sets"]))  # photos first, as run
    figure = Figure(figsize=(5 * max(len(set_names), 1), 4.5), dpi=110)
    FigureCanvasAgg(figure)
    styles = {"cnn": "tab:blue", "rnn": "tab:green", "gan": "tab:red"}
    for k, set_name in enumerate(set_names):
        axes = figure.add_subplot(1, len(set_names), k + 1)
        classic = None
        for name, run in runs.items():
            pts = [p for p in run["points"] if set_name in p]
            if pts:
                axes.plot([p["step"] for p in pts], [p[set_name]["bits_per_coef"] for p in pts], marker="o", ms=3,
                          color=styles.get(run["family"], "gray"), linestyle="--" if run["size"] == "xs" else "-",
                          label=name)
                classic = pts[0][set_name]["classic_bits_per_coef"]
        if classic is not None:
            axes.axhline(classic, color="black", linewidth=1, label=f"classic predictor ({classic:.4f})")
        info = next(run["sets"][set_name] for run in runs.values() if set_name in run["sets"])
        axes.set_title(f"{set_name}: {info['images']} validation images", fontsize=10)
        axes.set_xlabel("training step")
        axes.set_ylabel("coded bits per coefficient (all planes)")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle("Learning curves in real coded bits (lower is better; dashed xs, solid s)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["eval", "plot", "curves"],
                    help="plot: redraw OUT's plots and table from its JSON; curves: train and measure a learning curve")
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--photos", action="append", type=Path, default=[])
    ap.add_argument("--cifar", type=Path)
    ap.add_argument("--corpus", type=Path, help="a held-out JPEG corpus evaluated whole (e.g. corpus/dev)")
    ap.add_argument("--cifar-per-class", type=int, default=30)
    ap.add_argument("--val-fraction", type=float, default=0.1, help="the photo dirs' validation split (as trained)")
    ap.add_argument("--out", type=Path, default=Path("study"))
    curves = ap.add_argument_group("curves")
    curves.add_argument("--family", default="cnn")
    curves.add_argument("--size", default="xs")
    curves.add_argument("--data", action="append", type=Path, default=[], help="training dirs (as mlzip train)")
    curves.add_argument("--steps", type=int, default=1500)
    curves.add_argument("--every", type=int, default=250, help="training steps between measurements")
    curves.add_argument("--max-files", type=int, default=2000)
    curves.add_argument("--max-val", type=int, default=300, help="train_main's validation-loss files per dir")
    curves.add_argument("--photo-count", type=int, help="at most this many validation photos (a seeded choice)")
    args = ap.parse_args(argv)
    if args.command == "plot":
        if (args.out / "curves").is_dir():
            plot_bits_curves(merge_curves(args.out), args.out / "learning_curves_bits.png")
        result = json.loads((args.out / "family_study.json").read_text())
        plot_curves(result, args.out / "learning_curves.png")
        print(table(result))
        return 0
    sets: dict[str, list[EvalImage]] = {}
    if args.photos:
        sets["photos"] = D.subset(photo_set(args.photos, args.val_fraction), args.photo_count)
    if args.cifar:
        sets["cifar"] = cifar_set(args.cifar, args.cifar_per_class)
    if args.corpus:
        sets["dev"] = corpus_set(args.corpus)
    if not sets or not all(sets.values()):
        print("family_study: no evaluation images", file=sys.stderr)
        return 2
    if args.command == "curves":
        name = f"{args.family}-{args.size}"
        (args.out / "curves").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:  # the trained model itself is not kept
            run = curve_run(args.family, args.size, args.data, sets, steps=args.steps, every=args.every,
                            max_files=args.max_files, max_val=args.max_val, val_fraction=args.val_fraction,
                            model_out=Path(tmp) / f"{name}.mlzn")
        run["command"] = "python tools/family_study.py " + " ".join(sys.argv[1:] if argv is None else argv)
        (args.out / "curves" / f"{name}.json").write_text(json.dumps(run, indent=1))
        plot_bits_curves(merge_curves(args.out), args.out / "learning_curves_bits.png")
        return 0
    result = study(args.models, sets)
    result["command"] = "python tools/family_study.py " + " ".join(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "family_study.json").write_text(json.dumps(result, indent=1))
    plot_curves(result, args.out / "learning_curves.png")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
