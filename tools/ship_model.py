"""Ship a trained model: measure it in real coded bits, copy it into models/, add its manifest entry.

    python tools/ship_model.py OUT.mlznn --id 100 --name cnn-xs-v1 \
        --photos /work/shared/data/photos-train --cifar /work/shared/data/cifar10-jpeg/train \
        --dev /work/shared/corpus/dev

OUT.mlznn.json (written by `mlzip train`) gives the architecture and training record. Figures: coefficient
bytes saved against classic-base-v1 on the validation photos, CIFAR-10 validation files (--cifar-n of
them) and every JPEG of --dev that the JPEG layer takes, and the model's compress CPU time relative to
classic (hints included). An id or name already in the manifest is refused: ids are never reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlzip.learned import HintModel  # noqa: E402
from mlzip.train import data as D  # noqa: E402
from mlzip.train.cli import SPLIT_SEED, load_images, select_sources  # noqa: E402
from mlzip.train.evaluate import coded_sizes, compare  # noqa: E402


def measure(model: HintModel, photos: str, cifar: str, dev: str | None, cifar_n: int) -> dict:
    _, val = select_sources([photos, cifar], 0.1, None, cifar_n, SPLIT_SEED)
    sets = dict(zip(("photos", "cifar"), (load_images(files, SPLIT_SEED + 1, 1) for files in val.values())))
    if dev:
        sets["dev"] = [c for _, c in D.iter_coefficients(D.list_sources([dev]), np.random.default_rng(0))]
    out: dict = {"saving_vs_classic": {}, "real_bits": {}}
    times = []
    for name, images in sets.items():
        sizes = coded_sizes(images, {"classic": None, "model": model})
        fig = compare(sizes, "classic", "model")
        out["saving_vs_classic"][name] = fig["saving"]
        out["real_bits"][name] = {**fig, "images": int(sizes["images"]),
                                  "cpu_seconds_classic": sizes["seconds:classic"],
                                  "cpu_seconds_model": sizes["seconds:model"]}
        times.append((sizes["seconds:classic"], sizes["seconds:model"]))
        print(name, json.dumps(out["real_bits"][name]), flush=True)
    out["time_vs_classic"] = round(sum(t[1] for t in times) / max(sum(t[0] for t in times), 1e-9), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--id", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--photos", required=True)
    ap.add_argument("--cifar", required=True)
    ap.add_argument("--dev")
    ap.add_argument("--cifar-n", type=int, default=300)
    args = ap.parse_args()
    manifest_path = ROOT / "models" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if any(m["id"] == args.id or m["name"] == args.name for m in manifest["models"]):
        sys.exit(f"id {args.id} or name {args.name} already in the manifest: ids are never reused")
    draft = json.loads(args.model.with_suffix(args.model.suffix + ".json").read_text())
    blob = args.model.read_bytes()
    measured = {**draft["measured"], **measure(HintModel.from_bytes(blob), args.photos, args.cifar, args.dev,
                                               args.cifar_n)}
    file_name = f"{args.name}.mlznn"
    shutil.copyfile(args.model, ROOT / "models" / file_name)
    training = {**draft["training"], "command": draft["training"]["command"].replace(
        f"--out {args.model.name}", f"--out models/{file_name}")}
    entry = {"id": args.id, "name": args.name, "family": draft["family"], "size": draft["size"], "file": file_name,
             "sha256": draft["sha256"], "architecture": draft["architecture"], "params": draft["params"],
             "training": training, "measured": measured}
    manifest["models"].append(entry)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"shipped {args.name} as id {args.id}: {measured['saving_vs_classic']}, time x{measured['time_vs_classic']}")


if __name__ == "__main__":
    main()
