"""relu: rectified linear unit ``max(x, 0)``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class ReLU(FunctionNode):
    """``max(x, 0)``; the gradient is masked by the retained output."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("relu", in_types, 1)
        type_check.expect_float("relu", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``max(x, 0)``."""
        self.retain_outputs((0,))
        x, = inputs
        xp = backend.get_array_module(x)
        return force_array(xp.maximum(x, x.dtype.type(0))),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * (y > 0)`` as one :class:`ReLUGrad2` node."""
        y = self.get_retained_outputs()[0].array
        return ReLUGrad2(y).apply(grad_outputs)


class ReLUGrad2(FunctionNode):
    """``gy * (y > 0)`` for a fixed output ``y`` of ReLU.

    It is linear in ``gy``, so its own gradient is the same mask applied to the incoming one.
    """

    def __init__(self, y: Any) -> None:
        self.y = y

    def forward(self, inputs: tuple) -> tuple:
        """Mask the gradient."""
        gy, = inputs
        return gy * (self.y > 0),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Mask the gradient's gradient the same way."""
        return ReLUGrad2(self.y).apply(grad_outputs)


def relu(x: Variable | Any) -> Variable:
    """Rectified linear unit ``max(x, 0)`` (Nair & Hinton, 2010).

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of the same shape and dtype. The gradient at ``x == 0`` is 0.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return ReLU().apply((x,))[0]
