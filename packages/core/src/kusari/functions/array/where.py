"""where: choose elements from two arrays by a boolean condition."""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


class Where(FunctionNode):
    """``condition ? x : y`` elementwise with broadcasting; ``condition`` is a constant.

    Args:
        condition: A bool array (no gradient flows into it).
    """

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check a bool condition, one dtype for ``x`` and ``y``, and broadcastable shapes."""
        type_check.expect_n_inputs("where", in_types, 2)
        x, y = in_types
        c = self.condition
        if c.dtype != numpy.bool_:
            raise type_check.InvalidType(f"where: condition must be a bool array, got {c.dtype}")
        type_check.expect_same_dtype("where", ("x", "y"), (x, y))
        try:
            numpy.broadcast_shapes(c.shape, x.shape, y.shape)
        except ValueError:
            raise type_check.InvalidType(
                f"where: condition.shape {tuple(c.shape)}, x.shape {tuple(x.shape)} and "
                f"y.shape {tuple(y.shape)} do not broadcast together"
            ) from None

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Select."""
        x, y = inputs
        self._shapes = (x.shape, y.shape)
        xp = backend.get_array_module(x, y)
        return xp.where(self.condition, x, y),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Route the gradient to ``x`` where the condition holds and to ``y`` elsewhere."""
        from kusari.functions.math.sum_to import sum_to

        g = grad_outputs[0]
        zero = g.xp.zeros((), g.dtype)
        out = []
        for i in indexes:
            pair = (g, zero) if i == 0 else (zero, g)
            gi = Where(self.condition).apply(pair)[0]
            out.append(sum_to(gi, self._shapes[i]))
        return tuple(out)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (numbers.Number, numpy.generic))


def where(condition: Variable | Any, x: Variable | Any, y: Variable | Any) -> Variable:
    """Choose ``x`` where ``condition`` is true and ``y`` elsewhere.

    The three shapes broadcast together (Chainer's documentation asks for equal shapes).

    Args:
        condition: Bool array or Variable (its array is used; it gets no gradient).
        x: Values taken where ``condition`` is true; a Variable, an array or a scalar.
        y: Values taken elsewhere; same dtype as ``x``. A scalar takes the dtype of the other
            operand (an extension: Chainer v7 needs arrays for both).

    Returns:
        A Variable of the broadcast shape and the dtype of ``x`` and ``y``.

    Raises:
        TypeError: Both ``x`` and ``y`` are scalars.
        InvalidType: ``condition`` is not bool, dtypes of ``x`` and ``y`` differ, or the shapes
            do not broadcast together.

    Example:
        >>> cond = numpy.array([True, False])
        >>> F.where(cond, numpy.ones(2, "f"), numpy.zeros(2, "f")).array
        array([1., 0.], dtype=float32)
    """
    if isinstance(condition, Variable):
        condition = condition.array
    if _is_scalar(x) and _is_scalar(y):
        raise TypeError("where: x and y cannot both be scalars; make one of them an array")
    if _is_scalar(x):
        x = backend.get_array_module(y).asarray(x, dtype=y.dtype)
    elif _is_scalar(y):
        y = backend.get_array_module(x).asarray(y, dtype=x.dtype)
    return Where(condition).apply((x, y))[0]
