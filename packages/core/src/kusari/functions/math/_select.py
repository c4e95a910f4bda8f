"""The shared parts of maximum and minimum: elementwise selection between two arrays."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.where import Where
from kusari.functions.math.sum_to import _sum_to_array
from kusari.utils import force_array, type_check


class ElementwiseSelect(FunctionNode):
    """Pick, elementwise, one of two float arrays of one dtype (their shapes broadcast).

    Subclasses set ``_fname`` (the user-facing name, also the ``xp`` ufunc computing the
    output) and :meth:`_first_wins` (where the first input is picked, ties included).
    """

    _fname = ""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two float inputs of one dtype whose shapes broadcast together."""
        fname = self._fname
        type_check.expect_n_inputs(fname, in_types, 2)
        x1, x2 = in_types
        type_check.expect_float(fname, "x1", x1)
        type_check.expect_same_dtype(fname, ("x1", "x2"), (x1, x2))
        if x1.shape != x2.shape:
            try:
                numpy.broadcast_shapes(x1.shape, x2.shape)
            except ValueError:
                raise type_check.InvalidType(
                    f"{fname}: x1.shape {tuple(x1.shape)} and x2.shape {tuple(x2.shape)} do "
                    "not broadcast together"
                ) from None

    def forward(self, inputs: tuple) -> tuple:
        """Select elementwise."""
        self.retain_inputs((0, 1))
        x1, x2 = inputs
        xp = backend.get_array_module(x1, x2)
        return force_array(getattr(xp, self._fname)(x1, x2)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Route the gradient to the picked input (one :class:`SelectGrad` node)."""
        x1, x2 = (v._data for v in self.get_retained_inputs())
        cond = self._first_wins(x1, x2)
        return SelectGrad(cond, (x1.shape, x2.shape), indexes).apply(grad_outputs)

    @staticmethod
    def _first_wins(x1: Any, x2: Any) -> Any:
        raise NotImplementedError


class SelectGrad(FunctionNode):
    """``gy`` where ``cond`` to input 0 and elsewhere to input 1, summed to each input's shape.

    Only the gradients of the inputs in ``indexes`` are computed, in that order.
    """

    def __init__(self, cond: Any, shapes: tuple, indexes: tuple[int, ...]) -> None:
        self.cond = cond
        self.shapes = shapes
        self.indexes = indexes

    def forward(self, inputs: tuple) -> tuple:
        """Split the gradient by the mask."""
        gy, = inputs
        xp = backend.get_array_module(gy)
        zero = gy.dtype.type(0)
        out = []
        for i in self.indexes:
            g = xp.where(self.cond, gy, zero) if i == 0 else xp.where(self.cond, zero, gy)
            out.append(_sum_to_array(g, self.shapes[i]))
        return tuple(out)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Merge the gradients' gradients back by the mask (one ``Where`` node)."""
        pair: list[Any] = [None, None]
        for i, g in zip(self.indexes, grad_outputs, strict=True):
            pair[i] = g
        ref = next(g for g in pair if g is not None)
        zero = ref.xp.zeros((), ref.dtype)
        return Where(self.cond).apply([zero if g is None else g for g in pair])
