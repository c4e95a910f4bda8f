"""leaky_relu: ``x`` for ``x >= 0`` and ``slope * x`` below zero."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


def _factor(x: Any, slope: float) -> Any:
    """1 where ``x >= 0``, ``slope`` elsewhere (exact; faster than ``where`` on random signs)."""
    f = (x < 0) * x.dtype.type(slope)
    f += x >= 0
    return f


class LeakyReLU(FunctionNode):
    """``x * (1 if x >= 0 else slope)``."""

    def __init__(self, slope: float = 0.2) -> None:
        self.slope = slope

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("leaky_relu", in_types, 1)
        type_check.expect_float("leaky_relu", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Scale the negative part."""
        self.retain_inputs((0,))
        x, = inputs
        return force_array(x * _factor(x, self.slope)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy`` where ``x >= 0``, ``slope * gy`` elsewhere (one node)."""
        x = self.get_retained_inputs()[0].array
        return _LeakyReLUGrad(_factor(x, self.slope)).apply(grad_outputs)


class _LeakyReLUGrad(FunctionNode):
    """``gy * factor`` for a fixed ``factor`` (1 or ``slope``); its gradient is itself."""

    def __init__(self, factor: Any) -> None:
        self.factor = factor

    def forward(self, inputs: tuple) -> tuple:
        """Scale the gradient where the input was negative."""
        return force_array(inputs[0] * self.factor),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Apply the same scaling to the gradient's gradient."""
        return _LeakyReLUGrad(self.factor).apply(grad_outputs)


def leaky_relu(x: Variable | Any, slope: float = 0.2) -> Variable:
    """Leaky rectified linear unit: ``x`` for ``x >= 0``, ``slope * x`` otherwise.

    From Maas et al., 2013, "Rectifier Nonlinearities Improve Neural Network Acoustic Models".

    Args:
        x: Input of any shape, float16/32/64.
        slope: Slope of the negative part.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return LeakyReLU(slope).apply((x,))[0]
