"""L2 regularization by weight decay (``chainer.optimizer_hooks.WeightDecay``)."""

from __future__ import annotations

from typing import Any

from kusari.optimizer_hooks._rate import loss_scaled_rate

__all__ = ["WeightDecay"]


class WeightDecay:
    """Optimizer hook adding ``rate * param`` to each parameter's gradient (L2 regularization).

    Registered with ``optimizer.add_hook(WeightDecay(rate))`` it runs before the update
    (``timing = 'pre'``) for every parameter; it can also be added to a single update rule.
    A gradient still multiplied by a loss scale gets ``rate * loss_scale * param``, so the decay
    is the same after the gradient is divided back.

    Args:
        rate: Coefficient of the decay, e.g. ``1e-4``.

    Attributes:
        rate (float): Coefficient of the decay.

    Example:
        >>> optimizer.add_hook(kusari.optimizer_hooks.WeightDecay(1e-4))
    """

    name = "WeightDecay"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, rule: Any, param: Any) -> None:
        """Add ``rate * param.array`` to ``param.grad`` in place (skipped without a gradient)."""
        data, grad = param.array, param.grad
        if data is None or grad is None:
            return
        rate = loss_scaled_rate(self.rate, param)
        grad += rate * data
