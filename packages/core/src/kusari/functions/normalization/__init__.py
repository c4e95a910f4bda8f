"""Normalization functions."""

from kusari.functions.normalization.batch_normalization import (
    batch_normalization,
    fixed_batch_normalization,
)
from kusari.functions.normalization.l2_normalization import normalize

__all__ = ["batch_normalization", "fixed_batch_normalization", "normalize"]
