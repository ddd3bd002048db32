"""Tool names on the command line -> Codec objects."""

from __future__ import annotations

import re

from mlzip.bench.codecs import BrotliCodec, Codec, JxlCodec, LeptonCodec, LeptonVerifyCodec, XzCodec, ZstdCodec
from mlzip.bench.errors import BenchError
from mlzip.bench.external import command_line_peers
from mlzip.bench.mlzip_codec import NO_VERIFY_SUFFIX, MlzipCodec


def peers() -> list[Codec]:
    return [LeptonCodec(), LeptonVerifyCodec(), JxlCodec(), ZstdCodec(), XzCodec(), BrotliCodec(), *command_line_peers()]


DEFAULT_MLZIP_LEVELS = (1, 6, 9)


def default_tool_names() -> list[str]:
    return [f"mlzip-{level}" for level in DEFAULT_MLZIP_LEVELS] + [p.name for p in peers()]


def make_codec(name: str) -> Codec:
    """The Codec for one tool name: ``mlzip-N`` (N in 1..9), ``mlzip:<model>`` (default level) or
    ``mlzip-N:<model>``, any with ``-noverify`` (compress without the closing decode-and-compare), or
    a peer's name."""
    verify = not name.endswith(NO_VERIFY_SUFFIX)
    base = name if verify else name[:-len(NO_VERIFY_SUFFIX)]
    level = re.fullmatch(r"mlzip-([1-9])", base)
    if level:
        return MlzipCodec(level=int(level.group(1)), verify=verify)
    with_model = re.fullmatch(r"mlzip(?:-([1-9]))?:(.+)", base)
    if with_model:
        return MlzipCodec(level=int(with_model.group(1) or 6), model=with_model.group(2), verify=verify)
    for peer in peers():
        if peer.name == name:
            return peer
    known = ", ".join(["mlzip-1 … mlzip-9", "mlzip[-N]:<model>", f"either with {NO_VERIFY_SUFFIX}",
                       *(p.name for p in peers())])
    raise BenchError(f"unknown tool {name!r} (known: {known})")


def parse_tools(spec: str | None) -> list[Codec]:
    """Comma-separated tool names (None: every known tool) -> Codecs, duplicates dropped, order kept."""
    names = default_tool_names() if spec is None else [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise BenchError("--tools names no tool")
    return [make_codec(name) for name in dict.fromkeys(names)]
