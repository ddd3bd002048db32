"""Study: how many bits per AC coefficient does a learned hint save an adaptive context model?

Ideal code lengths (-log2 p) of a binarized adaptive model (zero flag, unary exponent, sign, mantissa;
counts initialised from a prior fitted on the training split, then adapted per image), with contexts
(luma/chroma, zigzag position, neighbour magnitude bucket, non-zeros among the previous two
coefficients) and optionally one more dimension: a hint bucket computed from already-decodable data.

Schemes (pass orders) measured:
  dc     (b) the DC plane of a component is coded first; a CNN over the whole DC plane (sees right and
         below too) predicts every AC coefficient's bit length -> hint. Also a hand-made hint (DC gradient).
  luma   (a) luma is coded first; a CNN over luma bit lengths + the chroma DC plane predicts chroma AC.
  rows   (d) the DC plane first, then AC one block row at a time: the CNN sees the whole DC plane and
         every AC coefficient of the rows above (one forward per block row when decoding).
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
NS = 5  # sign hint buckets (F.N_SIGN_HINTS)
NBINS = 16  # zero flag + unary exponent bins per context
PRIOR_WEIGHT = 32.0
LIMIT = 255.0
MIX_LR = 0.002


@njit(cache=False)  # run as __main__ and imported by tests: a shared cache would mix module names
def _update(n0, n1, i, bit, limit):
    if bit:
        n1[i] += 1.0
    else:
        n0[i] += 1.0
    if n0[i] + n1[i] > limit:
        n0[i] *= 0.5
        n1[i] *= 0.5


@njit(cache=False)
def _code(n0, n1, i, bit, limit):
    p1 = (n1[i] + 0.4) / (n0[i] + n1[i] + 0.8)
    cost = -np.log2(p1) if bit else -np.log2(1.0 - p1)
    _update(n0, n1, i, bit, limit)
    return cost


@njit(cache=False)
def _mix_code(n0, n1, i, bit, limit, w, feat, lr):
    """Zero flag by logistic mixing of the adaptive estimate and the network features (paq8-style);
    the mixer weights w learn online."""
    p0 = (n1[i] + 0.4) / (n0[i] + n1[i] + 0.8)
    nf = feat.shape[0]
    x = np.empty(nf + 2)
    x[0] = np.log(p0 / (1.0 - p0))
    for j in range(nf):
        x[j + 1] = feat[j]
    x[nf + 1] = 1.0
    z = 0.0
    for j in range(nf + 2):
        z += w[j] * x[j]
    p = 1.0 / (1.0 + np.exp(-z))
    p = min(max(p, 1e-5), 1.0 - 1e-5)
    err = bit - p
    for j in range(nf + 2):
        w[j] += lr * err * x[j]
    _update(n0, n1, i, bit, limit)
    return -np.log2(p) if bit else -np.log2(1.0 - p)


@njit(cache=False)
def ac_cost(vals, nbr, hint, shint, cls, feat, nh, n0, n1, m0, m1, s0, s1, mixw, lr, limit):
    """Bits per block for the AC coefficients vals [B, 63] (zigzag, coding order); updates the counts.
    The sign is coded in context (luma/chroma, position, sign hint). With network features
    (feat [B, 63, nf], nf > 0) the zero flag mixes counts and features (weights mixw [2*63, nf+2])."""
    nblocks = vals.shape[0]
    bits = np.zeros(nblocks)
    mix = feat.shape[2] > 0
    for b in range(nblocks):
        c = cls[b]
        p1 = 0
        p2 = 0
        tot = 0.0
        for k in range(63):
            a = abs(vals[b, k])
            ctx = ((((c * 63 + k) * NB + nbr[b, k]) * 3 + p1 + p2) * nh + hint[b, k]) * NBINS
            nz = 1 if a != 0 else 0
            if mix:
                tot += _mix_code(n0, n1, ctx, nz, limit, mixw[c * 63 + k], feat[b, k], lr)
            else:
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
                tot += _code(s0, s1, (c * 63 + k) * NS + shint[b, k], 1 if vals[b, k] < 0 else 0, limit)
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

    def __init__(self, nh: int, nf: int = 0):
        self.nh = nh
        self.mixw = np.zeros((2 * 63, nf + 2))
        self.mixw[:, 0] = 1.0  # start as the plain adaptive estimate
        size = 2 * 63 * NB * 3 * nh * NBINS
        self.n0, self.n1 = np.zeros(size), np.zeros(size)
        self.m0, self.m1 = np.zeros(2 * 63 * 16), np.zeros(2 * 63 * 16)
        self.s0, self.s1 = np.zeros(2 * 63 * NS), np.zeros(2 * 63 * NS)

    def fit(self, blocks) -> None:
        ac_cost(*blocks, self.nh, self.n0, self.n1, self.m0, self.m1, self.s0, self.s1, self.mixw, MIX_LR, 1e18)

    def cost(self, blocks) -> float:
        def scaled(a, b):
            f = np.minimum(1.0, PRIOR_WEIGHT / np.maximum(a + b, 1e-9))
            return a * f, b * f

        n0, n1 = scaled(self.n0, self.n1)
        m0, m1 = scaled(self.m0, self.m1)
        s0, s1 = scaled(self.s0, self.s1)
        mixw = self.mixw.copy()
        return float(ac_cost(*blocks, self.nh, n0, n1, m0, m1, s0, s1, mixw, MIX_LR, LIMIT).sum())


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


UNSURE = 2  # the neutral sign hint


def blocks_for(comp: np.ndarray, c: int, hint, nh: int, offsets, select=None, feat=None):
    """(vals, nbr, hint, sign hint, cls, feat) of a component's blocks; hint = None or (mag [by,bx,63] | None,
    sign [by,bx,63] | None); feat = None or mixer inputs [by, bx, 63, nf]."""
    zz = F.zigzag(comp).astype(np.int32)
    nbr = neighbour_bucket(np.abs(zz), offsets)[..., 1:]
    mag, sgn = hint if hint is not None else (None, None)
    h = np.zeros_like(nbr) if mag is None else np.minimum(mag, nh - 1).astype(np.uint8)
    sh = np.full_like(nbr, UNSURE) if sgn is None else sgn.astype(np.uint8)
    vals = zz[..., 1:]
    if select is not None:
        vals, nbr, h, sh = vals[select], nbr[select], h[select], sh[select]
    vals, nbr, h, sh = (np.ascontiguousarray(a.reshape(-1, 63)) for a in (vals, nbr, h, sh))
    cls = np.full(vals.shape[0], min(c, 1), np.uint8)
    if feat is None:
        f = np.zeros((vals.shape[0], 63, 0))
    else:
        f = np.ascontiguousarray((feat if select is None else feat[select]).reshape(-1, 63, feat.shape[-1]))
    return vals, nbr, h, sh, cls, f


def concat_blocks(parts):
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(6))


# ---- schemes ------------------------------------------------------------------------------------
SCHEMES = F.SCHEMES
checker_masks = F.checker_masks


def _sign_bucket(x: np.ndarray) -> np.ndarray:
    return (np.sign(x) * 2 + UNSURE).astype(np.uint8)


def dc_gradient_hint(coefs: D.Coefs, c: int):
    """Hand-made (b) hints: bucket of the DC gradient magnitude around the block (non-causal), and the
    signs of the first horizontal / vertical AC from the DC slope (brighter to the right -> negative)."""
    d = F.dc_plane(coefs.components[c], coefs.qtables[c])
    p = np.pad(d, 1, mode="edge")
    gx, gy = p[1:-1, 2:] - p[1:-1, :-2], p[2:, 1:-1] - p[:-2, 1:-1]
    g = np.abs(gx) + np.abs(gy)
    mag = np.repeat(np.minimum(F.bitlen(g), F.N_HINTS - 1)[..., None], 63, axis=2)
    sgn = np.full(mag.shape, UNSURE, np.uint8)
    sgn[..., 0] = _sign_bucket(-gx)  # zigzag 1 = natural (0, 1): horizontal
    sgn[..., 1] = _sign_bucket(-gy)  # zigzag 2 = natural (1, 0): vertical
    return mag, sgn


def luma_sum_hint(coefs: D.Coefs, c: int):
    """Hand-made (a) hints: the luma bit length at the same zigzag position under the block, and the sign
    of the luma coefficients there."""
    g = F.luma_on_chroma_grid(coefs, c).transpose(1, 2, 0)[..., 1:]
    y, comp = coefs.components[0], coefs.components[c]
    ry, rx = -(-y.shape[0] // comp.shape[0]), -(-y.shape[1] // comp.shape[1])
    ys = np.sign(F.zigzag(y)[..., 1:].astype(np.int64))
    grid = np.zeros((comp.shape[0] * ry, comp.shape[1] * rx, 63), np.int64)
    hh, ww = min(grid.shape[0], ys.shape[0]), min(grid.shape[1], ys.shape[1])
    grid[:hh, :ww] = ys[:hh, :ww]
    ssum = grid.reshape(comp.shape[0], ry, comp.shape[1], rx, 63).sum(axis=(1, 3))
    return np.minimum(g, F.N_HINTS - 1), _sign_bucket(ssum)


def image_blocks(coefs: D.Coefs, scheme: str, hints: dict[int, np.ndarray] | None, nh: int,
                 feats: dict[int, np.ndarray] | None = None):
    """All coded AC blocks of one image for a scheme, with an optional per-component hint [by, bx, 63]."""
    comps = SCHEMES[scheme][1](coefs)
    parts = []
    for c in comps:
        comp = coefs.components[c]
        hint = None if hints is None else hints.get(c)
        feat = None if feats is None else feats[c]
        if scheme == "checker":
            black, white = checker_masks(comp.shape[:2])
            parts.append(blocks_for(comp, c, None, nh, BLACK, black, None if feat is None else np.zeros_like(feat)))
            parts.append(blocks_for(comp, c, hint, nh, WHITE, white, feat))
        else:
            parts.append(blocks_for(comp, c, hint, nh, RASTER, feat=feat))
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


def predict(model, coefs: D.Coefs, scheme: str) -> dict[int, np.ndarray]:
    """Integer-runtime predictions [126, by, bx] per component the scheme serves."""
    feat, comps = SCHEMES[scheme]
    return {c: model.forward(feat(coefs, c)[None])["head"][0] for c in comps(coefs)}


def cnn_hints(preds: dict[int, np.ndarray], thresholds: np.ndarray | None, use_mag: bool, use_sign: bool):
    """Hint arrays from predictions; thresholds None = per-image ranks (F.image_rank_thresholds)."""
    def mag(p):
        thr = F.image_rank_thresholds(p) if thresholds is None else thresholds
        return F.hint_from_prediction(p, thr).transpose(1, 2, 0)

    return {c: (mag(p) if use_mag else None,
                F.sign_hint_from_prediction(p[63:]).transpose(1, 2, 0) if use_sign else None)
            for c, p in preds.items()}


def mix_features(preds: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Mixer inputs from predicted bit lengths: the value and its log. [by, bx, 63, 2]"""
    out = {}
    for c, p in preds.items():
        v = np.maximum(p[:63].transpose(1, 2, 0) / 256.0, 0.0)
        out[c] = np.stack([v, np.log2(v + 1.0 / 16)], axis=-1)
    return out


def only(hints: dict, which: int) -> dict:
    """Keep the magnitude (0) or the sign (1) part of hand-made hints."""
    return {c: (h[0], None) if which == 0 else (None, h[1]) for c, h in hints.items()}


def run(args) -> dict:
    import torch

    from mlzip.train.arch import spec_for_scheme
    from mlzip.train.loop import train
    from mlzip.train.qat import QGraph

    torch.set_num_threads(1)
    t0 = time.monotonic()
    tr = load(args.train, "train", 1, args.reencodes, args.limit, 256)
    va = load(args.train, "val", 2, 1, None, 256)
    print(f"train images {len(tr)}, val images {len(va)}, loaded in {time.monotonic() - t0:.0f}s", flush=True)
    trs, vas = F.build_samples(tr, args.scheme), F.build_samples(va, args.scheme)
    torch.manual_seed(0)
    graph = QGraph(spec_for_scheme(args.scheme, trs[0][0].shape[0], F.FEATURE_RANGE, F.N_TARGETS, args.size,
                                     F.FEATURE_FRAC))
    hist = train(graph, trs, vas, steps=args.steps, seconds=args.minutes * 60, batch=8, crop=24, seed=0,
                 val_every=max(args.steps // 5, 1))
    model = graph.export()
    print(f"trained {hist.steps[-1]} steps in {hist.seconds:.0f}s, val mse {hist.val_loss}", flush=True)
    prior_imgs = tr[:: max(1, len(tr) // args.prior_images)]
    pred_cache: dict[int, dict] = {}

    def preds(coefs):
        if id(coefs) not in pred_cache:
            pred_cache[id(coefs)] = predict(model, coefs, args.scheme)
        return pred_cache[id(coefs)]

    thresholds = F.fit_hint_thresholds([p for coefs in prior_imgs for p in preds(coefs).values()])
    hand = {"dc": dc_gradient_hint, "rows": dc_gradient_hint, "luma": luma_sum_hint}.get(args.scheme)
    comps = SCHEMES[args.scheme][1]
    sch, nh = args.scheme, F.N_HINTS
    arms = {
        "reference": (1, lambda co: raster_blocks(co, sch)),
        "scheme": (1, lambda co: image_blocks(co, sch, None, 1)),
        "+CNN mag": (nh, lambda co: image_blocks(co, sch, cnn_hints(preds(co), thresholds, True, False), nh)),
        "+CNN sign": (1, lambda co: image_blocks(co, sch, cnn_hints(preds(co), thresholds, False, True), 1)),
        "+CNN both": (nh, lambda co: image_blocks(co, sch, cnn_hints(preds(co), thresholds, True, True), nh)),
    }
    arms["+CNN sign, mix"] = (1, lambda co: image_blocks(co, sch, cnn_hints(preds(co), thresholds, False, True), 1,
                                                         mix_features(preds(co))))
    if sch != "rows":  # the whole prediction map exists before the AC pass: rank within the image
        arms["+CNN mag img-rank"] = (nh, lambda co: image_blocks(co, sch, cnn_hints(preds(co), None, True, False), nh))
        arms["+CNN both img-rank"] = (nh, lambda co: image_blocks(co, sch, cnn_hints(preds(co), None, True, True), nh))
    if hand:
        def hand_hints(co):
            return {c: hand(co, c) for c in comps(co)}

        arms["+hand mag"] = (nh, lambda co: image_blocks(co, sch, only(hand_hints(co), 0), nh))
        arms["+hand sign"] = (1, lambda co: image_blocks(co, sch, only(hand_hints(co), 1), 1))
        arms["+hand both"] = (nh, lambda co: image_blocks(co, sch, hand_hints(co), nh))
        arms["+hand both, CNN mix"] = (nh, lambda co: image_blocks(co, sch, hand_hints(co), nh, mix_features(preds(co))))

        def cnn_mag_hand_sign(co):
            return {c: (m, h[1]) for (c, (m, _)), h in zip(cnn_hints(preds(co), thresholds, True, False).items(),
                                                           hand_hints(co).values())}

        arms["+CNN mag, hand sign"] = (nh, lambda co: image_blocks(co, sch, cnn_mag_hand_sign(co), nh))
    if args.arms:
        keep = [a.strip() for a in args.arms.split(";")]
        arms = {a: arms[a] for a in keep}
    models = {arm: AdaptiveModel(n, 2 if "mix" in arm else 0) for arm, (n, _) in arms.items()}
    for coefs in prior_imgs:  # priors from the training split only
        for arm, (_, fn) in arms.items():
            blocks = fn(coefs)
            if blocks is not None:
                models[arm].fit(blocks)
    pred_cache.clear()
    results = {"scheme": sch, "size": args.size, "params": model.params, "steps": hist.steps[-1],
               "train_seconds": round(hist.seconds), "val_mse": hist.val_loss, "sets": {}}
    eval_sets = {"photos-val": va}
    for d in args.eval:
        eval_sets[Path(d).name] = load([d], "all", 3, 1, args.eval_limit, None)
    if args.cifar:
        files = [f for f in D.list_sources([args.cifar]) if D.is_validation(f)][:: max(1, 5000 // args.cifar_n)]
        eval_sets["cifar-val"] = [c for _, c in D.iter_coefficients(files[: args.cifar_n], np.random.default_rng(0))]
    for name, imgs in eval_sets.items():
        row: dict[str, float] = {}
        for arm, (_, fn) in arms.items():
            bits, n = 0.0, 0
            for coefs in imgs:
                blocks = fn(coefs)
                if blocks is not None:
                    bits += models[arm].cost(blocks)
                    n += blocks[0].size
            row[arm] = bits / max(n, 1)
        pred_cache.clear()
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
    ap.add_argument("--prior-images", type=int, default=80, help="training images the count priors come from")
    ap.add_argument("--arms", help="semicolon-separated subset of the arms to measure (names contain commas)")
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()
    res = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
