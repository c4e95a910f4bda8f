"""Normalization links."""

from kusari.links.normalization.batch_normalization import BatchNormalization

__all__ = ["BatchNormalization"]
