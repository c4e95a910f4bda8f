"""Adam and its variants AdamW, AMSGrad, AdaBound and AMSBound (``chainer.optimizers.Adam``)."""

from __future__ import annotations

import math
from typing import Any

import numpy

from kusari import optimizer
from kusari.optimizers import _common

__all__ = ["AMSBound", "AMSGrad", "AdaBound", "Adam", "AdamRule", "AdamW"]

_default_hyperparam = optimizer.Hyperparameter()
_default_hyperparam.alpha = 0.001
_default_hyperparam.beta1 = 0.9
_default_hyperparam.beta2 = 0.999
_default_hyperparam.eps = 1e-8
_default_hyperparam.eta = 1.0
_default_hyperparam.weight_decay_rate = 0
_default_hyperparam.amsgrad = False
_default_hyperparam.adabound = False
_default_hyperparam.final_lr = 0.1
_default_hyperparam.gamma = 1e-3


def _learning_rate(hp: Any, t: int) -> float:
    """``alpha_t = alpha * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)`` (Kingma & Ba, Alg. 1)."""
    if t == 0:
        raise RuntimeError(
            "Adam: the learning rate alpha_t is defined only after the first update (t >= 1)"
        )
    fix1 = 1.0 - math.pow(hp.beta1, t)
    fix2 = 1.0 - math.pow(hp.beta2, t)
    return hp.alpha * math.sqrt(fix2) / fix1


class AdamRule(optimizer.UpdateRule):
    """Update rule of Adam and its variants.

    One step, with ``g`` the gradient (float16 gradients are computed in float32)::

        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g * g - v)
        vhat = max(vhat, v) if amsgrad else v
        step = alpha_t / (sqrt(vhat) + eps)                 # clipped to [lower, upper] in AdaBound
        param -= eta * (step * m + weight_decay_rate * param)

    with ``alpha_t = alpha * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)``. The state holds ``'m'``,
    ``'v'`` and, with AMSGrad, ``'vhat'`` (Chainer's keys). See :class:`Adam` for the papers
    and the default hyperparameters.

    Args:
        parent_hyperparam: The hyperparameter providing the defaults (the module's defaults
            when ``None``).
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        eps: Small value for numerical stability.
        eta: Schedule multiplier (e.g. for warm restarts).
        weight_decay_rate: Decoupled weight decay rate (AdamW).
        amsgrad: Whether to use AMSGrad.
        adabound: Whether to use AdaBound.
        final_lr: Final (SGD) learning rate of AdaBound.
        gamma: Convergence speed of AdaBound's bound functions.

    Every argument left ``None`` is inherited from the parent.
    """

    def __init__(
        self,
        parent_hyperparam: optimizer.Hyperparameter | None = None,
        alpha: float | None = None,
        beta1: float | None = None,
        beta2: float | None = None,
        eps: float | None = None,
        eta: float | None = None,
        weight_decay_rate: float | None = None,
        amsgrad: bool | None = None,
        adabound: bool | None = None,
        final_lr: float | None = None,
        gamma: float | None = None,
    ) -> None:
        super().__init__(parent_hyperparam or _default_hyperparam)
        _common.override_hyperparams(
            self.hyperparam,
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            weight_decay_rate=weight_decay_rate,
            amsgrad=amsgrad,
            adabound=adabound,
            final_lr=final_lr,
            gamma=gamma,
        )
        self.initial_alpha = self.hyperparam.alpha if self.hyperparam.adabound else None

    def init_state(self, param: Any) -> None:
        """Create ``'m'``, ``'v'`` (and ``'vhat'`` with AMSGrad), zeros like the parameter."""
        keys = ("m", "v", "vhat") if self.hyperparam.amsgrad else ("m", "v")
        _common.zeros_state(self, param, *keys)

    def update_core(self, param: Any) -> None:
        """Apply one Adam step to ``param`` in place (see the class docstring)."""
        hp = self._current_hyperparam()
        data, grad, xp = _common.float_grad(param)
        eps = hp.eps
        if 0 < eps < _common.EPS_CHECK_BELOW and grad.dtype != numpy.float64:
            _common.check_eps("Adam", eps, grad.dtype)
        one_minus_beta1, one_minus_beta2, eps_c = self._constants(hp, grad.dtype, xp is numpy)
        state = self.state
        m = state["m"]
        v = state["v"]

        # speed: in place through one scratch array, with few array-scalar operations (each
        # costs about as much as two array-array ones on small arrays)
        tmp = xp.asarray(grad - m)  # a 0-d parameter would give a NumPy scalar
        tmp *= one_minus_beta1
        m += tmp
        xp.multiply(grad, grad, out=tmp)
        tmp -= v
        tmp *= one_minus_beta2
        v += tmp
        if hp.amsgrad:
            vhat = state["vhat"]
            xp.maximum(vhat, v, out=vhat)
        else:
            vhat = v
        _common.sqrt_into(xp, vhat, tmp)
        tmp += eps_c
        alpha_t = _learning_rate(hp, self.t)
        eta = hp.eta
        if hp.adabound:
            lower, upper = self._bounds(hp)
            xp.divide(alpha_t, tmp, out=tmp)
            xp.clip(tmp, lower, upper, out=tmp)
            tmp *= m
            tmp *= eta
        else:
            xp.divide(m, tmp, out=tmp)
            tmp *= eta * alpha_t
        if hp.weight_decay_rate != 0:
            data *= 1.0 - eta * hp.weight_decay_rate
        data -= tmp

    def _derive_constants(self, hp: Any) -> tuple:
        return (1.0 - hp.beta1, 1.0 - hp.beta2, hp.eps)

    def _bounds(self, hp: Any) -> tuple[float, float]:
        if self.initial_alpha is None:
            self.initial_alpha = hp.alpha
        # final_lr follows alpha when a schedule changes alpha (as in Chainer)
        final_lr = hp.final_lr * hp.alpha / self.initial_alpha
        t = self.t
        lower = final_lr * (1.0 - 1.0 / (hp.gamma * t + 1))
        upper = final_lr * (1.0 + 1.0 / (hp.gamma * t))
        return lower, upper

    @property
    def alpha_t(self) -> float:
        """The bias-corrected step size ``alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``.

        Raises:
            RuntimeError: No update has been made yet (``t == 0``).
        """
        return _learning_rate(self.hyperparam, self.t)

    @property
    def lr(self) -> float:
        """Same as :attr:`alpha_t` (Chainer's older name)."""
        return self.alpha_t

    @property
    def bounds(self) -> tuple[float, float]:
        """AdaBound's ``(lower, upper)`` bounds of the step at the current ``t``.

        Raises:
            RuntimeError: No update has been made yet (``t == 0``).
        """
        if self.t == 0:
            raise RuntimeError("Adam: the AdaBound bounds are defined only after the first update")
        return self._bounds(self.hyperparam)


class Adam(optimizer.GradientMethod):
    """Adam optimizer, with decoupled weight decay (AdamW), AMSGrad and AdaBound as options.

    Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015. ``eta`` and
    ``weight_decay_rate`` give the decoupled weight decay of Loshchilov & Hutter, "Decoupled
    Weight Decay Regularization" (ICLR 2019; first titled "Fixing Weight Decay Regularization
    in Adam"); with the defaults ``eta=1`` and ``weight_decay_rate=0`` this is plain Adam.
    ``amsgrad`` uses the running maximum of ``v`` (Reddi et al., "On the Convergence of Adam and
    Beyond", ICLR 2018); ``adabound`` clips the per-element step between bounds that converge to
    ``final_lr`` (Luo et al., "Adaptive Gradient Methods with Dynamic Bound of Learning Rate",
    ICLR 2019); both together give AMSBound. The update is given in :class:`AdamRule`.

    Args:
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        eps: Small value for numerical stability.
        eta: Schedule multiplier (e.g. for warm restarts).
        weight_decay_rate: Decoupled weight decay rate.
        amsgrad: Whether to use AMSGrad.
        adabound: Whether to use AdaBound.
        final_lr: Final (SGD) learning rate of AdaBound.
        gamma: Convergence speed of AdaBound's bound functions.

    Example:
        >>> opt = kusari.optimizers.Adam(alpha=1e-3).setup(model)
        >>> opt.update(model, x, t)
        >>> opt.alpha_t  # the bias-corrected step size of the last update
    """

    alpha, beta1, beta2, eps, eta = _common.proxies("alpha", "beta1", "beta2", "eps", "eta")
    weight_decay_rate, amsgrad, adabound, final_lr, gamma = _common.proxies(
        "weight_decay_rate", "amsgrad", "adabound", "final_lr", "gamma"
    )

    def __init__(
        self,
        alpha: float = _default_hyperparam.alpha,
        beta1: float = _default_hyperparam.beta1,
        beta2: float = _default_hyperparam.beta2,
        eps: float = _default_hyperparam.eps,
        eta: float = _default_hyperparam.eta,
        weight_decay_rate: float = _default_hyperparam.weight_decay_rate,
        amsgrad: bool = _default_hyperparam.amsgrad,
        adabound: bool = _default_hyperparam.adabound,
        final_lr: float = _default_hyperparam.final_lr,
        gamma: float = _default_hyperparam.gamma,
    ) -> None:
        super().__init__()
        _common.set_hyperparams(
            self.hyperparam,
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            weight_decay_rate=weight_decay_rate,
            amsgrad=amsgrad,
            adabound=adabound,
            final_lr=final_lr,
            gamma=gamma,
        )

    def create_update_rule(self) -> AdamRule:
        """Return a new :class:`AdamRule` reading its defaults from this optimizer."""
        return AdamRule(self.hyperparam)

    @property
    def alpha_t(self) -> float:
        """The bias-corrected step size at the optimizer's step count ``t``.

        Raises:
            RuntimeError: No update has been made yet (``t == 0``).
        """
        return _learning_rate(self.hyperparam, self.t)

    @property
    def lr(self) -> float:
        """Same as :attr:`alpha_t`: the effective learning rate of the last step."""
        return self.alpha_t


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019); see :class:`Adam`.

    Args:
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        eps: Small value for numerical stability.
        eta: Schedule multiplier.
        weight_decay_rate: Decoupled weight decay rate.
    """

    def __init__(
        self,
        alpha: float = _default_hyperparam.alpha,
        beta1: float = _default_hyperparam.beta1,
        beta2: float = _default_hyperparam.beta2,
        eps: float = _default_hyperparam.eps,
        eta: float = _default_hyperparam.eta,
        weight_decay_rate: float = _default_hyperparam.weight_decay_rate,
    ) -> None:
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            weight_decay_rate=weight_decay_rate,
        )


class AMSGrad(Adam):
    """Adam with AMSGrad's running maximum of ``v`` (Reddi et al., ICLR 2018); see :class:`Adam`.

    Args:
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        eps: Small value for numerical stability.
        eta: Schedule multiplier.
    """

    def __init__(
        self,
        alpha: float = _default_hyperparam.alpha,
        beta1: float = _default_hyperparam.beta1,
        beta2: float = _default_hyperparam.beta2,
        eps: float = _default_hyperparam.eps,
        eta: float = _default_hyperparam.eta,
    ) -> None:
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta, amsgrad=True)


class AdaBound(Adam):
    """Adam with AdaBound's dynamic step bounds (Luo et al., ICLR 2019); see :class:`Adam`.

    Args:
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        final_lr: Final (SGD) learning rate the bounds converge to.
        gamma: Convergence speed of the bound functions.
        eps: Small value for numerical stability.
        eta: Schedule multiplier.
    """

    def __init__(
        self,
        alpha: float = _default_hyperparam.alpha,
        beta1: float = _default_hyperparam.beta1,
        beta2: float = _default_hyperparam.beta2,
        final_lr: float = _default_hyperparam.final_lr,
        gamma: float = _default_hyperparam.gamma,
        eps: float = _default_hyperparam.eps,
        eta: float = _default_hyperparam.eta,
    ) -> None:
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            amsgrad=False,
            adabound=True,
            final_lr=final_lr,
            gamma=gamma,
        )


class AMSBound(Adam):
    """Adam with both AMSGrad and AdaBound (Luo et al., ICLR 2019); see :class:`Adam`.

    Args:
        alpha: Coefficient of the learning rate.
        beta1: Exponential decay rate of the first moment.
        beta2: Exponential decay rate of the second moment.
        final_lr: Final (SGD) learning rate the bounds converge to.
        gamma: Convergence speed of the bound functions.
        eps: Small value for numerical stability.
        eta: Schedule multiplier.
    """

    def __init__(
        self,
        alpha: float = _default_hyperparam.alpha,
        beta1: float = _default_hyperparam.beta1,
        beta2: float = _default_hyperparam.beta2,
        final_lr: float = _default_hyperparam.final_lr,
        gamma: float = _default_hyperparam.gamma,
        eps: float = _default_hyperparam.eps,
        eta: float = _default_hyperparam.eta,
    ) -> None:
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            amsgrad=True,
            adabound=True,
            final_lr=final_lr,
            gamma=gamma,
        )
