"""logsumexp: ``log(sum(exp(x)))`` over given axes, computed without overflow."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.reshape import reshape
from kusari.functions.math._axis import keepdims_shape, normalize_axis
from kusari.functions.math.exponential import exp
from kusari.functions.math.sum import sum as _sum
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class LogSumExp(FunctionNode):
    """``m + log(sum(exp(x - m)))`` with ``m`` the maximum over ``axis`` (sorted tuple or None)."""

    def __init__(self, axis: tuple[int, ...] | None = None) -> None:
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input with no zero-length axis to reduce."""
        type_check.expect_n_inputs("logsumexp", in_types, 1)
        x = in_types[0]
        type_check.expect_float("logsumexp", "x", x)
        axes = range(x.ndim) if self.axis is None else self.axis
        if any(x.shape[a] == 0 for a in axes):
            raise type_check.InvalidType(
                f"logsumexp: cannot reduce x of shape {tuple(x.shape)} over a zero-length axis "
                f"(axis={self.axis})"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Shift by the maximum (0 where it is infinite), exponentiate, sum, take the log."""
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        x, = inputs
        xp = backend.get_array_module(x)
        m = x.max(axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, x.dtype.type(0))
        z = force_array(x - m)
        xp.exp(z, out=z)
        y = force_array(z.sum(axis=self.axis))
        xp.log(y, out=y)
        y += m.reshape(y.shape)
        return y,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * exp(x - y)`` (one :class:`LogSumExpGrad` node)."""
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        return LogSumExpGrad(self.axis).apply((x, y, grad_outputs[0]))


class LogSumExpGrad(FunctionNode):
    """``gx = gy * exp(x - y)`` from inputs ``(x, y, gy)``; ``y`` and ``gy`` lack ``axis``."""

    def __init__(self, axis: tuple[int, ...] | None) -> None:
        self.axis = axis

    def forward(self, inputs: tuple) -> tuple:
        """Broadcast ``y`` and ``gy`` back over ``axis`` and form the softmax-weighted gradient."""
        self.retain_inputs((0, 1, 2))
        x, y, gy = inputs
        xp = backend.get_array_module(x)
        shape = keepdims_shape(x.shape, self.axis)
        gx = force_array(x - y.reshape(shape))
        xp.exp(gx, out=gx)
        gx *= gy.reshape(shape)
        return force_array(gx),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``gy * exp(x - y)`` by ``x``, ``y`` and ``gy``."""
        x, y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        shape = keepdims_shape(x.shape, self.axis)
        p = exp(x - reshape(y, shape))
        w = ggx * p
        out = []
        if 0 in indexes:
            out.append(w * reshape(gy, shape))
        if 1 in indexes or 2 in indexes:
            sw = _sum(w, axis=self.axis)
            if 1 in indexes:
                out.append(-(sw * gy))
            if 2 in indexes:
                out.append(sw)
        return tuple(out)


def logsumexp(x: Variable | Any, axis: int | tuple[int, ...] | None = None) -> Variable:
    """Log of the sum of exponentials of the elements over the given axes.

    ``y = log(sum(exp(x), axis))``, computed as ``m + log(sum(exp(x - m), axis))`` with ``m``
    the maximum over ``axis``, so large inputs do not overflow; where the maximum is infinite
    it is not subtracted (all ``-inf`` gives ``-inf``, a ``+inf`` gives ``+inf``). The gradient
    is ``softmax(x)`` over ``axis`` times the output gradient.

    Args:
        x: Input of any shape, float16/32/64.
        axis: Axis or axes to reduce (negative values count from the end); ``None`` reduces all
            elements.

    Returns:
        A Variable of ``x``'s dtype and the reduced shape (``()`` when ``axis`` is ``None``).

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of range or repeated.
        InvalidType: ``x`` is not a float array, or an axis to reduce has length zero.

    Example:
        >>> F.logsumexp(numpy.array([[0.0, 0.0], [1000.0, 1000.0]], "f"), axis=1).array
        array([6.9314718e-01, 1.0006932e+03], dtype=float32)
    """
    return LogSumExp(normalize_axis("logsumexp", axis, x.ndim)).apply((x,))[0]
