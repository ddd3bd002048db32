"""Study: how many bits per AC coefficient does a learned hint save an adaptive context model?

Ideal code lengths (-log2 p) of a binarized adaptive model (zero flag, unary exponent, sign, mantissa;
counts initialised from a prior fitted on the training split, then adapted per image), with contexts
(luma/chroma, zigzag position, neighbour magnitude bucket, non-zeros among the previous two
coefficients) and optionally one more dimension: a hint bucket computed from already-decodable data.

Schemes (pass orders) measured:
  dc     (b) the DC plane of a component is coded first; a CNN over the whole DC plane (sees right and
         below too) predicts every AC coefficient's bit length -> hint. Also a hand-made hint (DC gradient).
  luma   (a) luma is coded first; a CNN over luma bit lengths + the chroma DC plane predicts chroma AC.
  checker (c) checkerboard halves: black blocks first (only diagonal neighbours), then white blocks see
         their four black neighbours; a CNN over the black half predicts the white half.

  python tools/ideal_bits.py --scheme dc --train /work/shared/data/photos-train \
      --eval /work/shared/corpus/dev --eval-val /work/shared/data/photos-train --minutes 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlzip.train import data as D  # noqa: E402
from mlzip.train import features as F  # noqa: E402

NB = 7  # neighbour magnitude buckets
NBINS = 16  # zero flag + unary exponent bins per context
PRIOR_WEIGHT = 32.0
LIMIT = 255.0


@njit(cache=True)
def _code(n0, n1, i, bit, limit):
    a, b = n0[i], n1[i]
    p1 = (b + 0.4) / (a + b + 0.8)
    cost = -np.log2(p1) if bit else -np.log2(1.0 - p1)
    if bit:
        n1[i] = b + 1.0
    else:
        n0[i] = a + 1.0
    if n0[i] + n1[i] > limit:
        n0[i] *= 0.5
        n1[i] *= 0.5
    return cost


@njit(cache=True)
def ac_cost(vals, nbr, hint, cls, nh, n0, n1, m0, m1, limit):
    """Bits per block for the AC coefficients vals [B, 63] (zigzag, coding order); updates the counts."""
    nblocks = vals.shape[0]
    bits = np.zeros(nblocks)
    for b in range(nblocks):
        c = cls[b]
        p1 = 0
        p2 = 0
        tot = 0.0
        for k in range(63):
            a = abs(vals[b, k])
            ctx = ((((c * 63 + k) * NB + nbr[b, k]) * 3 + p1 + p2) * nh + hint[b, k]) * NBINS
            nz = 1 if a != 0 else 0
            tot += _code(n0, n1, ctx, nz, limit)
            if nz:
                e = 0
                t = a
                while t:
                    e += 1
                    t >>= 1
                for i in range(1, NBINS):
                    bit = 1 if e > i else 0
                    tot += _code(n0, n1, ctx + i, bit, limit)
                    if not bit:
                        break
                tot += 1.0  # sign
                if e >= 2:
                    mb = (a >> (e - 2)) & 1
                    tot += _code(m0, m1, (c * 63 + k) * 16 + e, mb, limit)
                    tot += e - 2
            p2 = p1
            p1 = nz
        bits[b] = tot
    return bits


class AdaptiveModel:
    """Count tables for one context layout; `fit` accumulates a prior, `cost` codes one image from it."""

    def __init__(self, nh: int):
        self.nh = nh
        size = 2 * 63 * NB * 3 * nh * NBINS
        self.n0, self.n1 = np.zeros(size), np.zeros(size)
        self.m0, self.m1 = np.zeros(2 * 63 * 16), np.zeros(2 * 63 * 16)

    def fit(self, blocks) -> None:
        ac_cost(*blocks, self.nh, self.n0, self.n1, self.m0, self.m1, 1e18)

    def cost(self, blocks) -> float:
        def scaled(a, b):
            f = np.minimum(1.0, PRIOR_WEIGHT / np.maximum(a + b, 1e-9))
            return a * f, b * f

        n0, n1 = scaled(self.n0, self.n1)
        m0, m1 = scaled(self.m0, self.m1)
        return float(ac_cost(*blocks, self.nh, n0, n1, m0, m1, LIMIT).sum())


# ---- contexts -----------------------------------------------------------------------------------
def _shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """a[y - dy, x - dx] with zeros outside (a: [by, bx, ...])."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = a[ys, xs]
    return out


def neighbour_bucket(zz_abs: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    """Bucket of the mean |coef| at the same position in the given (decoded) neighbour blocks."""
    s = sum(_shift(zz_abs, dy, dx) for dy, dx in offsets) * 2 // len(offsets)
    return np.minimum(F.bitlen(s), NB - 1).astype(np.uint8)


RASTER = [(1, 0), (0, 1)]  # above, left
BLACK = [(1, -1), (1, 1), (2, 0), (0, 2)]  # decoded black blocks for a black block
WHITE = [(1, 0), (0, 1), (-1, 0), (0, -1)]  # the four black neighbours of a white block


def blocks_for(comp: np.ndarray, c: int, hint: np.ndarray | None, nh: int, offsets, select=None):
    zz = F.zigzag(comp).astype(np.int32)
    nbr = neighbour_bucket(np.abs(zz), offsets)[..., 1:]
    h = np.zeros_like(nbr) if hint is None else np.minimum(hint, nh - 1).astype(np.uint8)
    vals = zz[..., 1:]
    if select is not None:
        vals, nbr, h = vals[select], nbr[select], h[select]
    vals, nbr, h = (np.ascontiguousarray(a.reshape(-1, 63)) for a in (vals, nbr, h))
    cls = np.full(vals.shape[0], min(c, 1), np.uint8)
    return vals, nbr, h, cls


def concat_blocks(parts):
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


# ---- schemes ------------------------------------------------------------------------------------
SCHEMES = F.SCHEMES
checker_masks = F.checker_masks


def dc_gradient_hint(coefs: D.Coefs, c: int) -> np.ndarray:
    """Hand-made (b) hint: bucket of the DC gradient magnitude around the block (non-causal)."""
    d = F.dc_plane(coefs.components[c], coefs.qtables[c])
    p = np.pad(d, 1, mode="edge")
    g = np.abs(p[1:-1, 2:] - p[1:-1, :-2]) + np.abs(p[2:, 1:-1] - p[:-2, 1:-1])
    return np.repeat(np.minimum(F.bitlen(g), F.N_HINTS - 1)[..., None], 63, axis=2)


def luma_sum_hint(coefs: D.Coefs, c: int) -> np.ndarray:
    """Hand-made (a) hint: bucket of the luma bit length at the same zigzag position under the block."""
    g = F.luma_on_chroma_grid(coefs, c).transpose(1, 2, 0)[..., 1:]
    return np.minimum(g, F.N_HINTS - 1)


def image_blocks(coefs: D.Coefs, scheme: str, hints: dict[int, np.ndarray] | None, nh: int):
    """All coded AC blocks of one image for a scheme, with an optional per-component hint [by, bx, 63]."""
    comps = SCHEMES[scheme][1](coefs)
    parts = []
    for c in comps:
        comp = coefs.components[c]
        hint = None if hints is None else hints.get(c)
        if scheme == "checker":
            black, white = checker_masks(comp.shape[:2])
            parts.append(blocks_for(comp, c, None, nh, BLACK, black))
            parts.append(blocks_for(comp, c, hint, nh, WHITE, white))
        else:
            parts.append(blocks_for(comp, c, hint, nh, RASTER))
    return concat_blocks(parts) if parts else None


def raster_blocks(coefs: D.Coefs, scheme: str):
    """The same components coded in plain raster order without hint: the reference."""
    parts = [blocks_for(coefs.components[c], c, None, 1, RASTER) for c in SCHEMES[scheme][1](coefs)]
    return concat_blocks(parts) if parts else None


# ---- the study ----------------------------------------------------------------------------------
def load(dirs: list[str], split: str, seed: int, reencodes: int, limit: int | None, crop: int | None):
    files = D.list_sources(dirs)
    train, val = D.split_sources(files, 0.1, seed=0)
    chosen = train if split == "train" else val if split == "val" else files
    if limit:
        chosen = chosen[:limit]
    rng = np.random.default_rng(seed)
    return [c for _, c in D.iter_coefficients(chosen, rng, reencodes=reencodes, crop=crop)
            if 1 <= len(c.components) <= 3 and min(c.components[0].shape[:2]) >= 2]


def predict_hints(model, coefs: D.Coefs, scheme: str) -> dict[int, np.ndarray]:
    feat, comps = SCHEMES[scheme]
    out = {}
    for c in comps(coefs):
        pred = model.forward(feat(coefs, c)[None])["head"][0]  # integer runtime, [63, by, bx]
        out[c] = F.hint_from_prediction(pred).transpose(1, 2, 0)
    return out


def run(args) -> dict:
    import torch

    from mlzip.train.arch import SIZES, cnn_spec
    from mlzip.train.loop import train
    from mlzip.train.qat import QGraph

    torch.set_num_threads(1)
    t0 = time.monotonic()
    tr = load(args.train, "train", 1, args.reencodes, args.limit, 256)
    va = load(args.train, "val", 2, 1, None, 256)
    print(f"train images {len(tr)}, val images {len(va)}, loaded in {time.monotonic() - t0:.0f}s", flush=True)
    trs, vas = F.build_samples(tr, args.scheme), F.build_samples(va, args.scheme)
    cin = trs[0][0].shape[0]
    size = SIZES[args.size]
    graph = QGraph(cnn_spec(cin, F.FEATURE_RANGE, 63, size["width"], size["depth"]))
    hist = train(graph, trs, vas, steps=args.steps, seconds=args.minutes * 60, batch=8, crop=24, seed=0,
                 val_every=max(args.steps // 5, 1))
    model = graph.export()
    print(f"trained {hist.steps[-1]} steps in {hist.seconds:.0f}s, val mse {hist.val_loss}", flush=True)

    hand = {"dc": dc_gradient_hint, "luma": luma_sum_hint}.get(args.scheme)
    arms = {"reference (raster, no hint)": AdaptiveModel(1), "scheme, no hint": AdaptiveModel(1),
            "scheme + CNN hint": AdaptiveModel(F.N_HINTS)}
    if hand:
        arms["scheme + hand hint"] = AdaptiveModel(F.N_HINTS)

    def arm_blocks(coefs, arm):
        if arm.startswith("reference"):
            return raster_blocks(coefs, args.scheme)
        if arm == "scheme, no hint":
            return image_blocks(coefs, args.scheme, None, 1)
        if arm == "scheme + hand hint":
            return image_blocks(coefs, args.scheme, {c: hand(coefs, c) for c in SCHEMES[args.scheme][1](coefs)},
                                F.N_HINTS)
        return image_blocks(coefs, args.scheme, predict_hints(model, coefs, args.scheme), F.N_HINTS)

    for coefs in tr:  # priors from the training split only
        for arm, am in arms.items():
            blocks = arm_blocks(coefs, arm)
            if blocks is not None:
                am.fit(blocks)
    results = {"scheme": args.scheme, "size": args.size, "params": model.params, "steps": hist.steps[-1],
               "train_seconds": round(hist.seconds), "val_mse": hist.val_loss, "sets": {}}
    eval_sets = {"photos-val": va}
    for d in args.eval:
        eval_sets[Path(d).name] = load([d], "all", 3, 1, args.eval_limit, None)
    if args.cifar:
        files = [f for f in D.list_sources([args.cifar]) if D.is_validation(f)][:: max(1, 500 // args.cifar_n)]
        eval_sets["cifar-val"] = [c for _, c in D.iter_coefficients(files[: args.cifar_n], np.random.default_rng(0))]
    for name, imgs in eval_sets.items():
        row = {}
        for arm, am in arms.items():
            bits, n = 0.0, 0
            for coefs in imgs:
                blocks = arm_blocks(coefs, arm)
                if blocks is not None:
                    bits += am.cost(blocks)
                    n += blocks[0].size
            row[arm] = bits / max(n, 1)
        row["coefficients"] = n
        results["sets"][name] = row
        print(name, json.dumps({k: round(v, 4) for k, v in row.items()}), flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheme", choices=sorted(SCHEMES), required=True)
    ap.add_argument("--train", action="append", required=True, help="training dir (split 90/10 by name)")
    ap.add_argument("--eval", action="append", default=[], help="extra evaluation dir (all files)")
    ap.add_argument("--cifar", help="cifar10-jpeg/train dir: evaluate on validation files 4500-4999")
    ap.add_argument("--cifar-n", type=int, default=200)
    ap.add_argument("--size", default="s")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--reencodes", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="at most this many training files")
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()
    res = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
