"""batch_normalization and fixed_batch_normalization.

Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift", ICML 2015: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the
statistics taken over the batch (and spatial) axes, one per channel.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.array.reshape import reshape
from kusari.functions.math.sum_to import sum_to
from kusari.utils import type_check
from kusari.variable import Variable


def _compute_axes(fname: str, x_ndim: int, gamma_ndim: int, axis: Any) -> tuple[int, ...]:
    """The reduced axes: ``axis`` normalized, or all but ``1 .. gamma.ndim`` when ``None``."""
    if axis is None:
        return (0,) + tuple(range(gamma_ndim + 1, x_ndim))
    items = (axis,) if isinstance(axis, numbers.Integral) else axis
    if not isinstance(items, (tuple, list)) or not all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in items
    ):
        raise TypeError(f"{fname}: axis must be None, an int or a tuple of ints, got {axis!r}")
    if not all(-x_ndim <= a < x_ndim for a in items):
        raise ValueError(f"{fname}: axis {axis!r} is out of range for x.ndim ({x_ndim})")
    axes = tuple(int(a) % x_ndim for a in items)
    if any(a >= b for a, b in zip(axes, axes[1:], strict=False)):
        raise ValueError(f"{fname}: axis must be sorted in ascending order, got {axis!r}")
    return axes


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the shape of the per-channel statistics)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _check_params(fname: str, x: Any, params: tuple, axes: tuple[int, ...]) -> None:
    """Check that every ``(name, array)`` in ``params`` has the shape of x's kept axes."""
    want = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    for name, p in params:
        if tuple(p.shape) != want:
            raise type_check.InvalidType(
                f"{fname}: {name}.shape must be {want} (x.shape {tuple(x.shape)} without the "
                f"reduced axes {axes}), got {tuple(p.shape)}"
            )


def _compute_dtype(dtype: numpy.dtype) -> numpy.dtype:
    """Statistics of float16 data are computed in float32."""
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else dtype


class BatchNormalization(FunctionNode):
    """Normalize with the statistics of the batch; optionally update running averages in place."""

    def __init__(self, eps: float, running_mean: Any, running_var: Any, decay: float,
                 axes: tuple[int, ...]) -> None:
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var
        self.decay = decay
        self.axes = axes

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check float inputs of one dtype and the shapes of ``gamma`` and ``beta``."""
        f = "batch_normalization"
        type_check.expect_n_inputs(f, in_types, 3)
        x, gamma, beta = in_types
        type_check.expect_float(f, "x", x)
        type_check.expect_same_dtype(f, ("x", "gamma", "beta"), (x, gamma, beta))
        _check_params(f, x, (("gamma", gamma), ("beta", beta)), self.axes)

    def forward(self, inputs: tuple) -> tuple:
        """Batch statistics, then ``(x - mean) * (gamma / std) + beta``."""
        self.retain_inputs((0, 1))
        x, gamma, beta = inputs
        xp = backend.get_array_module(x)
        axes = self.axes
        kshape = _keep_shape(x.shape, axes)
        xc = x.astype(_compute_dtype(x.dtype), copy=False)
        mean = xc.mean(axis=axes, keepdims=True)
        y = xc - mean
        var = (y * y).mean(axis=axes, keepdims=True)
        inv_std = 1 / xp.sqrt(var + var.dtype.type(self.eps))
        y *= gamma.reshape(kshape) * inv_std
        y += beta.reshape(kshape)
        self.mean, self.inv_std = mean, inv_std
        if self.running_mean is not None or self.running_var is not None:
            self._update_running(mean.reshape(gamma.shape), var.reshape(gamma.shape),
                                 x.size // max(gamma.size, 1))
        return (y.astype(x.dtype, copy=False),)

    def _update_running(self, mean: Any, var: Any, m: int) -> None:
        # unbiased variance for the running average, as in Chainer
        decay = self.decay
        if self.running_mean is not None:
            self.running_mean *= decay
            self.running_mean += (1 - decay) * mean
        if self.running_var is not None:
            self.running_var *= decay
            self.running_var += (1 - decay) * (m / max(m - 1.0, 1.0)) * var

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """All three gradients from one :class:`BatchNormalizationGrad` node."""
        x, gamma = self.get_retained_inputs()
        grads = BatchNormalizationGrad(self.eps, self.axes, self.mean, self.inv_std).apply(
            (x, gamma, grad_outputs[0]))
        return tuple(grads[i] for i in indexes)


class BatchNormalizationGrad(FunctionNode):
    """Gradients of batch normalization: inputs ``(x, gamma, gy)``, outputs ``(gx, ggamma, gbeta)``.

    With ``xhat = (x - mean) / std`` and ``m`` elements per channel:
    ``gbeta = sum(gy)``, ``ggamma = sum(gy * xhat)`` and
    ``gx = gamma / std * (gy - gbeta / m - xhat * ggamma / m)``.
    """

    def __init__(self, eps: float, axes: tuple[int, ...], mean: Any, inv_std: Any) -> None:
        self.eps = eps
        self.axes = axes
        self.mean = mean
        self.inv_std = inv_std

    def forward(self, inputs: tuple) -> tuple:
        """The full-batch formula, in float32 for float16 data."""
        self.retain_inputs((0, 1, 2))
        x, gamma, gy = inputs
        axes = self.axes
        m = x.size // max(gamma.size, 1)
        xhat = x - self.mean
        xhat *= self.inv_std
        gyc = gy.astype(xhat.dtype, copy=False)
        gbeta = gyc.sum(axis=axes, keepdims=True)
        ggamma = (gyc * xhat).sum(axis=axes, keepdims=True)
        gx = gyc - gbeta / m
        xhat *= ggamma / m
        gx -= xhat
        gx *= gamma.reshape(self.mean.shape) * self.inv_std
        return (gx.astype(x.dtype, copy=False),
                ggamma.reshape(gamma.shape).astype(gamma.dtype, copy=False),
                gbeta.reshape(gamma.shape).astype(gamma.dtype, copy=False))

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``(gx, ggamma, gbeta)`` with Variables (double backprop).

        With ``P(v) = v - mean(v) - xhat * mean(xhat * v)`` (per channel), ``gx = gamma / std *
        P(gy)``; the statistics are recomputed from ``x`` with Variables so that the result can
        be differentiated again.
        """
        x, gamma, gy = self.get_retained_inputs()
        ggx, gggamma, ggbeta = grad_outputs
        kshape = _keep_shape(x.shape, self.axes)
        inv_m = 1.0 / max(x.size // max(gamma.size, 1), 1)

        def mean(v: Variable) -> Variable:
            return sum_to(v, kshape) * inv_m

        xc = x - mean(x)
        inv_std = (mean(xc * xc) + self.eps) ** -0.5
        xhat = xc * inv_std
        g = reshape(gamma, kshape)
        g_x = g_gamma = g_gy = None
        a = extra = None
        if ggx is not None:
            coef = g * inv_std
            gy_xhat = mean(gy * xhat)
            ggx_xhat = mean(ggx * xhat)
            p_gy = gy - mean(gy) - xhat * gy_xhat
            g_gamma = reshape(sum_to(ggx * p_gy, kshape) * inv_std, gamma.shape)
            g_gy = coef * (ggx - mean(ggx) - xhat * ggx_xhat)
            a = -coef * (ggx * gy_xhat + gy * ggx_xhat)
            extra = xhat * (coef * mean(ggx * p_gy) * inv_std)
        if gggamma is not None:
            gg = reshape(gggamma, kshape)
            a = gg * gy if a is None else a + gg * gy
            g_gy = gg * xhat if g_gy is None else g_gy + gg * xhat
        if ggbeta is not None:
            gb = broadcast_to(reshape(ggbeta, kshape), x.shape)
            g_gy = gb if g_gy is None else g_gy + gb
        if a is not None:
            g_x = (a - mean(a) - xhat * mean(a * xhat)) * inv_std
            if extra is not None:
                g_x = g_x - extra
        grads = (g_x, g_gamma, g_gy)
        return tuple(grads[i] for i in indexes)


class FixedBatchNormalization(FunctionNode):
    """Normalize with given statistics: inputs ``(x, gamma, beta, mean, var)``."""

    def __init__(self, eps: float, axes: tuple[int, ...]) -> None:
        self.eps = eps
        self.axes = axes

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check float inputs of one dtype and the shapes of the per-channel arrays."""
        f = "fixed_batch_normalization"
        type_check.expect_n_inputs(f, in_types, 5)
        x = in_types[0]
        names = ("x", "gamma", "beta", "mean", "var")
        type_check.expect_float(f, "x", x)
        type_check.expect_same_dtype(f, names, tuple(in_types))
        _check_params(f, x, tuple(zip(names[1:], in_types[1:], strict=True)), self.axes)

    def forward(self, inputs: tuple) -> tuple:
        """``(x - mean) * (gamma / sqrt(var + eps)) + beta``."""
        self.retain_inputs((0, 1, 3, 4))
        x, gamma, beta, mean, var = inputs
        xp = backend.get_array_module(x)
        kshape = _keep_shape(x.shape, self.axes)
        cdt = _compute_dtype(x.dtype)
        inv_std = 1 / xp.sqrt(var.astype(cdt) + cdt.type(self.eps))
        y = x.astype(cdt, copy=False) - mean.reshape(kshape)
        y *= (gamma * inv_std).reshape(kshape)
        y += beta.reshape(kshape)
        return (y.astype(x.dtype, copy=False),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients for ``x``, ``gamma``, ``beta``, ``mean`` and ``var`` with Variables."""
        x, gamma, mean, var = self.get_retained_inputs()
        gy = grad_outputs[0]
        kshape = _keep_shape(x.shape, self.axes)
        shape = gamma.shape
        inv_std = (reshape(var, kshape) + self.eps) ** -0.5
        coef = reshape(gamma, kshape) * inv_std
        s_gy = sum_to(gy, kshape) if 2 in indexes or 3 in indexes else None
        s_gy_xc = None
        if 1 in indexes or 4 in indexes:
            s_gy_xc = sum_to(gy * (x - reshape(mean, kshape)), kshape)
        out = []
        for i in indexes:
            if i == 0:
                out.append(gy * coef)
            elif i == 1:
                out.append(reshape(s_gy_xc * inv_std, shape))
            elif i == 2:
                out.append(reshape(s_gy, shape))
            elif i == 3:
                out.append(reshape(-(s_gy * coef), shape))
            else:
                out.append(reshape(s_gy_xc * coef * inv_std * inv_std * -0.5, shape))
        return tuple(out)


def batch_normalization(x: Variable | Any, gamma: Variable | Any, beta: Variable | Any, *,
                        eps: float = 2e-5, running_mean: Any = None, running_var: Any = None,
                        decay: float = 0.9, axis: int | tuple[int, ...] | None = None) -> Variable:
    """Batch normalization with the statistics of the current batch.

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` where ``mean`` and ``var`` (biased) are
    taken over the reduced axes, separately for every entry of ``gamma``. Ioffe & Szegedy,
    "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
    Shift", ICML 2015. float16 data is normalized in float32 internally.

    Args:
        x: Input ``(B, C)``, ``(B, C, H, W)`` or any ``(B, *channel_shape, *rest)``, float16/32/64.
        gamma: Scale of ``x``'s dtype and of the shape of ``x`` without the reduced axes, e.g.
            ``(C,)``.
        beta: Shift, the shape and dtype of ``gamma``.
        eps: Added to the variance for numerical stability.
        running_mean: Array of ``gamma``'s shape updated in place to
            ``decay * running_mean + (1 - decay) * mean``, or ``None``.
        running_var: Array of ``gamma``'s shape updated in place to
            ``decay * running_var + (1 - decay) * var * m / (m - 1)`` (``m`` elements per
            channel: the unbiased variance), or ``None``.
        decay: Decay of the running averages.
        axis: Reduced axes, an int or an ascending tuple; ``None`` means ``(0,)`` followed by
            every axis after the ``gamma.ndim`` channel axes, e.g. ``(0, 2, 3)`` for
            ``(B, C, H, W)`` with ``gamma (C,)``.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        TypeError: ``axis`` is not None, an int or a tuple of ints.
        ValueError: ``axis`` is out of range or not ascending.
        InvalidType: Dtypes differ, ``x`` is not float, or ``gamma``/``beta`` have the wrong shape.
    """
    axes = _compute_axes("batch_normalization", x.ndim, gamma.ndim, axis)
    func = BatchNormalization(eps, running_mean, running_var, decay, axes)
    return func.apply((x, gamma, beta))[0]


def fixed_batch_normalization(x: Variable | Any, gamma: Variable | Any, beta: Variable | Any,
                              mean: Variable | Any, var: Variable | Any, eps: float = 2e-5,
                              axis: int | tuple[int, ...] | None = None) -> Variable:
    """Batch normalization with given statistics (inference with running averages).

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta``, differentiable in all five inputs.

    Args:
        x: Input ``(B, C)``, ``(B, C, H, W)`` or any ``(B, *channel_shape, *rest)``, float16/32/64.
        gamma: Scale of ``x``'s dtype and of the shape of ``x`` without the reduced axes.
        beta: Shift, the shape and dtype of ``gamma``.
        mean: Mean to subtract, the shape and dtype of ``gamma``.
        var: Variance to divide by (after adding ``eps`` and taking the square root), likewise.
        eps: Added to ``var`` for numerical stability.
        axis: Reduced axes as in :func:`batch_normalization`.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        TypeError: ``axis`` is not None, an int or a tuple of ints.
        ValueError: ``axis`` is out of range or not ascending.
        InvalidType: Dtypes differ, ``x`` is not float, or a per-channel array has the wrong
            shape.
    """
    axes = _compute_axes("fixed_batch_normalization", x.ndim, gamma.ndim, axis)
    return FixedBatchNormalization(eps, axes).apply((x, gamma, beta, mean, var))[0]
