"""Generate man/mlzip.1 and the shell completions from the typer app; check that they are current.

    python tools/gen_docs.py          # rewrite the generated files
    python tools/gen_docs.py --check  # exit 1 if any is stale (tests/test_docs.py runs this)

man/mlzip.5 (the container format) is written by hand; this script only checks that it is there.
The output carries no date, so it depends on the source alone.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import typer  # noqa: E402
from typer.completion import get_completion_script  # noqa: E402

from mlzip import __version__, cli  # noqa: E402

HAND_WRITTEN = ("man/mlzip.5",)
COMPLETIONS = {"bash": "completions/mlzip.bash", "zsh": "completions/mlzip.zsh", "fish": "completions/mlzip.fish"}
# zsh's compinit autoloads only files named _<command> from site-functions; mlzip.zsh is for `source`.
ZSH_AUTOLOAD = "completions/_mlzip"
SHORT_NAMES = {"compress": "c", "decompress": "d", "test": "t", "list": "l"}

DESCRIPTION = r"""
.B mlzip
makes JPEG files smaller without changing a single byte of them, and compresses every other file with
zstd. It behaves like
.BR gzip (1):
.B mlzip c photo.jpg
writes
.I photo.jpg.mlz
and removes
.IR photo.jpg ;
.B mlzip d photo.jpg.mlz
gives back the identical
.IR photo.jpg .
.PP
With no FILE, or when FILE is
.BR \- ,
mlzip reads standard input and writes standard output. Compressed data is never written to or read from
a terminal unless
.B \-f
is given. Several members may follow each other in one .mlz file
.RB ( "mlzip c \-c a.jpg b.jpg > ab.mlz" );
they decode in order, one after the other.
.PP
Safety: every output is written to a temporary file in the target directory, flushed to disk and renamed
into place, then read back; unless
.B \-\-no\-verify
is given, the compressed member was decoded and compared with the input byte for byte before that. The
input is removed only after all of this, and only if it did not change meanwhile. Ctrl\-C, a full disk
or any error leaves no partial output and never removes the input. A file that changes while it is read
is reported and left alone.
.PP
Each compressed member keeps the original file name and modification time (unless
.BR \-n );
outputs get the permissions and modification time of their input.
""".strip()

EXIT_STATUS = r"""
.TP
.B 0
Every file was processed.
.TP
.B 1
An error: a file is missing, unreadable, corrupt, truncated, not an .mlz file, written by a newer mlzip,
or could not be written; or compressed data would go to or come from a terminal.
.TP
.B 2
A warning: a file was left alone on purpose (its output exists, it already has the suffix, it lacks the
suffix, it is a directory without
.BR \-r ,
a symbolic link without
.BR \-f ,
or it changed after being read). Usage errors (unknown option, bad value) also exit 2.
.TP
.B 130
Interrupted (Ctrl\-C); no partial output is left behind.
.PP
With several files the others are still processed, and the worst status wins: 1 over 2 over 0.
Messages are one line each on standard error,
.IR "mlzip: FILE: reason" ;
standard output carries only data.
""".strip()

EXAMPLES = r"""
.TP
.B mlzip c \-k photo.jpg
Write photo.jpg.mlz and keep photo.jpg.
.TP
.B mlzip d photo.jpg.mlz
Restore photo.jpg, byte for byte.
.TP
.B mlzip c \-r \-T 0 Pictures/
Compress every file below Pictures/ (JPEG files by their coefficients, the others with zstd), one
process per core.
.TP
.B mlzip d \-r Pictures/
Restore every .mlz file below Pictures/.
.TP
.B tar cf \- dir | mlzip c > dir.tar.mlz
Compress a pipeline.
.TP
.B mlzip d \-c photo.jpg.mlz | cmp \- photo.jpg
Decompress to standard output.
.TP
.B mlzip l \-\-json *.mlz
Sizes, savings, mode and model id of each file, as JSON.
""".strip()


def _plain(text: str) -> str:
    """Help text without rich markup, escaped for troff."""
    text = re.sub(r"\[/?[a-z ]*\]", "", text or "")
    text = text.replace("\\", r"\e").replace("-", r"\-")
    return "\n".join(r"\&" + line if line[:1] in (".", "'") else line for line in text.splitlines())


def _root_command() -> Any:
    return typer.main.get_command(cli.app)


def _option_entry(param: Any) -> str:
    names = sorted(param.opts, key=len) + sorted(getattr(param, "secondary_opts", []), key=len)
    label = ", ".join(r"\fB" + n.replace("-", r"\-") + r"\fR" for n in names)
    if not getattr(param, "is_flag", False) and param.metavar:
        label += r" \fI" + param.metavar + r"\fR"
    help_text = _plain(param.help or "")
    default = param.default
    if not getattr(param, "is_flag", False) and default not in (None, False, "", ()):
        help_text += rf" (default: {_plain(str(default))})"
    return f".TP\n{label}\n{help_text}"


def _command_section(name: str, command: Any) -> str:
    title = f"{name}, {SHORT_NAMES[name]}" if name in SHORT_NAMES else name
    lines = [
        f'.SS "{title}"',
        rf".B mlzip {name}",
        r"[\fIOPTIONS\fR] [\fIFILE\fR ...]",
        ".br",
        _plain(command.help or ""),
    ]
    if command.name == "compress":
        lines.append(r".br" + "\n" + r"Levels also as in gzip: \fB\-1\fR ... \fB\-9\fR, \fB\-\-fast\fR, \fB\-\-best\fR.")
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "hidden", False):
            lines.append(_option_entry(param))
    return "\n".join(lines)


def render_man1() -> str:
    root = _root_command()
    visible = [(name, cmd) for name, cmd in root.commands.items() if not getattr(cmd, "hidden", False)]
    global_options = [p for p in root.params if getattr(p, "param_type_name", "") == "option"]
    parts = [
        r'.\" Generated by tools/gen_docs.py from the typer app in mlzip/cli.py; do not edit.',
        f'.TH MLZIP 1 "" "mlzip {__version__}" "User Commands"',
        ".SH NAME",
        r"mlzip \- lossless JPEG recompressor with the manners of gzip",
        ".SH SYNOPSIS",
        r".B mlzip",
        r"{\fBc\fR|\fBd\fR|\fBt\fR|\fBl\fR} [\fIOPTIONS\fR] [\fIFILE\fR ...]",
        ".br",
        r".B mlzip",
        r"{\fBcompress\fR|\fBdecompress\fR|\fBtest\fR|\fBlist\fR} [\fIOPTIONS\fR] [\fIFILE\fR ...]",
        ".br",
        r".B mlzip",
        r"[\fB\-V\fR|\fB\-\-version\fR|\fB\-h\fR|\fB\-\-help\fR]",
        ".br",
        r".B python \-m mlzip",
        r"\&...",
        ".SH DESCRIPTION",
        DESCRIPTION,
        ".SH COMMANDS",
        *[_command_section(name, cmd) for name, cmd in visible],
        ".SH GLOBAL OPTIONS",
        *[_option_entry(p) for p in global_options],
        ".SH EXIT STATUS",
        EXIT_STATUS,
        ".SH EXAMPLES",
        EXAMPLES,
        ".SH ENVIRONMENT",
        ".TP",
        r".B _MLZIP_COMPLETE",
        "Set by the shell completion scripts (bash, zsh, fish) installed with mlzip; not for users.",
        ".SH SEE ALSO",
        r".BR mlzip (5),",
        r".BR gzip (1),",
        r".BR zstd (1)",
    ]
    return "\n".join(parts) + "\n"


def render_completion(shell: str) -> str:
    script = get_completion_script(prog_name=cli.PROG, complete_var="_MLZIP_COMPLETE", shell=shell)
    return f"# Generated by tools/gen_docs.py ({shell} completion for mlzip); do not edit.\n{script}\n"


def render_zsh_autoload() -> str:
    """The body of typer's zsh completion function, as an autoloadable compsys file."""
    script = get_completion_script(prog_name=cli.PROG, complete_var="_MLZIP_COMPLETE", shell="zsh")
    match = re.search(r"^_mlzip_completion\(\) \{\n(.*?)\n\}", script, flags=re.S | re.M)
    if match is None:
        raise SystemExit("gen_docs: typer's zsh completion script changed shape; update render_zsh_autoload")
    return f"#compdef mlzip\n# Generated by tools/gen_docs.py; do not edit.\n{match.group(1).strip()}\n"


def render_all() -> dict[str, str]:
    files = {"man/mlzip.1": render_man1()}
    files.update({path: render_completion(shell) for shell, path in COMPLETIONS.items()})
    files[ZSH_AUTOLOAD] = render_zsh_autoload()
    return files


def stale(root: Path = ROOT) -> list[str]:
    out = [path for path, text in render_all().items() if _read(root / path) != text]
    return out + [path for path in HAND_WRITTEN if not (root / path).is_file()]


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def main(argv: list[str]) -> int:
    if "--check" in argv:
        paths = stale()
        for path in paths:
            print(f"gen_docs: {path} is stale; run python tools/gen_docs.py", file=sys.stderr)
        return 1 if paths else 0
    for path, text in render_all().items():
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / path).write_text(text)
    missing = [path for path in HAND_WRITTEN if not (ROOT / path).is_file()]
    for path in missing:
        print(f"gen_docs: {path} (hand-written) is missing", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
