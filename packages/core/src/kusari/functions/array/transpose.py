"""transpose: permute the axes of an array."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


class Transpose(FunctionNode):
    """Permute axes; ``axes=None`` reverses them."""

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check that ``axes`` is a permutation of the input's axes."""
        type_check.expect_n_inputs("transpose", in_types, 1)
        x = in_types[0]
        if self.axes is not None:
            n = x.ndim
            norm = sorted(a % n if -n <= a < n else n for a in self.axes)
            if len(self.axes) != n or norm != list(range(n)):
                raise type_check.InvalidType(
                    f"transpose: axes {self.axes} is not a permutation of the {x.ndim} axes "
                    f"of x (shape {tuple(x.shape)})"
                )

    def forward(self, inputs: tuple) -> tuple:
        """Transpose (a view)."""
        x, = inputs
        return x.transpose(self.axes),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Transpose the gradient with the inverse permutation."""
        gy = grad_outputs[0]
        if self.axes is None:
            return transpose(gy),
        inv = tuple(numpy.argsort([a % gy.ndim for a in self.axes]))
        return transpose(gy, inv),


def transpose(x: Variable | Any, axes: tuple[int, ...] | None = None) -> Variable:
    """Permute the axes of ``x``.

    Args:
        x: Input of any shape.
        axes: A permutation of ``range(x.ndim)``; ``None`` reverses the axes.

    Returns:
        A Variable with permuted axes.

    Raises:
        InvalidType: ``axes`` is not a permutation of the input's axes.
    """
    return Transpose(None if axes is None else tuple(axes)).apply((x,))[0]
