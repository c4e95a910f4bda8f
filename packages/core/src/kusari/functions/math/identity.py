"""identity: return the inputs unchanged (a node that passes gradients through)."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.variable import Variable


class Identity(FunctionNode):
    """Output ``i`` is input ``i``; gradients pass through unchanged."""

    def forward(self, inputs: tuple) -> tuple:
        """Return the input arrays themselves (no copy)."""
        return inputs

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Pass each output's gradient to its input."""
        return tuple(grad_outputs[i] for i in indexes)


def identity(*inputs: Variable | Any) -> Variable | tuple[Variable, ...]:
    """Return the inputs as new Variables that share their arrays.

    Args:
        *inputs: One or more Variables or arrays of any shape and dtype.

    Returns:
        One Variable for one input, else a tuple of Variables, one per input.

    Raises:
        TypeError: No input is given.
    """
    if not inputs:
        raise TypeError("identity: expected at least one input, got none")
    ys = Identity().apply(inputs)
    return ys[0] if len(ys) == 1 else ys
