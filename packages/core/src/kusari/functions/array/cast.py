"""cast: convert an array to another dtype."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.configuration import config
from kusari.function_node import FunctionNode
from kusari.variable import Variable, as_variable


class Cast(FunctionNode):
    """Cast to ``typ``; the gradient is cast back to the input's dtype (none for non-floats)."""

    def __init__(self, typ: Any) -> None:
        self.type = numpy.dtype(typ)

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Cast (no copy when the dtype already matches)."""
        x, = inputs
        self._in_dtype = x.dtype
        return x.astype(self.type, copy=False),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Cast the gradient back; an integer or bool input gets none."""
        if self._in_dtype.kind != "f":
            return None,
        return cast(grad_outputs[0], self._in_dtype),


def cast(x: Variable | Any, typ: Any) -> Variable:
    """Cast ``x`` to the dtype ``typ``.

    Args:
        x: Input of any shape and dtype.
        typ: A dtype or its name, e.g. ``numpy.float16`` or ``'float32'``.

    Returns:
        A Variable of ``x``'s shape and dtype ``typ``. When ``x`` already has that dtype and
        backprop is disabled, ``x`` itself (as a Variable) is returned.

    Raises:
        TypeError: ``typ`` does not name a dtype.

    Example:
        >>> F.cast(numpy.arange(3, dtype=numpy.float64), "float16").dtype
        dtype('float16')
    """
    try:
        dtype = numpy.dtype(typ)
    except TypeError:
        raise TypeError(f"cast: typ must be a dtype or the name of one, got {typ!r}") from None
    if x.dtype == dtype and not config.enable_backprop:
        return as_variable(x)
    return Cast(dtype).apply((x,))[0]
