"""swapaxes: interchange two axes of an array."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


class Swapaxes(FunctionNode):
    """Swap ``axis1`` and ``axis2``; the gradient swaps them back."""

    def __init__(self, axis1: int, axis2: int) -> None:
        self.axis1 = axis1
        self.axis2 = axis2

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check that both axes exist."""
        type_check.expect_n_inputs("swapaxes", in_types, 1)
        x = in_types[0]
        for name, a in (("axis1", self.axis1), ("axis2", self.axis2)):
            if not -x.ndim <= a < x.ndim:
                raise type_check.InvalidType(
                    f"swapaxes: {name} ({a}) is out of range for x.ndim {x.ndim} "
                    f"(shape {tuple(x.shape)})"
                )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Swap the axes (a view)."""
        return inputs[0].swapaxes(self.axis1, self.axis2),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Swap the gradient's axes back."""
        return swapaxes(grad_outputs[0], self.axis1, self.axis2),


def swapaxes(x: Variable | Any, axis1: int, axis2: int) -> Variable:
    """Interchange two axes of ``x``.

    Args:
        x: Input of any shape.
        axis1: The first axis (negative values count from the end).
        axis2: The second axis.

    Returns:
        A Variable whose axes ``axis1`` and ``axis2`` are swapped.

    Raises:
        InvalidType: An axis is out of range.

    Example:
        >>> F.swapaxes(numpy.zeros((2, 3, 4), "f"), 0, 2).shape
        (4, 3, 2)
    """
    return Swapaxes(axis1, axis2).apply((x,))[0]
