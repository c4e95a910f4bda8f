"""Fused graph nodes behind the distributions' hot quantities.

Speed: PPO evaluates log probabilities and entropies, and SAC draws samples with their log
probabilities, at batch 256 in every update. Each of these quantities is one node here instead of
the 4 to 13 elementwise nodes of the composite expression.

Each backward is written once, with operators that work on arrays and on Variables alike. Plain
backprop runs it on arrays (no graph is recorded then, so none is built); double backprop
(``enable_double_backprop=True``) runs it on Variables, so the gradient can be differentiated in
turn (TRPO's Fisher-vector products, gradient penalties).

Inputs are checked by the distributions that call these nodes; the nodes trust them.
"""

from __future__ import annotations

import math
from typing import Any

import kusari.functions as F
from kusari import backend
from kusari.configuration import config
from kusari.function_node import FunctionNode
from kusari.variable import Variable

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)


def _operands(*xs: Any) -> tuple[Any, ...]:
    """Variables while the backward is being recorded (double backprop), arrays otherwise."""
    if config.enable_backprop:
        return xs
    return tuple(x._data if isinstance(x, Variable) else x for x in xs)


def _column(g: Any) -> Any:
    """``g`` of shape ``(B,)`` as ``(B, 1)``, to scale the rows of a ``(B, A)`` array."""
    return g[:, None]


def _exp(x: Any) -> Any:
    return F.exp(x) if isinstance(x, Variable) else backend.get_array_module(x).exp(x)


class GaussianLogLikelihood(FunctionNode):
    """``sum_a log N(x_a | mean_a, var_a) + constant`` per row; inputs ``(x, mean, var)``."""

    def __init__(self, constant: Any) -> None:
        self.constant = constant

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Compute ``-0.5 sum_a ((x - mean)^2 / var + log var) + constant``."""
        self.retain_inputs((0, 1, 2))
        x, mean, var = inputs
        xp = backend.get_array_module(var)
        diff = x - mean
        total = (diff * diff / var + xp.log(var)).sum(axis=1)
        return (xp.asarray(total * -0.5 + self.constant, dtype=var.dtype),)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """``d/dx = -r g``, ``d/dmean = r g``, ``d/dvar = (r^2 - 1 / var) g / 2``.

        Here ``r = (x - mean) / var``.
        """
        x, mean, var, g = _operands(*self.get_retained_inputs(), grad_outputs[0])
        g = _column(g)
        ratio = (x - mean) / var
        g_mean = ratio * g
        grads = []
        for i in indexes:
            if i == 0:
                grads.append(-g_mean)
            elif i == 1:
                grads.append(g_mean)
            else:
                grads.append((ratio * ratio - 1 / var) * g * 0.5)
        return tuple(grads)


def gaussian_log_likelihood(x: Any, mean: Variable, var: Variable, constant: Any) -> Variable:
    """``sum_a log N(x_a | mean_a, var_a) + constant`` over axis 1: shape ``(B,)``.

    ``x``, ``mean`` and ``var`` are ``(B, A)`` of one dtype; ``constant`` a scalar or ``(B,)``.
    """
    return GaussianLogLikelihood(constant).apply((x, mean, var))[0]


class GaussianEntropy(FunctionNode):
    """``0.5 sum_a log var_a + A (log 2 pi + 1) / 2`` per row."""

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Sum the log variances."""
        self.retain_inputs((0,))
        (var,) = inputs
        xp = backend.get_array_module(var)
        constant = 0.5 * var.shape[1] * (_LOG_2PI + 1)
        return (xp.asarray(xp.log(var).sum(axis=1) * 0.5 + constant, dtype=var.dtype),)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """``d/dvar = g / (2 var)``."""
        var, g = _operands(*self.get_retained_inputs(), grad_outputs[0])
        return (_column(g) * 0.5 / var,)


def gaussian_entropy(var: Variable) -> Variable:
    """Entropy of diagonal Gaussians with variances ``var`` ``(B, A)``: shape ``(B,)``."""
    return GaussianEntropy().apply((var,))[0]


class SquashedGaussianSample(FunctionNode):
    """``y = tanh(mean + sqrt(var) eps)`` and ``log p(y)``; inputs ``(mean, var)``.

    With ``u = mean + sqrt(var) eps``: ``log p(y) = sum_a (-(eps_a^2 + log 2 pi + log var_a) / 2
    - log(1 - tanh(u_a)^2))``, where ``-log(1 - tanh(u)^2) = 2 (u + softplus(-2u) - log 2)``.
    Since ``d/du [-log(1 - tanh(u)^2)] = 2 tanh(u)``, both gradients only need ``y``.
    """

    def __init__(self, eps: Any) -> None:
        self.eps = eps

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Draw the squashed samples and their log densities."""
        self.retain_inputs((1,))
        self.retain_outputs((0,))
        mean, var = inputs
        xp = backend.get_array_module(var)
        eps = self.eps
        u = mean + xp.sqrt(var) * eps
        squash = u + xp.logaddexp(0, u * -2)
        total = (squash * 2 - (eps * eps + xp.log(var)) * 0.5).sum(axis=1)
        constant = -var.shape[1] * (0.5 * _LOG_2PI + 2 * _LOG_2)
        return xp.tanh(u), xp.asarray(total + constant, dtype=var.dtype)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """``d/dmean = gy (1 - y^2) + 2 y g``, ``d/dvar = d/dmean eps / (2 std) - g / (2 var)``."""
        (y,) = self.get_retained_outputs()
        (var,) = self.get_retained_inputs()
        y, var, gy, g_log_prob = _operands(y, var, *grad_outputs)
        g_u = None if gy is None else gy * (1 - y * y)
        if g_log_prob is not None:
            g_log_prob = _column(g_log_prob)
            g_u_log_prob = y * g_log_prob * 2
            g_u = g_u_log_prob if g_u is None else g_u + g_u_log_prob
        grads = []
        for i in indexes:
            if i == 0:
                grads.append(g_u)
            else:
                g_var = g_u * self.eps * 0.5 / var**0.5
                if g_log_prob is not None:
                    g_var = g_var - g_log_prob * 0.5 / var
                grads.append(g_var)
        return tuple(grads)


def squashed_gaussian_sample(mean: Variable, var: Variable, eps: Any) -> tuple[Variable, Variable]:
    """Samples ``tanh(mean + sqrt(var) eps)`` ``(B, A)`` and their log densities ``(B,)``."""
    y, log_prob = SquashedGaussianSample(eps).apply((mean, var))
    return y, log_prob


class CategoricalEntropy(FunctionNode):
    """``-sum_n exp(l_n) l_n`` per row, for log probabilities ``l`` of shape ``(B, N)``."""

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Sum ``-p log p``."""
        self.retain_inputs((0,))
        (log_p,) = inputs
        xp = backend.get_array_module(log_p)
        return (xp.asarray(-(xp.exp(log_p) * log_p).sum(axis=1), dtype=log_p.dtype),)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """``d/dl_n = -g p_n (l_n + 1)``."""
        log_p, g = _operands(*self.get_retained_inputs(), grad_outputs[0])
        return (-(_exp(log_p) * (log_p + 1)) * _column(g),)


def categorical_entropy(log_p: Variable) -> Variable:
    """Entropy of categorical distributions given their log probabilities ``(B, N)``: ``(B,)``."""
    return CategoricalEntropy().apply((log_p,))[0]
