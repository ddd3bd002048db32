"""The bench's own error: a bad --tools/--baseline value or an empty file list."""

from mlzip.errors import MlzError


class BenchError(MlzError):
    """A benchmark cannot run as asked (unknown tool, no files matched, ...)."""


class ToolFailed(MlzError):
    """A peer refused a file or exited with an error; the file is charged at full size."""
