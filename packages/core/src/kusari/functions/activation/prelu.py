"""prelu: parametric ReLU, ``x`` for ``x >= 0`` and ``W * x`` below zero with a learned ``W``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.reshape import reshape
from kusari.functions.array.where import where
from kusari.functions.math.sum import sum as _sum
from kusari.utils import type_check
from kusari.variable import Variable


def _extended_shape(w_shape: tuple[int, ...], x_ndim: int) -> tuple[int, ...]:
    """``W``'s shape padded with ones so it broadcasts against ``x`` (batch first)."""
    return (1, *w_shape) + (1,) * (x_ndim - len(w_shape) - 1)


class PReLUFunction(FunctionNode):
    """``x`` where ``x >= 0`` and ``W * x`` elsewhere; ``W`` covers ``x.shape[1:1 + W.ndim]``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check a float ``x``, ``W`` of its dtype, and ``W.shape`` equal to ``x``'s next axes."""
        f = "prelu"
        type_check.expect_n_inputs(f, in_types, 2)
        x, w = in_types
        type_check.expect_float(f, "x", x)
        type_check.expect_same_dtype(f, ("x", "W"), (x, w))
        if x.ndim < w.ndim + 1:
            raise type_check.InvalidType(
                f"{f}: x.ndim ({x.ndim}) must be >= W.ndim + 1 ({w.ndim + 1}): x has a batch "
                f"axis followed by W's axes (x.shape {tuple(x.shape)}, W.shape {tuple(w.shape)})"
            )
        lead = tuple(x.shape[1 : 1 + w.ndim])
        if lead != tuple(w.shape):
            raise type_check.InvalidType(
                f"{f}: x.shape[1:{1 + w.ndim}] {lead} != W.shape {tuple(w.shape)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Scale the negative entries by ``W`` broadcast over the batch and trailing axes."""
        self.retain_inputs((0, 1))
        x, W = inputs
        xp = backend.get_array_module(x)
        w = W.reshape(_extended_shape(W.shape, x.ndim))
        return (xp.where(x >= 0, x, x * w),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gx = gy`` or ``W * gy`` by sign; ``gW`` sums ``x * gy`` over negative entries."""
        x, W = self.get_retained_inputs()
        (gy,) = grad_outputs
        mask = x.array >= 0
        out = []
        for i in indexes:
            if i == 0:
                out.append(where(mask, gy, gy * reshape(W, _extended_shape(W.shape, x.ndim))))
            else:
                axes = (0, *range(1 + W.ndim, x.ndim))
                out.append(_sum(x * gy * (~mask).astype(x.dtype), axis=axes))
        return tuple(out)


def prelu(x: Variable | Any, W: Variable | Any) -> Variable:
    """Parametric rectified linear unit: ``x`` where ``x >= 0``, ``W * x`` elsewhere.

    ``W`` is shared over the batch axis and over the axes of ``x`` after its own: with ``W`` of
    shape ``(2, 3)``, ``x`` must be ``(B, 2, 3, S_1, ..., S_N)`` for any ``N >= 0`` (a ``W`` of
    shape ``(C,)`` gives one slope per channel of a ``(B, C, H, W)`` image). From He et al.,
    "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet
    Classification", ICCV 2015 (arXiv:1502.01852). To learn ``W``, use
    :class:`kusari.links.PReLU`.

    Args:
        x: Input ``(B, *W.shape, S_1, ..., S_N)``, float16/32/64.
        W: Slopes of the negative part, of ``x``'s dtype.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array, the dtypes differ, or ``W.shape`` is not
            ``x.shape[1:1 + W.ndim]``.

    Example:
        >>> x = numpy.array([[-3., -2., -1.], [0., 1., 2.]], numpy.float32)
        >>> F.prelu(x, numpy.array([0.01, 0.1, 1.], numpy.float32)).array
        array([[-0.03, -0.2 , -1.  ],
               [ 0.  ,  1.  ,  2.  ]], dtype=float32)
    """
    return PReLUFunction().apply((x, W))[0]
