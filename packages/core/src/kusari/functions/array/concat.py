"""concat: join arrays along an existing axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


def _as_inputs(fname: str, xs: Any) -> tuple:
    """``xs`` as a tuple, refusing a lone Variable or array (a common slip for a list of them)."""
    if isinstance(xs, Variable) or hasattr(xs, "__array_interface__") or (
        type(xs).__module__.startswith("cupy")
    ):
        raise TypeError(
            f"{fname}: xs must be a list or tuple of Variables or arrays, got one "
            f"{type(xs).__name__}; wrap it in a list"
        )
    return tuple(xs)


class Concat(FunctionNode):
    """Concatenate the inputs along ``axis``; the gradient is split back with ``split_axis``.

    Args:
        axis: The axis to join along (negative counts from the end).
        fname: The user-facing function name used in error messages (``hstack`` and ``vstack``
            are built on this node).
    """

    def __init__(self, axis: int, fname: str = "concat") -> None:
        self.axis = axis
        self._fname = fname

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check one dtype and rank, and equal shapes except along ``axis``."""
        fname = self._fname
        if len(in_types) == 0:
            raise type_check.InvalidType(f"{fname}: expected at least 1 input, got 0")
        x0 = in_types[0]
        ndim = x0.ndim
        if not -ndim <= self.axis < ndim:
            raise type_check.InvalidType(
                f"{fname}: axis {self.axis} is out of range for inputs of ndim {ndim}"
            )
        axis = self.axis % ndim
        for i, x in enumerate(in_types[1:], 1):
            if x.dtype != x0.dtype:
                raise type_check.InvalidType(
                    f"{fname}: xs[{i}].dtype ({x.dtype}) != xs[0].dtype ({x0.dtype})"
                )
            if x.ndim != ndim:
                raise type_check.InvalidType(
                    f"{fname}: xs[{i}].ndim ({x.ndim}) != xs[0].ndim ({ndim})"
                )
            for d in range(ndim):
                if d != axis and x.shape[d] != x0.shape[d]:
                    raise type_check.InvalidType(
                        f"{fname}: xs[{i}].shape {tuple(x.shape)} and xs[0].shape "
                        f"{tuple(x0.shape)} differ outside axis {self.axis}"
                    )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Concatenate the arrays."""
        self._sizes = [x.shape[self.axis] for x in inputs]
        xp = backend.get_array_module(*inputs)
        return xp.concatenate(inputs, axis=self.axis),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Split the gradient at the input boundaries."""
        from kusari.functions.array.split_axis import split_axis

        bounds = []
        total = 0
        for size in self._sizes[:-1]:
            total += size
            bounds.append(total)
        gxs = split_axis(grad_outputs[0], bounds, self.axis)
        return tuple(gxs[i] for i in indexes)


def concat(xs: Sequence[Variable | Any], axis: int = 1) -> Variable:
    """Concatenate Variables or arrays along ``axis``.

    Args:
        xs: A list or tuple of Variables or arrays of one dtype and rank, with equal shapes except
            along ``axis``, e.g. ``(B, C_i, H, W)`` for ``axis=1``.
        axis: The axis to join along; negative values count from the end.

    Returns:
        A Variable of the common shape with ``sum(C_i)`` along ``axis``.

    Raises:
        TypeError: ``xs`` is a single Variable or array rather than a sequence of them.
        InvalidType: ``xs`` is empty, ``axis`` is out of range, or dtypes, ranks or the other
            dimensions differ.

    Example:
        >>> F.concat((numpy.zeros((2, 3), "f"), numpy.ones((2, 1), "f"))).shape
        (2, 4)
    """
    return Concat(axis).apply(_as_inputs("concat", xs))[0]
