"""Test helpers for functions and links (Chainer's ``chainer.testing``, reduced)."""

from kusari.testing.function_check import (
    FLOAT_DTYPES,
    check_function,
    tolerance,
)

__all__ = ["FLOAT_DTYPES", "check_function", "tolerance"]
