"""Round-trip and corruption fuzzer for mlzip (the "never lose data" check).

    python tools/fuzz_roundtrip.py DIR --seconds 600 [--out /tmp/mlzip-fuzz] [--seed 1]

Seeds are Pillow JPEGs of every flavour plus the files of DIR (read only). Each case is a seed put
through one to three mutators (truncation, bit flips, inserted/removed bytes, duplicated or dropped
segments, garbage around the image, extra RST markers, a wrong DRI, huge declared dimensions ...);
then in a worker process:

* `api.compress` must return (or raise only LimitExceeded) and `api.decompress` must give the exact
  bytes back;
* the JPEG path must not need the safety net: a candidate that raised a non-MlzError ("jpeg-bug") or
  produced wrong bytes ("jpeg-unverified") is logged by mlzip.api and counted here as a bug;
* the compressed member, damaged once (flip, truncation, splice, section swap), must decode to the
  exact bytes or raise an MlzError, never anything else.

A case that runs past --case-timeout is a hang: the worker is killed and restarted. Every failing
input is written to --out with a JSON line in failures.jsonl; the summary goes to stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import multiprocessing as mp
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

Mutator = Callable[[bytes, random.Random], bytes]

SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


# ---------------------------------------------------------------- seeds


def pillow_jpeg(rng: random.Random) -> bytes:
    """One Pillow JPEG of a random flavour (quality, sampling, progressive, restarts, mode, size)."""
    while True:
        try:
            return _pillow_jpeg(rng)
        except (OSError, ValueError):  # a combination libjpeg refuses: draw another
            continue


def warm_jpeg(width: int, height: int) -> bytes:
    """A plain colour 4:2:0 photo: takes the coefficient path at every level."""
    from tests.jpeg_fixtures import jpeg_bytes, photo

    return jpeg_bytes(photo(width, height, 1, "RGB"), quality=75, subsampling=2)


def _pillow_jpeg(rng: random.Random) -> bytes:
    from PIL import Image

    from tests.jpeg_fixtures import jpeg_bytes, photo

    mode = rng.choice(["RGB"] * 5 + ["L", "L", "CMYK"])
    size = rng.choice([(1, 1), (1, 9), (7, 3), (8, 8), (9, 17), (16, 16), (33, 47), (64, 48), (127, 65), (200, 130)])
    width, height = size if rng.random() < 0.5 else size[::-1]
    img = photo(width, height, rng.randrange(1 << 30), mode)
    if rng.random() < 0.1:  # flat image: long zero runs, EOB runs in progressive scans
        img = Image.new(mode, (width, height), tuple(rng.randrange(256) for _ in img.getbands()))
    args: dict = {"quality": rng.choice([1, 2, 5, 10, 25, 50, 75, 85, 90, 95, 98, 100, rng.randint(1, 100)])}
    if mode == "RGB":
        args["subsampling"] = rng.choice([0, 1, 2, -1])
        if rng.random() < 0.1:
            args["keep_rgb"] = True
    args["progressive"] = rng.random() < 0.4
    args["optimize"] = rng.random() < 0.4
    restart = rng.random()
    if restart < 0.15:
        args["restart_marker_blocks"] = rng.randint(1, 8)
    elif restart < 0.25:
        args["restart_marker_rows"] = rng.randint(1, 3)
    if rng.random() < 0.08:
        args["qtables"] = [[1] * 64] * (1 if mode == "L" else 2)  # quantizer step 1: large coefficients
    if rng.random() < 0.1:
        args["comment"] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    if rng.random() < 0.1:
        exif = Image.Exif()
        exif[0x010F] = "fuzz"
        args["exif"] = exif.tobytes()
    if rng.random() < 0.05:
        args["icc_profile"] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 2000)))
    return jpeg_bytes(img, **args)


def load_dir(directory: Path | None) -> list[bytes]:
    if directory is None:
        return []
    return [p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file() and p.stat().st_size > 0]


# ---------------------------------------------------------------- JPEG structure (independent walker)


def header_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, marker) of every length-carrying segment from SOI to the first SOS (inclusive)."""
    from mlzip.header import extract

    pos = data.find(b"\xff\xd8")
    return [] if pos < 0 else extract.header_segments(data, pos + 2)


def scan_start(data: bytes) -> int:
    segs = header_segments(data)
    return segs[-1][1] if segs and segs[-1][2] == 0xDA else len(data) // 2


# ---------------------------------------------------------------- mutators


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(0, len(data))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def flip_header_bits(data: bytes, rng: random.Random) -> bytes:
    """A flip inside the tables and frame header, where it is most likely to confuse a parser."""
    end = scan_start(data)
    out = bytearray(data)
    if end <= 2:
        return flip_bits(data, rng)
    pos = rng.randrange(2, min(end, len(out)))
    out[pos] = rng.randrange(256) if rng.random() < 0.5 else out[pos] ^ (1 << rng.randrange(8))
    return bytes(out)


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    pos = rng.randint(0, len(data))
    junk = rng.choice([b"\xff", b"\x00", b"\xff\x00", b"\xff\xff\xff", os.urandom(rng.randint(1, 64))])
    return data[:pos] + junk + data[pos:]


def delete_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    pos = rng.randrange(len(data))
    return data[:pos] + data[pos + rng.randint(1, 64) :]


def duplicate_segment(data: bytes, rng: random.Random) -> bytes:
    segs = header_segments(data)
    if not segs:
        return insert_bytes(data, rng)
    start, end, _ = rng.choice(segs)
    at = rng.choice([start, end])
    return data[:at] + data[start:end] + data[at:]


def drop_segment(data: bytes, rng: random.Random) -> bytes:
    segs = header_segments(data)
    if not segs:
        return delete_bytes(data, rng)
    start, end, _ = rng.choice(segs)
    return data[:start] + data[end:]


def garbage_before_soi(data: bytes, rng: random.Random) -> bytes:
    junk = rng.choice([os.urandom(rng.randint(1, 100)), b"\xff\xd8\xff\xe0", b"\xff\xd8", b"\x00" * 7])
    return junk + data


def garbage_after_eoi(data: bytes, rng: random.Random) -> bytes:
    junk = rng.choice([os.urandom(rng.randint(1, 300)), b"\x00", b"\xff", b"\xff\xd9", b"\xff\xd8\xff\xd9", data])
    return data + junk


def extra_rst(data: bytes, rng: random.Random) -> bytes:
    """RST markers (right, wrong or repeated numbers) dropped into the entropy-coded data."""
    start = scan_start(data)
    out = data
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(min(start, len(out)), len(out))
        out = out[:pos] + bytes([0xFF, 0xD0 + rng.randrange(8)]) + out[pos:]
    return out


def set_dri(data: bytes, interval: int) -> bytes:
    """Set the first DRI's interval, or add a DRI before the first header segment; scan data untouched."""
    value = interval.to_bytes(2, "big")
    segs = header_segments(data)
    for start, end, marker in segs:
        if marker == 0xDD and end - start == 6:
            return data[: start + 4] + value + data[end:]
    if not segs:
        return data
    return data[: segs[0][0]] + b"\xff\xdd\x00\x04" + value + data[segs[0][0] :]


def wrong_dri(data: bytes, rng: random.Random) -> bytes:
    return set_dri(data, rng.choice([0, 1, 2, 3, 7, 64, 65535, rng.randrange(65536)]))


def _frame(data: bytes) -> tuple[int, int] | None:
    for start, end, marker in header_segments(data):
        if marker in SOF_MARKERS and end - start >= 10:
            return start, end
    return None


def set_dimensions(data: bytes, height: int, width: int) -> bytes:
    """The frame header declares height x width; the scan data stays as it is."""
    frame = _frame(data)
    if frame is None:
        return data
    start = frame[0]
    return data[: start + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[start + 9 :]


def huge_dimensions(data: bytes, rng: random.Random) -> bytes:
    height = rng.choice([0, 1, 60000, 65535, 30000, rng.randrange(65536)])
    width = rng.choice([1, 60000, 65535, 20000, rng.randrange(65536)])
    return set_dimensions(data, height, width)


def set_sampling(data: bytes, component: int, factors: int) -> bytes:
    frame = _frame(data)
    pos = frame[0] + 10 + 3 * component + 1 if frame else len(data)
    if frame is None or pos >= frame[1]:
        return data
    return data[:pos] + bytes([factors]) + data[pos + 1 :]


def sampling_factors(data: bytes, rng: random.Random) -> bytes:
    factors = rng.choice([0x11, 0x12, 0x21, 0x22, 0x41, 0x14, 0x44, 0x00, 0x13, 0x31, rng.randrange(256)])
    return set_sampling(data, rng.randrange(4), factors)


def fill_scan(data: bytes, rng: random.Random) -> bytes:
    """A run of the entropy-coded data replaced by 0xFF, 0x00 or random bytes."""
    start = scan_start(data)
    if start >= len(data):
        return data
    pos = rng.randrange(start, len(data))
    n = rng.randint(1, 200)
    fill = rng.choice([b"\xff" * n, b"\x00" * n, b"\xff\x00" * (n // 2), os.urandom(n)])
    return data[:pos] + fill + data[pos + len(fill) :]


def marker_in_scan(data: bytes, rng: random.Random) -> bytes:
    start = scan_start(data)
    pos = rng.randint(min(start, len(data)), len(data))
    marker = rng.choice([0xD9, 0xD8, 0xDA, 0xC4, 0xDB, 0xDD, 0xE0, 0xFE, 0xC0, 0x01, 0xFF, rng.randrange(256)])
    return data[:pos] + bytes([0xFF, marker]) + data[pos:]


MUTATORS: list[Mutator] = [
    truncate, flip_bits, flip_header_bits, insert_bytes, delete_bytes, duplicate_segment, drop_segment,
    garbage_before_soi, garbage_after_eoi, extra_rst, wrong_dri, huge_dimensions, sampling_factors,
    fill_scan, marker_in_scan,
]  # fmt: skip


def splice(a: bytes, b: bytes, rng: random.Random) -> bytes:
    return a[: rng.randint(0, len(a))] + b[rng.randint(0, len(b)) :]


def mutate(data: bytes, rng: random.Random, *, max_steps: int = 3) -> tuple[bytes, list[str]]:
    names = []
    for _ in range(rng.randint(1, max_steps)):
        mutator = rng.choice(MUTATORS)
        data = mutator(data, rng)
        names.append(mutator.__name__)
    return data, names


# ---------------------------------------------------------------- damaging a member


def damage_member(member: bytes, other: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One kind of damage to an .mlz member; `other` is a second member to splice from."""
    from mlzip import container

    how = rng.choice(["flip", "flip", "truncate", "splice", "swap", "byte", "append"])
    if how == "flip":
        out = bytearray(member)
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out), how
    if how == "byte":
        out = bytearray(member)
        out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out), how
    if how == "truncate":
        return member[: rng.randrange(len(member))], how
    if how == "append":
        return member + other[: rng.randint(1, len(other))], how
    if how == "splice":
        return splice(member, other, rng), how
    # swap: one section of `other` replaces the same-index section of `member`; the header stays honest
    ((head, secs_a),) = container.split_members(member)
    ((_, secs_b),) = container.split_members(other)
    secs = [bytes(s) for s in secs_a]
    i = rng.randrange(len(secs))
    secs[i] = bytes(secs_b[min(i, len(secs_b) - 1)])
    return member_claiming(head, secs), how


def member_claiming(head, sections: list[bytes]) -> bytes:
    """A member with a valid header CRC that claims `head`'s mode, model, size and checksum."""
    import struct
    import zlib

    from mlzip import container

    parts = [struct.pack("<4sBBB", container.MAGIC, container.VERSION, head.mode, 0)]
    parts += [container._varint(head.model_id), container._varint(head.original_size), head.checksum]
    parts += [container._varint(len(sections))] + [container._varint(len(s)) for s in sections]
    raw = b"".join(parts)
    return raw + struct.pack("<I", zlib.crc32(raw)) + b"".join(sections)


# ---------------------------------------------------------------- one case, in a worker


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_case(data: bytes, damage_seed: int | None = None, other: bytes | None = None, *, level: int = 6,
             model: str | None = None) -> dict:
    """Compress, decompress, compare; optionally damage the member and decode it. Returns a verdict."""
    import resource

    from mlzip import api
    from mlzip.errors import LimitExceeded, MlzError

    recorder = _Recorder()
    log = logging.getLogger("mlzip")
    log.addHandler(recorder)
    saved_level = log.level
    log.setLevel(logging.WARNING)  # the CLI may have raised it in this process (-q); we need the warnings
    verdict: dict = {"problems": []}
    t0 = time.perf_counter()
    try:
        try:
            member = api.compress(data, level, model=model)
        except LimitExceeded:
            verdict["mode"] = "limit"
            return verdict
        except Exception as exc:
            verdict["problems"].append(f"compress-raised: {type(exc).__name__}: {exc}")
            return verdict
        verdict["compress_s"] = round(time.perf_counter() - t0, 3)
        verdict["mode"] = api.inspect(member)[0].mode
        try:
            if api.decompress(member) != data:
                verdict["problems"].append("LOST: decompress gave other bytes")
        except Exception as exc:
            verdict["problems"].append(f"LOST: decompress raised {type(exc).__name__}: {exc}")
        for message in recorder.messages:
            if "failed verification" in message:
                verdict["problems"].append(f"jpeg-unverified: {message}")
            elif "failed (" in message:
                verdict["problems"].append(f"jpeg-bug: {message}")
        if damage_seed is not None and other is not None:
            rng = random.Random(damage_seed)
            try:
                other_member = api.compress(other)
                bad, how = damage_member(member, other_member, rng)
            except Exception as exc:  # the damage helper itself; not mlzip's fault
                verdict["damage"] = f"skipped ({type(exc).__name__})"
                return verdict
            verdict["damage"] = how
            try:
                out = api.decompress(bad)
                # a damaged stream may still be a valid one (a cut between members, a whole member spliced)
                if out not in (data, other, data + other, b""):
                    verdict["problems"].append(f"WRONG BYTES from damaged member ({how})")
                verdict["damage_result"] = "decoded"
            except MlzError as exc:
                verdict["damage_result"] = type(exc).__name__
            except Exception as exc:
                verdict["problems"].append(f"corrupt-escape ({how}): {type(exc).__name__}: {exc}")
    finally:
        log.removeHandler(recorder)
        log.setLevel(saved_level)
        verdict["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        verdict["seconds"] = round(time.perf_counter() - t0, 3)
    return verdict


def _worker(conn) -> None:  # pragma: no cover - runs in a child process
    logging.getLogger("mlzip").setLevel(logging.WARNING)
    logging.getLogger("mlzip").propagate = False
    while True:
        job = conn.recv()
        if job is None:
            return
        data, damage_seed, other, level, model = job
        conn.send(run_case(data, damage_seed, other, level=level, model=model))


class Worker:
    """A child process that runs cases; killed and replaced when a case hangs."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, job: tuple, timeout: float) -> dict | None:
        self.conn.send(job)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        self.proc.kill()
        self.proc.join()
        code = self.proc.exitcode
        self._start()
        return {"problems": [f"HANG or crash (exit {code}) past {timeout:.0f} s"]}

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


# ---------------------------------------------------------------- driver


# The coder compiles apart for classic (levels 1-3) and mixing models, and for images of up to
# api.SMALL_BLOCKS blocks (a reused context array and its change log) and larger ones
WARM_LEVELS = (1, 6)  # a level of each coder: classic (1-3) and mixing (4-9)


def warm_levels(levels: list[int]) -> list[int]:
    """The WARM_LEVELS whose coder one of ``levels`` uses (all of them for any level)."""
    from mlzip.coder import strength_for_level

    def classic(level: int) -> bool:
        return strength_for_level(level) == 0

    return [w for w in WARM_LEVELS if not levels or any(classic(w) == classic(lv) for lv in levels)]
WARM_SIZES = ((64, 48), (320, 256))
WARM_TIMEOUT = 900


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, nargs="?", help="real files to mutate (read only)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path("/tmp/mlzip-fuzz"))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--case-timeout", type=float, default=60)
    parser.add_argument("--save-slow", type=float, default=10, help="also keep inputs slower than this (s)")
    parser.add_argument("--model", action="append", default=[], help="learned models to compress with (repeat)")
    parser.add_argument("--model-share", type=float, default=0.5, help="share of cases using one of --model")
    parser.add_argument("--real-share", type=float, default=0.3, help="share of cases mutated from DIR")
    parser.add_argument("--level", type=int, action="append", default=[],
                        help="compress at these levels only (repeat; default: 6 mostly, any level 1-9)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    rng = random.Random(args.seed)
    real = load_dir(args.directory)
    args.out.mkdir(parents=True, exist_ok=True)
    failures = (args.out / "failures.jsonl").open("a")
    worker = Worker()
    stats: Counter = Counter()
    modes: Counter = Counter()
    mutators: Counter = Counter()
    slowest = (0.0, "")
    peak = 0
    # imports load and every coder variant compiles (or loads from numba's cache) here, not in a case:
    # a first compile can take over a minute on a busy 2-core machine, which is no hang
    for warm_level in warm_levels(args.level):
        for size in WARM_SIZES:
            worker.run((warm_jpeg(*size), None, None, warm_level, None), max(args.case_timeout, WARM_TIMEOUT))
    deadline = time.monotonic() + args.seconds
    case = 0
    while time.monotonic() < deadline:
        case += 1
        from_real = real and rng.random() < args.real_share
        seed = rng.choice(real) if from_real else pillow_jpeg(rng)
        other = rng.choice(real) if from_real and rng.random() < 0.2 else pillow_jpeg(rng)
        if rng.random() < 0.1:
            data, names = seed, ["none"]
        elif rng.random() < 0.1:
            data, names = splice(seed, other, rng), ["splice"]
        else:
            data, names = mutate(seed, rng)
        mutators.update(names)
        level = rng.choice([6, 6, 6, rng.randint(1, 9)])  # drawn either way: a seed replays the same cases
        level = rng.choice(args.level) if args.level else level
        other = other if len(other) < 300_000 else other[:1000]
        model = rng.choice(args.model) if args.model and rng.random() < args.model_share else None
        damage_seed = rng.randrange(1 << 30)
        verdict = worker.run((data, damage_seed, other, level, model), args.case_timeout)
        stats["real" if from_real else "generated"] += 1
        modes[verdict.get("mode", "?")] += 1
        stats[f"damage:{verdict.get('damage_result', verdict.get('damage', 'none'))}"] += 1
        peak = max(peak, verdict.get("maxrss_mb", 0))
        if verdict.get("seconds", 0) > slowest[0]:
            slowest = (verdict["seconds"], f"case {case} ({len(data)} B, {'+'.join(names)})")
        if verdict.get("seconds", 0) > args.save_slow and not verdict["problems"]:
            stats["slow cases"] += 1
            path = args.out / f"slow-{args.seed}-{case}.bin"
            path.write_bytes(data)
            print(f"case {case}: slow ({verdict['seconds']} s, {len(data)} B, {'+'.join(names)}) -> {path}",
                  file=sys.stderr)
        if verdict["problems"]:
            stats["failing cases"] += 1
            path = args.out / f"case-{args.seed}-{case}.bin"
            path.write_bytes(data)
            (args.out / f"case-{args.seed}-{case}.other.bin").write_bytes(other)
            failures.write(json.dumps({"file": str(path), "mutators": names, "level": level, "model": model,
                                       "damage_seed": damage_seed, **verdict}) + "\n")
            failures.flush()
            for p in verdict["problems"]:
                stats["problem:" + p.split(":")[0]] += 1
                print(f"case {case}: {p[:300]}", file=sys.stderr)
    worker.close()
    summary = {
        "seed": args.seed, "cases": case, "seconds": args.seconds, "real_files": len(real),
        "stats": dict(stats), "modes": dict(modes), "mutators": dict(mutators),
        "worker_peak_rss_mb": peak, "slowest_case": slowest,
    }  # fmt: skip
    print(json.dumps(summary, indent=1))
    return 1 if stats["failing cases"] else 0


if __name__ == "__main__":
    sys.exit(main())
