"""Vanilla stochastic gradient descent (``chainer.optimizers.SGD``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import optimizer

__all__ = ["SGD", "SGDRule"]

_default_hyperparam = optimizer.Hyperparameter()
_default_hyperparam.lr = 0.01


class SGDRule(optimizer.UpdateRule):
    """Update rule of vanilla SGD: ``param -= lr * grad``.

    See :class:`SGD` for the default hyperparameters.

    Args:
        parent_hyperparam: The hyperparameter providing the defaults (the module's defaults
            when ``None``).
        lr: Learning rate; ``None`` inherits it from the parent.
    """

    def __init__(
        self, parent_hyperparam: optimizer.Hyperparameter | None = None, lr: float | None = None
    ) -> None:
        super().__init__(parent_hyperparam or _default_hyperparam)
        if lr is not None:
            self.hyperparam.lr = lr

    def _derive_constants(self, hp: Any) -> tuple:
        return (hp.lr,)

    def update_core(self, param: Any) -> None:
        """Apply ``param -= lr * grad`` in place."""
        data = param.array
        (lr,) = self._constants(self._current_hyperparam(), data.dtype, type(data) is numpy.ndarray)
        data -= lr * param.grad


class SGD(optimizer.GradientMethod):
    """Vanilla stochastic gradient descent: ``param -= lr * grad``.

    Args:
        lr: Learning rate.

    Example:
        >>> opt = kusari.optimizers.SGD(lr=0.1).setup(model)
        >>> opt.update(model, x, t)
    """

    lr = optimizer.HyperparameterProxy("lr")

    def __init__(self, lr: float = _default_hyperparam.lr) -> None:
        super().__init__()
        self.hyperparam.lr = lr

    def create_update_rule(self) -> SGDRule:
        """Return a new :class:`SGDRule` reading its defaults from this optimizer."""
        return SGDRule(self.hyperparam)
