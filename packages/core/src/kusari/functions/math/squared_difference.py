"""squared_difference: elementwise ``(x1 - x2) ** 2``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class SquaredDifference(FunctionNode):
    """``(a - b) ** 2`` elementwise for two float arrays of one dtype and shape.

    Args:
        fname: The user-facing function name, for error messages.
        names: The names of the two inputs, for error messages.
    """

    def __init__(self, fname: str = "squared_difference",
                 names: tuple[str, str] = ("x1", "x2")) -> None:
        self.fname = fname
        self.names = names

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two float inputs of one dtype and one shape."""
        fname, (n1, n2) = self.fname, self.names
        type_check.expect_n_inputs(fname, in_types, 2)
        a, b = in_types
        type_check.expect_float(fname, n1, a)
        type_check.expect_same_dtype(fname, (n1, n2), (a, b))
        type_check.expect_equal(fname, f"{n1}.shape", tuple(a.shape), f"{n2}.shape",
                                tuple(b.shape))

    def forward(self, inputs: tuple) -> tuple:
        """Square the difference."""
        self.retain_inputs((0, 1))
        a, b = inputs
        y = force_array(a - b)
        backend.get_array_module(y).square(y, out=y)
        return y,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``2 (a - b) gy`` and its negative (one :class:`SquaredDifferenceGrad` node)."""
        a, b = self.get_retained_inputs()
        return SquaredDifferenceGrad(indexes).apply((a, b, grad_outputs[0]))


class SquaredDifferenceGrad(FunctionNode):
    """``ga = 2 (a - b) gy`` and ``gb = -ga`` from inputs ``(a, b, gy)``, for ``indexes``."""

    def __init__(self, indexes: tuple[int, ...]) -> None:
        self.indexes = indexes

    def forward(self, inputs: tuple) -> tuple:
        """Compute the requested gradients."""
        self.retain_inputs((0, 1, 2))
        a, b, gy = inputs
        g = force_array(a - b)
        g *= gy
        g *= g.dtype.type(2)
        return tuple(g if i == 0 else -g for i in self.indexes)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``2 (a - b) gy`` by ``a``, ``b`` and ``gy``."""
        a, b, gy = self.get_retained_inputs()
        c = None
        for i, gg in zip(self.indexes, grad_outputs, strict=True):
            if gg is not None:
                gg = gg if i == 0 else -gg
                c = gg if c is None else c + gg
        c = c * 2.0
        out = []
        if 0 in indexes or 1 in indexes:
            ga = gy * c
        for i in indexes:
            if i == 2:
                out.append((a - b) * c)
            else:
                out.append(ga if i == 0 else -ga)
        return tuple(out)


def squared_difference(x1: Variable | Any, x2: Variable | Any) -> Variable:
    """Elementwise squared difference ``(x1 - x2) ** 2``.

    Args:
        x1: Input of any shape, float16/32/64.
        x2: Input of ``x1``'s shape and dtype.

    Returns:
        A Variable of ``x1``'s shape and dtype.

    Raises:
        InvalidType: The inputs are not float arrays, or their dtypes or shapes differ.

    Example:
        >>> F.squared_difference(numpy.array([1.0, 4.0], "f"), numpy.array([3.0, 2.0], "f")).array
        array([4., 4.], dtype=float32)
    """
    return SquaredDifference().apply((x1, x2))[0]
