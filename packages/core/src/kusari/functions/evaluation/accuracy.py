"""accuracy: fraction of predictions (argmax over classes) equal to the labels."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable, as_array


class Accuracy(FunctionNode):
    """Fraction of ``argmax(y, axis=1) == t``, leaving out labels equal to ``ignore_label``."""

    def __init__(self, ignore_label: int | None = None) -> None:
        self.ignore_label = ignore_label

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ``y`` of shape ``(B, C, ...)`` float and ``t`` of shape ``(B, ...)`` int."""
        type_check.expect_n_inputs("accuracy", in_types, 2)
        y, t = in_types
        type_check.expect_float("accuracy", "y", y)
        type_check.expect_kind("accuracy", "t", t, "i")
        type_check.expect_ndim("accuracy", "y", y, 2, at_least=True)
        want = (y.shape[0],) + tuple(y.shape[2:])
        if tuple(t.shape) != want:
            raise type_check.InvalidType(
                f"accuracy: t.shape must be {want} for y of shape {tuple(y.shape)} "
                f"(y's shape without axis 1), got {tuple(t.shape)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Count the correct predictions."""
        y, t = inputs
        xp = backend.get_array_module(y)
        correct = y.argmax(axis=1) == t
        if self.ignore_label is None:
            total = t.size
            count = correct.sum()
        else:
            valid = t != self.ignore_label
            total = valid.sum()
            count = (correct & valid).sum()
        if total == 0:
            return xp.zeros((), y.dtype),
        return xp.asarray(count / total, dtype=y.dtype),


def accuracy(y: Variable | Any, t: Variable | Any, ignore_label: int | None = None) -> Variable:
    """Classification accuracy: the fraction of ``argmax(y, axis=1)`` equal to ``t``.

    Not differentiable: the result is not connected to the graph.

    Args:
        y: Scores of shape ``(B, C)`` or ``(B, C, d1, ...)``, float16/32/64.
        t: Labels of shape ``(B,)`` or ``(B, d1, ...)``, signed integers.
        ignore_label: Labels equal to this value are left out of the count (and of the
            total); ``None`` counts every label. When all labels are ignored the result is 0.

    Returns:
        A 0-d Variable of ``y``'s dtype.

    Raises:
        InvalidType: ``y`` is not float, ``t`` is not a signed integer array, or their
            shapes do not match.
    """
    return Accuracy(ignore_label).apply((as_array(y), as_array(t)))[0]
