"""get_item: NumPy indexing (basic and advanced) of a Variable, ``x[slices]``."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.variable import Variable


def _normalize(slices: Any) -> tuple[tuple, bool]:
    """Return the index as a tuple, lists turned into arrays, and whether it is advanced."""
    if not isinstance(slices, tuple):
        slices = (slices,)
    out = []
    advanced = False
    for s in slices:
        if isinstance(s, Variable):
            raise TypeError("get_item: an index must be an int, slice, array or list, "
                            "not a Variable; use its .array")
        if isinstance(s, list):
            s = numpy.asarray(s)
            if s.dtype.kind == "f" and s.size == 0:
                s = s.astype(numpy.intp)
        if hasattr(s, "dtype") and getattr(s, "ndim", 0) > 0 or (
            hasattr(s, "dtype") and s.dtype.kind == "b"
        ):
            advanced = True
        out.append(s)
    return tuple(out), advanced


class GetItem(FunctionNode):
    """``x[slices]``; the gradient scatters back into zeros of the input's shape."""

    def __init__(self, slices: Any) -> None:
        self.slices, self._advanced = _normalize(slices)

    def forward(self, inputs: tuple) -> tuple:
        """Index the array."""
        x, = inputs
        self._in_shape = x.shape
        self._in_dtype = x.dtype
        try:
            y = x[self.slices]
        except IndexError as e:
            raise IndexError(f"get_item: {e} (x.shape is {x.shape})") from None
        xp = backend.get_array_module(x)
        return xp.asarray(y),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Scatter-add the gradient into the input's shape."""
        node = GetItemGrad(self.slices, self._advanced, self._in_shape, self._in_dtype)
        return node.apply(grad_outputs)


class GetItemGrad(FunctionNode):
    """The adjoint of :class:`GetItem`: add ``gy`` into zeros at ``slices``."""

    def __init__(self, slices: tuple, advanced: bool, in_shape: tuple, dtype: Any) -> None:
        self.slices = slices
        self._advanced = advanced
        self._in_shape = in_shape
        self._dtype = dtype

    def forward(self, inputs: tuple) -> tuple:
        """Scatter-add."""
        gy, = inputs
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self._in_shape, self._dtype)
        if not self._advanced:
            gx[self.slices] = gy
        elif xp is numpy:
            numpy.add.at(gx, self.slices, gy)
        else:
            import cupyx

            cupyx.scatter_add(gx, self.slices, gy)
        return gx,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Index the gradient's gradient the same way."""
        return GetItem(self.slices).apply(grad_outputs)


def get_item(x: Variable | Any, slices: Any) -> Variable:
    """Index ``x`` like a NumPy array: ints, slices, ``None``, ``...``, int or bool arrays.

    Args:
        x: Input of any shape.
        slices: An index or a tuple of them; lists are taken as integer (or bool) arrays.

    Returns:
        A Variable holding ``x[slices]`` (always an array, never a scalar).

    Raises:
        TypeError: An index is a Variable.
        IndexError: An index is out of range for ``x.shape``.
    """
    return GetItem(slices).apply((x,))[0]
