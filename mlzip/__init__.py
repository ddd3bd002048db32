"""mlzip: lossless JPEG recompression with learned predictors and an adaptive arithmetic coder."""

from mlzip.errors import MlzError

__version__ = "0.1.0"

__all__ = ["MlzError", "__version__"]
