"""File-level work behind the CLI: one input file in, one Outcome out.

Everything here runs in a worker process as well as in the main one, so it takes and returns plain
picklable values and never prints. The safety rules live here: outputs are written to a temporary file
in the target directory, flushed, renamed into place and read back; an input is removed only after
that, and only if it did not change meanwhile; Ctrl-C or a full disk leaves no partial output.
"""

from __future__ import annotations

import enum
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import BinaryIO

from mlzip import limits
from mlzip.errors import LimitExceeded, MlzError

DEFAULT_SUFFIX = ".mlz"


class Action(str, enum.Enum):
    COMPRESS = "compress"
    DECOMPRESS = "decompress"
    TEST = "test"
    LIST = "list"


class Status(enum.IntEnum):
    """Exit codes as gzip has them; `worst` ranks an error above a warning."""

    OK = 0
    ERROR = 1
    WARNING = 2


def worst(statuses: list[Status]) -> Status:
    rank = {Status.OK: 0, Status.WARNING: 1, Status.ERROR: 2}
    return max(statuses, key=rank.__getitem__, default=Status.OK)


class Refusal(MlzError):
    """A file left alone on purpose (exists, wrong suffix, ...): a warning, exit status 2."""


class InputChanged(MlzError):
    """The input changed while mlzip was reading it."""


@dataclass(frozen=True)
class Settings:
    action: Action
    level: int = 6
    model: str | None = None
    keep: bool = False
    force: bool = False
    to_stdout: bool = False
    output: str | None = None
    suffix: str = DEFAULT_SUFFIX
    verify: bool = True
    name: bool = True  # compress: store name and mtime; decompress: restore them


@dataclass
class Outcome:
    source: str
    status: Status = Status.OK
    message: str | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    target: str | None = None
    removed_input: bool = False
    data: bytes | None = None  # what goes to stdout with -c
    members: list = field(default_factory=list)  # list[api.MemberInfo] for `list`


def process_path(path: str, settings: Settings) -> Outcome:
    """Run one action on one file; every expected failure becomes the Outcome's status and message."""
    outcome = Outcome(source=path)
    with _reported(outcome):
        _run(path, settings, outcome)
    return outcome


def process_bytes(data: bytes, settings: Settings, source: str = "stdin") -> Outcome:
    """Run one action on data already read (stdin); the result goes to `settings.output` or stdout."""
    from mlzip import api

    outcome = Outcome(source=source, bytes_in=len(data))
    with _reported(outcome):
        if settings.action is Action.LIST:
            outcome.members = api.inspect(data)
            outcome.bytes_out = sum(m.original_size for m in outcome.members)
            return outcome
        result = transform(data, settings, name=None, mtime=None)
        if settings.action in (Action.COMPRESS, Action.DECOMPRESS):
            _deliver(result, settings.output, outcome, settings, source_stat=None)
        _describe(data, result, settings, outcome)
    return outcome


@contextmanager
def _reported(outcome: Outcome) -> Iterator[None]:
    """Turn every expected failure into the outcome's status and one-line message."""
    try:
        yield
    except Refusal as exc:
        outcome.status, outcome.message = Status.WARNING, str(exc)
    except MlzError as exc:
        outcome.status, outcome.message = Status.ERROR, str(exc)
    except OSError as exc:
        outcome.status, outcome.message = Status.ERROR, exc.strerror or str(exc)


def transform(data: bytes, settings: Settings, *, name: str | None, mtime: int | None) -> bytes:
    """The pure part: compress, decompress or test bytes (list never gets here)."""
    from mlzip import api

    if settings.action is Action.COMPRESS:
        return api.compress(data, settings.level, model=settings.model, verify=settings.verify, name=name, mtime=mtime)
    return api.decompress(data)


def compressed_name(path: str, suffix: str) -> str:
    return path + suffix


def decompressed_name(path: str, suffix: str) -> str | None:
    base = os.path.basename(path)
    if not base.endswith(suffix) or len(base) == len(suffix):
        return None
    return path[: -len(suffix)]


def _run(path: str, settings: Settings, outcome: Outcome) -> None:
    info = _check_source(path, settings)
    if settings.action is Action.LIST:
        _list(path, info, outcome)
        return
    target = None if settings.to_stdout else _target_for(path, settings)
    if target is not None:
        _check_target(path, target, info, settings)
    data, info = read_stable(path)
    outcome.bytes_in = len(data)
    if target is not None and settings.action is Action.DECOMPRESS and settings.name:
        target = _stored_name_target(path, data, settings) or target
        _check_target(path, target, info, settings)
    name = os.path.basename(path) if settings.name else None
    mtime = int(info.st_mtime) if settings.name else None
    result = transform(data, settings, name=name, mtime=mtime)
    _describe(data, result, settings, outcome)
    if settings.action is Action.TEST:
        return
    if target is None:
        outcome.data, outcome.bytes_out = result, len(result)
        return
    mtime_ns = info.st_mtime_ns
    if settings.action is Action.DECOMPRESS and settings.name:
        stored = _stored_mtime(data)
        mtime_ns = stored * 1_000_000_000 if stored is not None else mtime_ns
    _deliver(result, target, outcome, settings, source_stat=info, mtime_ns=mtime_ns)
    if not settings.keep:
        _remove_input(path, info, outcome)


def _check_source(path: str, settings: Settings) -> os.stat_result:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        if not settings.force:
            raise Refusal("is a symbolic link -- ignored")
        info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise Refusal("is a directory -- ignored")
    if not stat.S_ISREG(info.st_mode):
        raise Refusal("is not a regular file -- ignored")
    base = os.path.basename(path)
    if settings.action is Action.COMPRESS and base.endswith(settings.suffix):
        raise Refusal(f"already has {settings.suffix} suffix -- unchanged")
    if info.st_size > limits.MAX_INPUT_BYTES:
        raise LimitExceeded(f"file of {info.st_size} bytes is past the limit of {limits.MAX_INPUT_BYTES}")
    return info


def _target_for(path: str, settings: Settings) -> str | None:
    if settings.action in (Action.TEST, Action.LIST):
        return None
    if settings.output is not None:
        return settings.output
    if settings.action is Action.COMPRESS:
        return compressed_name(path, settings.suffix)
    target = decompressed_name(path, settings.suffix)
    if target is None:
        raise Refusal(f"unknown suffix (not {settings.suffix}) -- ignored")
    return target


def _check_target(path: str, target: str, info: os.stat_result, settings: Settings) -> None:
    if os.path.lexists(target) and not settings.force:
        raise Refusal(f"{target} already exists; not overwritten")
    if not settings.keep and info.st_nlink > 1 and not settings.force:
        raise Refusal(f"has {info.st_nlink - 1} other link(s) -- unchanged")


def _stored_name_target(path: str, data: bytes, settings: Settings) -> str | None:
    """With -N, the name kept in the first member, reduced to a plain file name (never a path)."""
    from mlzip import api

    stored = api.inspect(data)[0].name if settings.output is None else None
    if not stored:
        return None
    base = os.path.basename(stored.replace("\\", "/"))
    if base in ("", ".", ".."):
        return None
    return os.path.join(os.path.dirname(path), base)


def _stored_mtime(data: bytes) -> int | None:
    from mlzip import api

    return api.inspect(data)[0].mtime


def read_stable(path: str) -> tuple[bytes, os.stat_result]:
    """Read a whole file and prove it did not change meanwhile (size, mtime and ctime before and after)."""
    with open(path, "rb") as stream:
        before = os.fstat(stream.fileno())
        if before.st_size > limits.MAX_INPUT_BYTES:
            raise LimitExceeded(f"file of {before.st_size} bytes is past the limit of {limits.MAX_INPUT_BYTES}")
        data = _read_all(stream, limits.MAX_INPUT_BYTES + 1)
        after = os.fstat(stream.fileno())
    if len(data) > limits.MAX_INPUT_BYTES:
        raise LimitExceeded(f"file is past the limit of {limits.MAX_INPUT_BYTES} bytes")
    if _fingerprint(before) != _fingerprint(after) or len(data) != after.st_size:
        raise InputChanged("changed while being read -- unchanged")
    return data, after


def _read_all(stream: BinaryIO, limit: int) -> bytes:
    return stream.read(limit)


def _fingerprint(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _describe(data: bytes, result: bytes, settings: Settings, outcome: Outcome) -> None:
    from mlzip import api

    outcome.bytes_in = len(data)
    outcome.bytes_out = len(result)
    compressed = result if settings.action is Action.COMPRESS else data
    outcome.members = api.inspect(compressed)


def _deliver(
    result: bytes,
    target: str | None,
    outcome: Outcome,
    settings: Settings,
    *,
    source_stat: os.stat_result | None,
    mtime_ns: int | None = None,
) -> None:
    outcome.bytes_out = len(result)
    if target is None:
        outcome.data = result
        return
    write_atomic(target, result, force=settings.force, source_stat=source_stat, mtime_ns=mtime_ns)
    outcome.target = target
    if settings.verify:
        with open(target, "rb") as stream:
            if _read_all(stream, len(result) + 1) != result:
                raise MlzError(f"{target} does not read back as written")


def write_atomic(
    target: str,
    data: bytes,
    *,
    force: bool,
    source_stat: os.stat_result | None = None,
    mtime_ns: int | None = None,
) -> None:
    """Write `data` to a temporary file next to `target`, flush it to disk, then rename it into place.

    Any failure, Ctrl-C included, removes the temporary file: no partial output is ever visible under
    the target name. Without `force`, an existing target is never replaced (even one that appeared
    while we were writing).
    """
    directory = os.path.dirname(target) or "."
    fd, temp = tempfile.mkstemp(prefix=".mlzip-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as stream:
            _write_all(stream, data)
            stream.flush()
            os.fsync(stream.fileno())
        if source_stat is not None:
            os.chmod(temp, stat.S_IMODE(source_stat.st_mode))
            mtime_ns = source_stat.st_mtime_ns if mtime_ns is None else mtime_ns
            os.utime(temp, ns=(source_stat.st_atime_ns, mtime_ns))
        else:  # from stdin: the permissions a new file gets, not mkstemp's 0600
            os.chmod(temp, 0o666 & ~_umask())
        _publish(temp, target, force)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temp)
    _sync_directory(directory)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_all(stream: BinaryIO, data: bytes) -> None:
    stream.write(data)


def _publish(temp: str, target: str, force: bool) -> None:
    if force:
        if os.path.isdir(target) and not os.path.islink(target):
            raise Refusal(f"{target} is a directory; not overwritten")
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if the target exists, atomically
    except FileExistsError:
        raise Refusal(f"{target} already exists; not overwritten") from None
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(target):
            raise Refusal(f"{target} already exists; not overwritten") from None
        os.replace(temp, target)


def _sync_directory(directory: str) -> None:
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_input(path: str, before: os.stat_result, outcome: Outcome) -> None:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return
    if _fingerprint(now) != _fingerprint(before):
        outcome.status, outcome.message = Status.WARNING, "changed after being read -- kept"
        return
    os.unlink(path)
    outcome.removed_input = True


def _list(path: str, info: os.stat_result, outcome: Outcome) -> None:
    from mlzip import api, container

    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        outcome.members = [api.member_info(h) for h in container.scan_headers(stream, size)]
    outcome.bytes_in = size
    outcome.bytes_out = sum(m.original_size for m in outcome.members)
