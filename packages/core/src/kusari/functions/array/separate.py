"""separate: take an array apart along an axis (the inverse of ``stack``)."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Separate(FunctionNode):
    """Split the input into its slices along ``axis``; the gradient stacks them back."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check the axis exists."""
        type_check.expect_n_inputs("separate", in_types, 1)
        x = in_types[0]
        if not -x.ndim <= self.axis < x.ndim:
            raise type_check.InvalidType(
                f"separate: axis {self.axis} is out of range for x.ndim {x.ndim} "
                f"(shape {tuple(x.shape)})"
            )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Slice the array (views)."""
        x, = inputs
        axis = self.axis % x.ndim
        self._axis = axis
        self._shape = x.shape[:axis] + x.shape[axis + 1:]
        self._dtype = x.dtype
        lead = (slice(None),) * axis
        return tuple(force_array(x[lead + (i,)]) for i in range(x.shape[axis]))

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Stack the gradients, with zeros for outputs that got none."""
        from kusari.functions.array.stack import stack

        xp = backend.get_array_module(next(g for g in grad_outputs if g is not None)._data)
        zeros = None
        gys = []
        for g in grad_outputs:
            if g is None:
                if zeros is None:
                    zeros = Variable(xp.zeros(self._shape, self._dtype), requires_grad=False)
                g = zeros
            gys.append(g)
        return stack(gys, axis=self._axis),


def separate(x: Variable | Any, axis: int = 0) -> tuple[Variable, ...]:
    """Take ``x`` apart into its slices along ``axis``.

    Args:
        x: Input of shape ``(s_1, ..., s_N)``, ``N >= 1``.
        axis: The axis to take apart (negative values count from the end).

    Returns:
        A tuple of ``s_axis`` Variables, each of shape ``(s_1, ..., s_N)`` without ``s_axis``.

    Raises:
        InvalidType: ``axis`` is out of range.

    Example:
        >>> a, b = F.separate(numpy.zeros((2, 3), "f"))
        >>> a.shape
        (3,)
    """
    return Separate(axis).apply((x,))
