"""Gradient clipping by the global L2 norm (``chainer.optimizer_hooks.GradientClipping``)."""

from __future__ import annotations

import math
from typing import Any

import numpy

from kusari import backend

__all__ = ["GradientClipping"]


def _sum_squares(grads: list, scales: list) -> float:
    """Sum of squared elements of all ``grads``, each divided by its scale squared.

    One device-side accumulator per device, so a GPU is synchronized once per device.
    """
    totals: dict[Any, Any] = {}
    for g, scale in zip(grads, scales, strict=True):
        flat = g.ravel()
        if flat.dtype == numpy.float16:  # float16 sums of squares overflow quickly
            flat = flat.astype(numpy.float32)
        s = flat.dot(flat)
        if scale is not None:
            s = s / (scale * scale)
        key = backend.get_device_from_array(g)
        totals[key] = s if key not in totals else totals[key] + s
    return sum(float(s) for s in totals.values())


class GradientClipping:
    """Optimizer hook rescaling all gradients so that their global L2 norm is at most a threshold.

    With ``norm = sqrt(sum over parameters of sum(grad ** 2))``, every gradient is multiplied by
    ``threshold / norm`` when ``norm > threshold`` (Pascanu et al., "On the difficulty of
    training recurrent neural networks", ICML 2013). Runs once per update, before the
    parameters change (``timing = 'pre'``). The norm is that of the true gradients: a gradient
    still multiplied by a loss scale is divided by it for the norm.

    Args:
        threshold: The largest allowed L2 norm of all gradients together.

    Attributes:
        threshold (float): The largest allowed L2 norm.

    Example:
        >>> optimizer.add_hook(kusari.optimizer_hooks.GradientClipping(5.0))
    """

    name = "GradientClipping"
    timing = "pre"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, opt: Any) -> None:
        """Rescale the gradients of ``opt.target``'s parameters in place if needed."""
        grads, scales = [], []
        for param in opt.target.params(False):
            g = param.grad
            if g is not None:
                grads.append(g)
                scales.append(getattr(param, "_loss_scale", None))
        if not grads:
            return
        norm = math.sqrt(_sum_squares(grads, scales))
        if norm <= self.threshold:
            return
        rate = self.threshold / norm
        for g in grads:
            g *= rate
