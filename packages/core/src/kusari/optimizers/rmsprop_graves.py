"""Alex Graves's RMSprop (``chainer.optimizers.RMSpropGraves``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import optimizer
from kusari.optimizers import _common

__all__ = ["RMSpropGraves", "RMSpropGravesRule"]

_default_hyperparam = optimizer.Hyperparameter()
_default_hyperparam.lr = 1e-4
_default_hyperparam.alpha = 0.95
_default_hyperparam.momentum = 0.9
_default_hyperparam.eps = 1e-4


class RMSpropGravesRule(optimizer.UpdateRule):
    """Update rule of Graves's RMSprop (Graves 2013, eqs. 38-41).

    One step, with ``grad`` the gradient (float16 gradients are computed in float32)::

        n += (1 - alpha) * (grad * grad - n)
        g += (1 - alpha) * (grad - g)
        delta = momentum * delta - lr * grad / sqrt(n - g * g + eps)
        param += delta

    The state holds ``'n'``, ``'g'`` and ``'delta'`` (Chainer's keys; zeros at the start, the
    parameter's shape and dtype). See :class:`RMSpropGraves` for the default hyperparameters.

    Args:
        parent_hyperparam: The hyperparameter providing the defaults (the module's defaults
            when ``None``).
        lr: Learning rate.
        alpha: Exponential decay rate of the first and second moments of the gradient.
        momentum: Exponential decay rate of the step (momentum).
        eps: Small value for numerical stability.

    Every argument left ``None`` is inherited from the parent.
    """

    def __init__(
        self,
        parent_hyperparam: optimizer.Hyperparameter | None = None,
        lr: float | None = None,
        alpha: float | None = None,
        momentum: float | None = None,
        eps: float | None = None,
    ) -> None:
        super().__init__(parent_hyperparam or _default_hyperparam)
        _common.override_hyperparams(
            self.hyperparam, lr=lr, alpha=alpha, momentum=momentum, eps=eps
        )

    def init_state(self, param: Any) -> None:
        """Create ``'n'``, ``'g'`` and ``'delta'``, zeros like the parameter."""
        _common.zeros_state(self, param, "n", "g", "delta")

    def _derive_constants(self, hp: Any) -> tuple:
        return (hp.lr, 1.0 - hp.alpha, hp.momentum, hp.eps)

    def update_core(self, param: Any) -> None:
        """Apply one step to ``param`` in place (see the class docstring)."""
        hp = self._current_hyperparam()
        data, grad, xp = _common.float_grad(param)
        lr, one_minus_alpha, momentum, eps = self._constants(hp, grad.dtype, xp is numpy)
        state = self.state
        n = state["n"]
        g = state["g"]
        delta = state["delta"]

        # speed: in place through one scratch array
        tmp = xp.asarray(grad * grad)  # a 0-d parameter would give a NumPy scalar
        tmp -= n
        tmp *= one_minus_alpha
        n += tmp
        xp.subtract(grad, g, out=tmp)
        tmp *= one_minus_alpha
        g += tmp
        xp.multiply(g, g, out=tmp)
        xp.subtract(n, tmp, out=tmp)
        tmp += eps
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr
        delta *= momentum
        delta -= tmp
        data += delta


class RMSpropGraves(optimizer.GradientMethod):
    """Alex Graves's RMSprop, with running first and second moments and momentum.

    Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850, 2013
    (eqs. 38-41); the defaults are the paper's. The update is given in
    :class:`RMSpropGravesRule`.

    Args:
        lr: Learning rate.
        alpha: Exponential decay rate of the first and second moments of the gradient.
        momentum: Exponential decay rate of the step (momentum).
        eps: Small value for numerical stability.

    Example:
        >>> opt = kusari.optimizers.RMSpropGraves(lr=2.5e-4, eps=1e-2).setup(q_func)
    """

    lr, alpha, momentum, eps = _common.proxies("lr", "alpha", "momentum", "eps")

    def __init__(
        self,
        lr: float = _default_hyperparam.lr,
        alpha: float = _default_hyperparam.alpha,
        momentum: float = _default_hyperparam.momentum,
        eps: float = _default_hyperparam.eps,
    ) -> None:
        super().__init__()
        _common.set_hyperparams(self.hyperparam, lr=lr, alpha=alpha, momentum=momentum, eps=eps)

    def create_update_rule(self) -> RMSpropGravesRule:
        """Return a new :class:`RMSpropGravesRule` reading its defaults from this optimizer."""
        return RMSpropGravesRule(self.hyperparam)
