"""Activation functions."""

from kusari.functions.activation.prelu import prelu

__all__ = ["prelu"]
