"""reshape: give an array a new shape with the same number of elements."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.utils import size_of_shape, type_check
from kusari.variable import Variable


def _resolve(shape: tuple[int, ...], size: int) -> tuple[int, ...] | None:
    """``shape`` with one ``-1`` filled in, or ``None`` when it cannot hold ``size`` elements."""
    known = size_of_shape(tuple(s for s in shape if s != -1))
    n_free = sum(1 for s in shape if s == -1)
    if n_free > 1 or any(s < -1 for s in shape):
        return None
    if n_free == 0:
        return shape if known == size else None
    if known == 0 or size % known:
        return None
    return tuple(size // known if s == -1 else s for s in shape)


class Reshape(FunctionNode):
    """Reshape to a fixed shape (one entry may be ``-1``)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check that the element count fits the new shape."""
        type_check.expect_n_inputs("reshape", in_types, 1)
        x = in_types[0]
        if _resolve(self.shape, x.size) is None:
            raise type_check.InvalidType(
                f"reshape: cannot reshape x of shape {tuple(x.shape)} ({x.size} elements) "
                f"into {self.shape}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Reshape (a view when possible)."""
        x, = inputs
        self._in_shape = x.shape
        return x.reshape(self.shape),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Reshape the gradient back."""
        return reshape(grad_outputs[0], self._in_shape),


def reshape(x: Variable | Any, shape: tuple[int, ...] | int) -> Variable:
    """Reshape ``x`` to ``shape`` without changing its elements.

    Args:
        x: Input of any shape.
        shape: The new shape, with at most one ``-1`` inferred from the size.

    Returns:
        A Variable of ``shape``; ``x`` itself when the shape is unchanged.

    Raises:
        InvalidType: ``shape`` cannot hold ``x.size`` elements.
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if x.shape == shape:
        return x if isinstance(x, Variable) else Variable(x, requires_grad=False)
    return Reshape(shape).apply((x,))[0]
