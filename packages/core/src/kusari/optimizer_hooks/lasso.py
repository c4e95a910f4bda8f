"""L1 regularization (``chainer.optimizer_hooks.Lasso``)."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.optimizer_hooks._rate import loss_scaled_rate

__all__ = ["Lasso"]


class Lasso:
    """Optimizer hook adding ``rate * sign(param)`` to each parameter's gradient (L1 penalty).

    Tibshirani, "Regression Shrinkage and Selection via the Lasso", 1996. Runs before the
    update (``timing = 'pre'``) for every parameter; a loss-scaled gradient gets the term
    multiplied by the loss scale.

    Args:
        rate: Coefficient of the penalty.

    Attributes:
        rate (float): Coefficient of the penalty.
    """

    name = "Lasso"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, rule: Any, param: Any) -> None:
        """Add ``rate * sign(param.array)`` to ``param.grad`` in place."""
        data, grad = param.array, param.grad
        if data is None or grad is None:
            return
        rate = loss_scaled_rate(self.rate, param)
        sign = backend.get_array_module(data).sign(data)
        sign *= rate
        grad += sign
