"""sign: elementwise sign, a constant with no gradient."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.utils import force_array
from kusari.variable import Variable, as_array


def sign(x: Variable | Any) -> Variable:
    """Elementwise sign: -1 where ``x < 0``, 0 where ``x == 0``, 1 where ``x > 0``.

    The result is a new constant: no gradient flows back to ``x`` (as in Chainer, the graph is
    cut here).

    Args:
        x: Variable or array of any shape and numeric dtype.

    Returns:
        A Variable of ``x``'s shape and dtype with ``requires_grad=False``.

    Raises:
        TypeError: ``x`` is not a Variable or an array.

    Example:
        >>> F.sign(numpy.array([-2.0, 0.0, 3.0], "f")).array
        array([-1.,  0.,  1.], dtype=float32)
    """
    a = as_array(x)
    if not (hasattr(a, "__array_interface__") or type(a).__module__.startswith("cupy")):
        raise TypeError(f"sign: x must be a Variable or an array, got {type(x).__name__}")
    return Variable(force_array(backend.get_array_module(a).sign(a)), requires_grad=False)
