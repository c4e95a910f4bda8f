"""select_item: pick one element per row, ``x[arange(B), t]``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


class SelectItem(FunctionNode):
    """``x[arange(B), t]`` for ``x`` of shape ``(B, C)`` and integer ``t`` of shape ``(B,)``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ``x`` is 2-D, ``t`` is a 1-D integer array, and their lengths agree."""
        type_check.expect_n_inputs("select_item", in_types, 2)
        x, t = in_types
        type_check.expect_ndim("select_item", "x", x, 2)
        type_check.expect_ndim("select_item", "t", t, 1)
        type_check.expect_kind("select_item", "t", t, "iu")
        type_check.expect_equal("select_item", "x.shape[0]", x.shape[0], "t.shape[0]", t.shape[0])

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Gather one element per row."""
        x, t = inputs
        n_class = x.shape[1]
        if t.size:
            lo, hi = int(t.min()), int(t.max())
            if lo < 0 or hi >= n_class:
                raise ValueError(
                    f"select_item: t must be in [0, {n_class}) (x.shape[1]), got values in "
                    f"[{lo}, {hi}]"
                )
        xp = backend.get_array_module(x)
        self._t = t
        self._shape = x.shape
        return x[xp.arange(len(t)), t],

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Scatter the gradient into zeros of ``x``'s shape; ``t`` gets none."""
        gx = SelectItemGrad(self._t, self._shape).apply(grad_outputs)[0]
        return tuple(gx if i == 0 else None for i in indexes)


class SelectItemGrad(FunctionNode):
    """The adjoint of :class:`SelectItem`: put ``gy[b]`` at ``(b, t[b])`` of a zero array."""

    def __init__(self, t: Any, shape: tuple[int, int]) -> None:
        self._t = t
        self._shape = shape

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Scatter (each row gets exactly one value, so plain assignment is exact)."""
        gy, = inputs
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self._shape, gy.dtype)
        gx[xp.arange(len(self._t)), self._t] = gy
        return gx,

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Gather the gradient's gradient the same way as the forward."""
        return SelectItem().apply((grad_outputs[0], self._t))[:1]


def select_item(x: Variable | Any, t: Variable | Any) -> Variable:
    """Select one element of each row of ``x``: ``y[b] = x[b, t[b]]``.

    Args:
        x: Input of shape ``(B, C)``.
        t: Integer array of shape ``(B,)`` with values in ``[0, C)``; it gets no gradient.

    Returns:
        A Variable of shape ``(B,)`` and ``x``'s dtype.

    Raises:
        InvalidType: Ranks, the kind of ``t`` or the batch sizes do not match.
        ValueError: A value of ``t`` is outside ``[0, C)``.

    Example:
        >>> x = numpy.array([[0, 1, 2], [3, 4, 5]], "f")
        >>> F.select_item(x, numpy.array([2, 0], "i")).array
        array([2., 3.], dtype=float32)
    """
    return SelectItem().apply((x, t))[0]
