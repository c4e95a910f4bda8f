"""Install operators and array methods on :class:`~kusari.Variable` (done once at import)."""

from __future__ import annotations

from typing import Any

from kusari.functions.array.get_item import get_item
from kusari.functions.array.reshape import reshape
from kusari.functions.array.transpose import transpose
from kusari.functions.math.basic_math import install_variable_arithmetics
from kusari.variable import Variable


def _reshape(self: Variable, *shape: Any) -> Variable:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return reshape(self, shape)


def _transpose(self: Variable, *axes: Any) -> Variable:
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return transpose(self, axes if axes else None)


def install() -> None:
    """Put arithmetic, ``reshape``, ``transpose`` and ``__getitem__`` on Variable."""
    install_variable_arithmetics()
    Variable.reshape = _reshape
    Variable.transpose = _transpose
    Variable.__getitem__ = get_item
