"""One exception hierarchy: everything mlzip raises on purpose is an MlzError.

The CLI catches MlzError at the command edge and prints ``mlzip: FILE: reason``;
anything else escaping is a bug.
"""


class MlzError(Exception):
    """Base of every error mlzip reports to the user."""


class CorruptMember(MlzError):
    """An .mlz member is truncated, altered or not an .mlz member at all."""


class UnsupportedVersion(MlzError):
    """The member was written by a newer mlzip with a format this one cannot read."""


class LimitExceeded(MlzError):
    """An input is past one of the limits in mlzip.limits."""


class UnsupportedJpeg(MlzError):
    """The JPEG layer cannot transcode this file exactly; the caller takes the zstd path."""


class ModelError(MlzError):
    """A model id is unknown, or its weights are missing or fail their sha256 check."""
