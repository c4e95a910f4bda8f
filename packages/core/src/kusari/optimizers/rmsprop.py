"""RMSprop (``chainer.optimizers.RMSprop``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import optimizer
from kusari.optimizers import _common

__all__ = ["RMSprop", "RMSpropRule"]

_default_hyperparam = optimizer.Hyperparameter()
_default_hyperparam.lr = 0.01
_default_hyperparam.alpha = 0.99
_default_hyperparam.eps = 1e-8
_default_hyperparam.eps_inside_sqrt = False


class RMSpropRule(optimizer.UpdateRule):
    """Update rule of RMSprop.

    One step, with ``g`` the gradient (float16 gradients are computed in float32)::

        ms += (1 - alpha) * (g * g - ms)
        param -= lr * g / (sqrt(ms) + eps)        # sqrt(ms + eps) with eps_inside_sqrt

    The state holds the mean square ``'ms'`` (Chainer's key; zeros at the start, the
    parameter's shape and dtype). See :class:`RMSprop` for the default hyperparameters.

    Args:
        parent_hyperparam: The hyperparameter providing the defaults (the module's defaults
            when ``None``).
        lr: Learning rate.
        alpha: Exponential decay rate of the mean square of the gradient.
        eps: Small value for numerical stability.
        eps_inside_sqrt: Divide by ``sqrt(ms + eps)`` instead of ``sqrt(ms) + eps``.

    Every argument left ``None`` is inherited from the parent.
    """

    def __init__(
        self,
        parent_hyperparam: optimizer.Hyperparameter | None = None,
        lr: float | None = None,
        alpha: float | None = None,
        eps: float | None = None,
        eps_inside_sqrt: bool | None = None,
    ) -> None:
        super().__init__(parent_hyperparam or _default_hyperparam)
        _common.override_hyperparams(
            self.hyperparam, lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt
        )

    def init_state(self, param: Any) -> None:
        """Create the mean square ``'ms'``, zeros like the parameter."""
        _common.zeros_state(self, param, "ms")

    def _derive_constants(self, hp: Any) -> tuple:
        return (hp.lr, 1.0 - hp.alpha, hp.eps)

    def update_core(self, param: Any) -> None:
        """Apply one RMSprop step to ``param`` in place (see the class docstring).

        Raises:
            ValueError: ``eps`` is nonzero but rounds to zero in the dtype of the computation.
        """
        hp = self._current_hyperparam()
        data, grad, xp = _common.float_grad(param)
        if 0 < hp.eps < _common.EPS_CHECK_BELOW and grad.dtype != numpy.float64:
            _common.check_eps("RMSprop", hp.eps, grad.dtype)
        lr, one_minus_alpha, eps = self._constants(hp, grad.dtype, xp is numpy)
        ms = self.state["ms"]

        # speed: in place through one scratch array
        tmp = xp.asarray(grad * grad)  # a 0-d parameter would give a NumPy scalar
        tmp -= ms
        tmp *= one_minus_alpha
        ms += tmp
        if hp.eps_inside_sqrt:
            xp.add(ms, eps, out=tmp)
            xp.sqrt(tmp, out=tmp)
        else:
            _common.sqrt_into(xp, ms, tmp)
            tmp += eps
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr
        data -= tmp


class RMSprop(optimizer.GradientMethod):
    """RMSprop: divide the gradient by a running root mean square of its recent values.

    Tieleman & Hinton, "Lecture 6.5 - rmsprop", COURSERA: Neural Networks for Machine
    Learning, 2012. The update is given in :class:`RMSpropRule`.

    Args:
        lr: Learning rate.
        alpha: Exponential decay rate of the mean square of the gradient.
        eps: Small value for numerical stability.
        eps_inside_sqrt: Divide the gradient by ``sqrt(ms + eps)`` instead of
            ``sqrt(ms) + eps`` (the form of some other frameworks, e.g. for porting code).

    Example:
        >>> opt = kusari.optimizers.RMSprop(lr=7e-4, alpha=0.99, eps=1e-5).setup(model)
        >>> opt.update(model, x, t)
    """

    lr, alpha, eps, eps_inside_sqrt = _common.proxies("lr", "alpha", "eps", "eps_inside_sqrt")

    def __init__(
        self,
        lr: float = _default_hyperparam.lr,
        alpha: float = _default_hyperparam.alpha,
        eps: float = _default_hyperparam.eps,
        eps_inside_sqrt: bool = _default_hyperparam.eps_inside_sqrt,
    ) -> None:
        super().__init__()
        _common.set_hyperparams(
            self.hyperparam, lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt
        )

    def create_update_rule(self) -> RMSpropRule:
        """Return a new :class:`RMSpropRule` reading its defaults from this optimizer."""
        return RMSpropRule(self.hyperparam)
