import mlzip
from mlzip.errors import MlzError, UnsupportedJpeg


def test_errors_share_one_base():
    assert issubclass(UnsupportedJpeg, MlzError)
    assert mlzip.MlzError is MlzError
