"""sum_to: sum an array down to a shape it broadcasts from (the adjoint of broadcast_to)."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions.array.broadcast import broadcast_to
from kusari.utils import force_array
from kusari.variable import Variable


def _sum_to_array(x: Any, shape: tuple[int, ...]) -> Any:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
    )
    y = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        y = y.reshape(shape)
    return force_array(y)


class SumTo(FunctionNode):
    """Sum over the axes that broadcasting to the input's shape would have added or expanded."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self._shape = tuple(shape)

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Sum the array down to the target shape."""
        x, = inputs
        self._in_shape = x.shape
        return _sum_to_array(x, self._shape),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Broadcast the gradient back to the input's shape."""
        return broadcast_to(grad_outputs[0], self._in_shape),


def sum_to(x: Variable | Any, shape: tuple[int, ...]) -> Variable:
    """Sum ``x`` so that its shape becomes ``shape`` (``x.shape`` must broadcast from ``shape``).

    Args:
        x: Input of shape ``(..., *S)`` where ``S`` broadcasts to the trailing dims.
        shape: The target shape.

    Returns:
        A Variable of ``shape``; ``x`` itself when the shapes already match.

    Raises:
        ValueError: ``shape`` does not broadcast to ``x.shape``.
    """
    shape = tuple(shape)
    x_shape = x.shape
    if x_shape == shape:
        return x if isinstance(x, Variable) else Variable(x, requires_grad=False)
    ok = len(shape) <= len(x_shape) and all(
        s == 1 or s == t for s, t in zip(shape[::-1], x_shape[::-1], strict=False)
    )
    if not ok:
        raise ValueError(f"sum_to: shape {shape} does not broadcast to x.shape {x_shape}")
    y, = SumTo(shape).apply((x,))
    return y
