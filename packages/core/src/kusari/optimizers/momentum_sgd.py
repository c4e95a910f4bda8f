"""Stochastic gradient descent with momentum (``chainer.optimizers.MomentumSGD``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend, optimizer

__all__ = ["MomentumSGD", "MomentumSGDRule"]

_default_hyperparam = optimizer.Hyperparameter()
_default_hyperparam.lr = 0.01
_default_hyperparam.momentum = 0.9


class MomentumSGDRule(optimizer.UpdateRule):
    """Update rule of momentum SGD: ``v = momentum * v - lr * grad; param += v``.

    The state holds the velocity ``'v'`` (zeros at the start, the parameter's shape and dtype).
    See :class:`MomentumSGD` for the default hyperparameters.

    Args:
        parent_hyperparam: The hyperparameter providing the defaults (the module's defaults
            when ``None``).
        lr: Learning rate; ``None`` inherits it from the parent.
        momentum: Decay rate of the velocity; ``None`` inherits it from the parent.
    """

    def __init__(
        self,
        parent_hyperparam: optimizer.Hyperparameter | None = None,
        lr: float | None = None,
        momentum: float | None = None,
    ) -> None:
        super().__init__(parent_hyperparam or _default_hyperparam)
        if lr is not None:
            self.hyperparam.lr = lr
        if momentum is not None:
            self.hyperparam.momentum = momentum

    def init_state(self, param: Any) -> None:
        """Create the velocity ``'v'``, zeros like the parameter."""
        self.state["v"] = backend.get_array_module(param.array).zeros_like(param.array)

    def _derive_constants(self, hp: Any) -> tuple:
        return (hp.lr, hp.momentum)

    def update_core(self, param: Any) -> None:
        """Update the velocity and the parameter in place."""
        data = param.array
        lr, momentum = self._constants(
            self._current_hyperparam(), data.dtype, type(data) is numpy.ndarray
        )
        v = self.state["v"]
        v *= momentum
        v -= lr * param.grad
        data += v


class MomentumSGD(optimizer.GradientMethod):
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v = momentum * v - lr * grad; param += v`` (Polyak, 1964; as in Sutskever et al., "On
    the importance of initialization and momentum in deep learning", ICML 2013).

    Args:
        lr: Learning rate.
        momentum: Exponential decay rate of the velocity.

    Example:
        >>> opt = kusari.optimizers.MomentumSGD(lr=0.01, momentum=0.9).setup(model)
    """

    lr = optimizer.HyperparameterProxy("lr")
    momentum = optimizer.HyperparameterProxy("momentum")

    def __init__(
        self,
        lr: float = _default_hyperparam.lr,
        momentum: float = _default_hyperparam.momentum,
    ) -> None:
        super().__init__()
        self.hyperparam.lr = lr
        self.hyperparam.momentum = momentum

    def create_update_rule(self) -> MomentumSGDRule:
        """Return a new :class:`MomentumSGDRule` reading its defaults from this optimizer."""
        return MomentumSGDRule(self.hyperparam)
