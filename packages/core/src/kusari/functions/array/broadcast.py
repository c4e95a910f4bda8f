"""broadcast_to and broadcast: expand arrays to a shape by NumPy's broadcasting rules."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


class BroadcastTo(FunctionNode):
    """Broadcast the input to ``shape``; the gradient is summed back with :func:`sum_to`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self._shape = tuple(shape)

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check that the input's shape broadcasts to the target shape."""
        type_check.expect_n_inputs("broadcast_to", in_types, 1)
        x = in_types[0]
        ok = x.ndim <= len(self._shape) and all(
            s == 1 or s == t
            for s, t in zip(x.shape[::-1], self._shape[::-1], strict=False)
        )
        if not ok:
            raise type_check.InvalidType(
                f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {self._shape}"
            )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Broadcast the array (a read-only view)."""
        x, = inputs
        self._in_shape = x.shape
        xp = backend.get_array_module(x)
        return xp.broadcast_to(x, self._shape),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Sum the gradient back to the input's shape."""
        from kusari.functions.math.sum_to import sum_to

        return sum_to(grad_outputs[0], self._in_shape),


def broadcast_to(x: Variable | Any, shape: tuple[int, ...]) -> Variable:
    """Broadcast ``x`` to ``shape`` following NumPy's rules.

    Args:
        x: Input variable or array, shape broadcastable to ``shape``.
        shape: The target shape.

    Returns:
        A Variable of ``shape``; returns ``x`` itself (as a Variable) when shapes already match.

    Raises:
        InvalidType: ``x.shape`` does not broadcast to ``shape``.
    """
    shape = tuple(shape)
    if getattr(x, "shape", None) == shape:
        return x if isinstance(x, Variable) else Variable(x, requires_grad=False)
    y, = BroadcastTo(shape).apply((x,))
    return y


class Broadcast(FunctionNode):
    """Broadcast the inputs against each other; each gradient is summed back to its input."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check that there is an input and that the shapes broadcast together."""
        if len(in_types) == 0:
            raise type_check.InvalidType("broadcast: expected at least 1 input, got 0")
        shapes = [tuple(x.shape) for x in in_types]
        try:
            numpy.broadcast_shapes(*shapes)
        except ValueError:
            listed = ", ".join(str(s) for s in shapes)
            raise type_check.InvalidType(
                f"broadcast: shapes {listed} do not broadcast together"
            ) from None

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Broadcast the arrays (read-only views)."""
        self._in_shapes = [x.shape for x in inputs]
        xp = backend.get_array_module(*inputs)
        return tuple(xp.broadcast_arrays(*inputs))

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Sum each output's gradient back to its input's shape."""
        from kusari.functions.math.sum_to import sum_to

        return tuple(
            None if grad_outputs[i] is None else sum_to(grad_outputs[i], self._in_shapes[i])
            for i in indexes
        )


def broadcast(*args: Variable | Any) -> Variable | tuple[Variable, ...]:
    """Broadcast the inputs against each other following NumPy's rules.

    Args:
        *args: Variables or arrays whose shapes broadcast together, e.g. ``(B, 1, C)`` and
            ``(N, 1)``.

    Returns:
        One Variable per input, all of the common shape (``(B, N, C)`` in the example); a single
        Variable (not a tuple) when one input is given.

    Raises:
        InvalidType: No input is given, or the shapes do not broadcast together.

    Example:
        >>> y, w = F.broadcast(numpy.zeros((3, 1), "f"), numpy.zeros((4,), "f"))
        >>> y.shape, w.shape
        ((3, 4), (3, 4))
    """
    ys = Broadcast().apply(args)
    return ys[0] if len(ys) == 1 else ys
