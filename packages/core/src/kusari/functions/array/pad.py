"""pad: pad an array with a constant around each axis."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.variable import Variable


class Pad(FunctionNode):
    """Constant padding; the gradient is the centre slice of the output's gradient.

    Args:
        pad_width: ``((before_1, after_1), ..., (before_N, after_N))``, one pair per axis.
        mode: The padding mode (``'constant'``).
        **keywords: Passed to ``xp.pad`` (``constant_values``).
    """

    def __init__(self, pad_width: tuple[tuple[int, int], ...], mode: str, **keywords: Any) -> None:
        self.pad_width = pad_width
        self.mode = mode
        self.keywords = keywords

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Pad the array."""
        x, = inputs
        self._in_shape = x.shape
        xp = backend.get_array_module(x)
        return xp.pad(x, self.pad_width, mode=self.mode, **self.keywords),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Cut the padding off the gradient."""
        from kusari.functions.array.get_item import get_item

        center = tuple(
            slice(before, before + n)
            for (before, _), n in zip(self.pad_width, self._in_shape, strict=True)
        )
        return get_item(grad_outputs[0], center),


def pad(x: Variable | Any, pad_width: Any, mode: str = "constant", **keywords: Any) -> Variable:
    """Pad ``x`` with a constant on both sides of each axis (``numpy.pad`` in constant mode).

    Args:
        x: Input of shape ``(s_1, ..., s_N)``.
        pad_width: Non-negative ints: one int for every side of every axis, a pair
            ``(before, after)`` for every axis, or one pair per axis.
        mode: Only ``'constant'`` is supported (Chainer passes any ``numpy.pad`` mode through;
            there ``mode`` has no default).
        **keywords: ``constant_values``: the fill value, a scalar or pairs like ``pad_width``
            (default 0).

    Returns:
        A Variable of shape ``(before_1 + s_1 + after_1, ...)``.

    Raises:
        ValueError: ``mode`` is not ``'constant'``, or ``pad_width`` is negative or does not fit
            the rank of ``x``.
        TypeError: ``pad_width`` holds non-integers, or a keyword other than
            ``constant_values`` is given.

    Example:
        >>> F.pad(numpy.ones((2, 3), "f"), ((1, 1), (0, 2)), "constant").shape
        (4, 5)
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    unknown = sorted(set(keywords) - {"constant_values"})
    if unknown:
        raise TypeError(f"pad: unexpected keyword arguments {unknown} for mode 'constant'")
    widths = numpy.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold ints, got {pad_width!r}")
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {pad_width!r}")
    try:
        widths = numpy.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit x.ndim {x.ndim}; give an int, a pair "
            "(before, after) or one pair per axis"
        ) from None
    pairs = tuple((int(b), int(a)) for b, a in widths)
    return Pad(pairs, mode, **keywords).apply((x,))[0]
