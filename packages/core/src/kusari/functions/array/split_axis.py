"""split_axis: split an array into pieces along an axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, numpy.integer)) and not isinstance(v, (bool, numpy.bool_))


class SplitAxis(FunctionNode):
    """Split the input along ``axis``; the gradient concatenates the outputs' gradients.

    Args:
        indices_or_sections: The number of equal pieces, or the sorted positions (in
            ``[0, x.shape[axis]]``) where the axis is cut.
        axis: The axis to split (negative counts from the end).
    """

    def __init__(self, indices_or_sections: int | Sequence[int], axis: int) -> None:
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check the axis, and that the sections divide it or the indices fit in it."""
        type_check.expect_n_inputs("split_axis", in_types, 1)
        x = in_types[0]
        if not -x.ndim <= self.axis < x.ndim:
            raise type_check.InvalidType(
                f"split_axis: axis {self.axis} is out of range for x.ndim {x.ndim} "
                f"(shape {tuple(x.shape)})"
            )
        size = x.shape[self.axis]
        ios = self.indices_or_sections
        if _is_int(ios) and size % ios:
            raise type_check.InvalidType(
                f"split_axis: x.shape[{self.axis}] ({size}) is not divisible into {ios} sections"
            )
        if not _is_int(ios) and len(ios) and ios[-1] > size:
            raise type_check.InvalidType(
                f"split_axis: index {ios[-1]} is beyond x.shape[{self.axis}] ({size})"
            )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Slice the array into views."""
        x, = inputs
        axis = self.axis % x.ndim
        size = x.shape[axis]
        ios = self.indices_or_sections
        if _is_int(ios):
            step = size // ios
            cuts = [step * k for k in range(1, ios)]
        else:
            cuts = list(ios)
        self._axis = axis
        self._bounds = list(zip([0, *cuts], [*cuts, size], strict=True))
        self._shape = x.shape
        self._dtype = x.dtype
        index = [slice(None)] * x.ndim
        ys = []
        for start, stop in self._bounds:
            index[axis] = slice(start, stop)
            ys.append(x[tuple(index)])
        return tuple(ys)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Concatenate the gradients, with zeros for outputs that got none."""
        from kusari.functions.array.concat import concat

        xp = backend.get_array_module(next(g for g in grad_outputs if g is not None)._data)
        gys = []
        for g, (start, stop) in zip(grad_outputs, self._bounds, strict=True):
            if g is None:
                shape = list(self._shape)
                shape[self._axis] = stop - start
                g = Variable(xp.zeros(shape, self._dtype), requires_grad=False)
            gys.append(g)
        return concat(gys, axis=self._axis),


def _normalize_indices(indices: Any, size: int) -> list[int]:
    """Indices as Python slicing reads them (negative from the end, clipped), checked sorted."""
    try:
        values = indices.tolist() if hasattr(indices, "tolist") else list(indices)
    except TypeError:
        values = None
    if not isinstance(values, list) or not all(_is_int(v) for v in values):
        raise TypeError(
            f"split_axis: indices_or_sections must be an int or a 1-D sequence of ints, "
            f"got {indices!r}"
        )
    out = [min(max(v + size if v < 0 else v, 0), size) for v in values]
    if any(a > b for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"split_axis: indices must be sorted, got {values}")
    return out


def split_axis(
    x: Variable | Any,
    indices_or_sections: int | Sequence[int],
    axis: int,
    force_tuple: bool = True,
) -> tuple[Variable, ...] | Variable:
    """Split ``x`` into pieces along ``axis`` (like ``numpy.split``).

    Args:
        x: Input of shape ``(..., N, ...)`` with ``N`` along ``axis``.
        indices_or_sections: An int ``k`` cuts the axis into ``k`` equal pieces (``N % k`` must
            be 0); a sorted 1-D sequence of ints gives the positions of the cuts (negative values
            count from the end, as in slicing; pieces may be empty).
        axis: The axis to split; negative values count from the end.
        force_tuple: If ``False`` and there is one piece, return it as a Variable instead of a
            1-tuple.

    Returns:
        A tuple of Variables (views of ``x``), or one Variable (see ``force_tuple``).

    Raises:
        TypeError: ``indices_or_sections`` is neither an int nor a sequence of ints, or ``axis``
            is not an int.
        ValueError: The sections are not positive, or the indices are not sorted.
        InvalidType: ``axis`` is out of range, or the sections do not divide the axis.

    Example:
        >>> a, b = F.split_axis(numpy.zeros((2, 5), "f"), [2], axis=1)
        >>> a.shape, b.shape
        ((2, 2), (2, 3))
    """
    if not _is_int(axis):
        raise TypeError(f"split_axis: axis must be an int, got {type(axis).__name__}")
    if _is_int(indices_or_sections):
        if indices_or_sections <= 0:
            raise ValueError(
                f"split_axis: the number of sections must be positive, got {indices_or_sections}"
            )
        ios: int | list[int] = int(indices_or_sections)
    else:
        size = x.shape[axis] if -x.ndim <= axis < x.ndim else 0
        ios = _normalize_indices(indices_or_sections, size)
    ys = SplitAxis(ios, int(axis)).apply((x,))
    if not force_tuple and len(ys) == 1:
        return ys[0]
    return ys
