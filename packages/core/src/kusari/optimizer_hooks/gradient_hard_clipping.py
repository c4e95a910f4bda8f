"""Element-wise gradient clipping (``chainer.optimizer_hooks.GradientHardClipping``)."""

from __future__ import annotations

from typing import Any

from kusari import backend

__all__ = ["GradientHardClipping"]


class GradientHardClipping:
    """Optimizer hook clipping every gradient element into ``[lower_bound, upper_bound]``.

    Runs before the update (``timing = 'pre'``) for every parameter. The bounds apply to the
    gradient as stored, i.e. before a loss scale is divided out.

    Args:
        lower_bound: The smallest allowed gradient value.
        upper_bound: The largest allowed gradient value.

    Attributes:
        lower_bound (float): The smallest allowed gradient value.
        upper_bound (float): The largest allowed gradient value.

    Raises:
        ValueError: ``lower_bound > upper_bound``.
    """

    name = "GradientHardClipping"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, lower_bound: float, upper_bound: float) -> None:
        if lower_bound > upper_bound:
            raise ValueError(
                f"GradientHardClipping: lower_bound ({lower_bound}) > upper_bound ({upper_bound})"
            )
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def __call__(self, rule: Any, param: Any) -> None:
        """Clip ``param.grad`` in place."""
        grad = param.grad
        if grad is None:
            return
        backend.get_array_module(grad).clip(grad, self.lower_bound, self.upper_bound, out=grad)
