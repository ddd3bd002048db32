"""Evaluate mlzip.coder on a directory of JPEGs, side by side with lepton_jpeg_python.

    python tools/coder_eval.py DIR [--include GLOB] [--recursive] [--limit N] [--level L] [--strength S] [--no-lepton]

Coefficients are read with jpeglib (an independent reader), encoded, decoded and compared exactly.
Savings = 1 - (coefficient bytes + raw header bytes + bytes after EOI) / original: the header is
counted raw (up to the end of the first SOS segment), so a compact header coder only adds to it.
A second figure, "zsav", counts header and tail as zstd -19 would code them: a stand-in for the
compact header coding of the container, closer to what Lepton does with its headers.
Lepton's savings and speeds come from its real output, measured in the same run.
"""

import argparse
import fnmatch
import sys
import time
from pathlib import Path

import numpy as np
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlzip.coder import decode_coefficients, encode_coefficients, strength_for_level  # noqa: E402
from mlzip.header import extract  # noqa: E402


def read_coefficients(path: Path):
    import jpeglib

    im = jpeglib.read_dct(str(path))
    planes = [im.Y] + ([im.Cb, im.Cr] if im.Cb is not None else []) + (
        [im.K] if getattr(im, "K", None) is not None and im.has_black else [])
    coefs = [np.ascontiguousarray(p.reshape(p.shape[0], p.shape[1], 64), np.int16) for p in planes]
    qts = [im.qt[im.quant_tbl_no[i]].reshape(64).astype(np.uint16) for i in range(len(coefs))]
    sampling = [tuple(int(x) for x in im.samp_factor[i]) for i in range(len(coefs))]
    return coefs, qts, sampling


def header_and_tail(data: bytes) -> tuple[int, int]:
    """(bytes up to the end of the first SOS segment, bytes after the last EOI)."""
    segments = extract.header_segments(data)
    header = segments[-1][1] if segments and segments[-1][2] == 0xDA else len(data)
    eoi = data.rfind(b"\xff\xd9")
    tail = len(data) - (eoi + 2) if eoi >= header else 0
    return header, tail


def run_lepton(data: bytes):
    try:
        import lepton_jpeg_python as lep
    except ImportError:
        return None
    try:
        t0 = time.perf_counter()
        comp = lep.compress_bytes(data)
        t1 = time.perf_counter()
        back = lep.decompress_bytes(comp)
        t2 = time.perf_counter()
    except Exception:  # noqa: BLE001 - a refusing peer is charged full size
        return None
    if bytes(back) != data:
        return None
    return len(comp), t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--include", default="*")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--level", type=int, default=6)
    ap.add_argument("--strength", type=int, default=None,
                    help="the coder model (mlzip.coder.classic) instead of the level's (strength_for_level)")
    ap.add_argument("--recursive", action="store_true", help="walk DIR's subdirectories; GLOB matches the relative path")
    ap.add_argument("--no-lepton", action="store_true")
    args = ap.parse_args()
    strength = strength_for_level(args.level) if args.strength is None else args.strength

    found = args.dir.rglob("*") if args.recursive else args.dir.iterdir()
    files = sorted(p for p in found
                   if p.is_file() and fnmatch.fnmatch(str(p.relative_to(args.dir)) if args.recursive else p.name,
                                                      args.include)
                   and p.suffix.lower() in (".jpg", ".jpeg", ".mpo", ".jfif"))
    # warm the JIT so compile time is not timed
    warm = [np.zeros((2, 2, 64), np.int16)]
    warm_blob = encode_coefficients(warm, [np.ones(64, np.uint16)], [(1, 1)], strength=strength)
    decode_coefficients(warm_blob, [(2, 2)],
                        [np.ones(64, np.uint16)], [(1, 1)])

    tot = dict(orig=0, ours=0, ours_z=0, lep_ours_z=0, nz=0, coef=0, enc=0.0, dec=0.0, lep_orig=0, lep_ours=0, lep=0,
               lep_enc=0.0, lep_dec=0.0, lep_time_orig=0)
    print(f"{'file':44s} {'orig':>9s} {'coef':>9s} {'hdr':>6s} {'sav%':>6s} {'b/nz':>5s} "
          f"{'zsav%':>6s} {'encMB/s':>7s} {'decMB/s':>7s} {'lep%':>6s} {'lepC':>5s} {'lepD':>5s}")
    done = 0
    for path in files:
        if args.limit and done >= args.limit:
            break
        data = path.read_bytes()
        try:
            coefs, qts, sampling = read_coefficients(path)
        except Exception as exc:  # noqa: BLE001 - files jpeglib cannot read are skipped
            print(f"{path.name[:44]:44s} skipped ({type(exc).__name__})")
            continue
        done += 1
        t0 = time.perf_counter()
        blob = encode_coefficients(coefs, qts, sampling, level=args.level, strength=strength)
        t1 = time.perf_counter()
        back = decode_coefficients(blob, [c.shape[:2] for c in coefs], qts, sampling)
        t2 = time.perf_counter()
        assert all(np.array_equal(a, b) for a, b in zip(coefs, back)), f"{path}: round trip differs"
        header, tail = header_and_tail(data)
        ours = len(blob) + header + tail
        rest = data[:header] + (data[len(data) - tail:] if tail else b"")
        ours_z = len(blob) + len(zstandard.ZstdCompressor(level=19).compress(rest))
        nz = int(sum(np.count_nonzero(c) for c in coefs))
        mb = len(data) / 1e6
        lep = None if args.no_lepton else run_lepton(data)
        tot["orig"] += len(data)
        tot["ours"] += ours
        tot["ours_z"] += ours_z
        tot["nz"] += nz
        tot["coef"] += len(blob)
        tot["enc"] += t1 - t0
        tot["dec"] += t2 - t1
        if lep:
            tot["lep_orig"] += len(data)
            tot["lep_ours"] += ours
            tot["lep_ours_z"] += ours_z
            tot["lep"] += lep[0]
            tot["lep_enc"] += lep[1]
            tot["lep_dec"] += lep[2]
        lep_s = (f"{100 * (1 - lep[0] / len(data)):6.2f} {mb / lep[1]:5.1f} {mb / lep[2]:5.1f}"
                 if lep else f"{'-':>6s} {'-':>5s} {'-':>5s}")
        print(f"{path.name[:44]:44s} {len(data):9d} {len(blob):9d} {header:6d} "
              f"{100 * (1 - ours / len(data)):6.2f} {8 * len(blob) / max(nz, 1):5.2f} {100 * (1 - ours_z / len(data)):6.2f} "
              f"{mb / (t1 - t0):7.2f} {mb / (t2 - t1):7.2f} {lep_s}", flush=True)
    if not tot["orig"]:
        return
    mb = tot["orig"] / 1e6
    print(f"\nALL {done} files: orig {tot['orig']} coef {tot['coef']} ours {tot['ours']} savings "
          f"{100 * (1 - tot['ours'] / tot['orig']):.2f}% (zstd header {100 * (1 - tot['ours_z'] / tot['orig']):.2f}%)  bits/nz {8 * tot['coef'] / tot['nz']:.3f}  "
          f"enc {mb / tot['enc']:.2f} MB/s  dec {mb / tot['dec']:.2f} MB/s")
    if tot["lep_orig"]:
        lmb = tot["lep_orig"] / 1e6
        print(f"Lepton-accepted files: orig {tot['lep_orig']}  ours {100 * (1 - tot['lep_ours'] / tot['lep_orig']):.2f}%"
              f" (zstd header {100 * (1 - tot['lep_ours_z'] / tot['lep_orig']):.2f}%)"
              f"  lepton {100 * (1 - tot['lep'] / tot['lep_orig']):.2f}%  lepton enc {lmb / tot['lep_enc']:.2f} MB/s"
              f"  dec {lmb / tot['lep_dec']:.2f} MB/s")


if __name__ == "__main__":
    main()
