"""linear: the fully connected layer ``y = x W^T + b``."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.math.matmul import matmul
from kusari.utils import size_of_shape, type_check
from kusari.variable import Variable


def _valid(in_types: tuple) -> bool:
    # speed: one combined test accepts the usual valid inputs at once; the detailed checks that
    # name what is wrong run only when it fails
    n = len(in_types)
    if n != 2 and n != 3:
        return False
    x, w = in_types[0], in_types[1]
    dt = x.dtype
    if not (dt.kind == "f" and w.dtype == dt and x.ndim == 2 and w.ndim == 2
            and x.shape[1] == w.shape[1]):
        return False
    if n == 2:
        return True
    b = in_types[2]
    return b.dtype == dt and b.ndim == 1 and b.shape[0] == w.shape[0]


class LinearFunction(FunctionNode):
    """``x W^T (+ b)`` for ``x (B, in)``, ``W (out, in)``, ``b (out,)``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ranks, dtypes and that the inner dimensions and the bias length agree."""
        if _valid(in_types):
            return
        type_check.expect_n_inputs("linear", in_types, (2, 3))
        x, w = in_types[0], in_types[1]
        type_check.expect_float("linear", "x", x)
        type_check.expect_ndim("linear", "x", x, 2)
        type_check.expect_ndim("linear", "W", w, 2)
        type_check.expect_equal("linear", "x.shape[1]", x.shape[1], "W.shape[1]", w.shape[1])
        if len(in_types) == 2:
            type_check.expect_same_dtype("linear", ("x", "W"), (x, w))
            return
        b = in_types[2]
        type_check.expect_same_dtype("linear", ("x", "W", "b"), (x, w, b))
        type_check.expect_ndim("linear", "b", b, 1)
        type_check.expect_equal("linear", "b.shape[0]", b.shape[0], "W.shape[0]", w.shape[0])

    def forward(self, inputs: tuple) -> tuple:
        """One matrix product, then the bias added in place."""
        self.retain_inputs((0, 1))
        y = inputs[0].dot(inputs[1].T)
        if len(inputs) == 3:
            y += inputs[2]
        return (y,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """All the requested gradients from one :class:`LinearGrad` node."""
        x, W = self.get_retained_inputs()
        return LinearGrad(indexes).apply((x, W, grad_outputs[0]))


class LinearGrad(FunctionNode):
    """Gradients of :class:`LinearFunction`: inputs ``(x, W, gy)``, outputs ``(gx, gW, gb)``.

    Only the gradients listed in ``indexes`` (0: ``gx``, 1: ``gW``, 2: ``gb``) are computed and
    returned, in that order. Every output is bilinear in the inputs, so the backward pass is a
    few more products (double backprop).
    """

    def __init__(self, indexes: tuple[int, ...]) -> None:
        self.indexes = indexes

    def forward(self, inputs: tuple) -> tuple:
        """``gx = gy W``, ``gW = gy^T x``, ``gb = sum(gy, axis=0)``."""
        self.retain_inputs((0, 1, 2))
        x, W, gy = inputs
        out = []
        for i in self.indexes:
            if i == 0:
                out.append(gy.dot(W))
            elif i == 1:
                out.append(gy.T.dot(x))
            else:
                out.append(gy.sum(axis=0))
        return tuple(out)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``gx``, ``gW`` and ``gb`` with respect to ``x``, ``W`` and ``gy``."""
        x, W, gy = self.get_retained_inputs()
        gg = dict(zip(self.indexes, grad_outputs, strict=True))
        ggx, ggw, ggb = gg.get(0), gg.get(1), gg.get(2)
        out = []
        for i in indexes:
            if i == 0:
                out.append(None if ggw is None else matmul(gy, ggw))
            elif i == 1:
                out.append(None if ggx is None else matmul(gy, ggx, transa=True))
            else:
                out.append(self._grad_gy(x, W, gy, ggx, ggw, ggb))
        return tuple(out)

    @staticmethod
    def _grad_gy(x: Variable, W: Variable, gy: Variable, ggx: Variable | None,
                 ggw: Variable | None, ggb: Variable | None) -> Variable | None:
        g = None
        if ggx is not None:
            args = (ggx, W) if ggb is None else (ggx, W, ggb)
            g = LinearFunction().apply(args)[0]
            ggb = None
        if ggw is not None:
            t = LinearFunction().apply((x, ggw))[0]
            g = t if g is None else g + t
        if ggb is not None:
            t = broadcast_to(ggb, gy.shape)
            g = t if g is None else g + t
        return g


def linear(x: Variable | Any, W: Variable | Any, b: Variable | Any | None = None,
           n_batch_axes: int = 1) -> Variable:
    """Fully connected layer: ``y = x W^T + b``.

    The leading ``n_batch_axes`` axes of ``x`` are batch axes; the remaining axes are flattened
    into one feature axis, so ``x (B, C, H, W)`` is used as ``(B, C * H * W)``.

    Args:
        x: Input ``(B, in)``, or ``(*batch, *features)`` with ``prod(features) == in``,
            float16/32/64.
        W: Weight ``(out, in)``, of ``x``'s dtype.
        b: Bias ``(out,)``, of ``x``'s dtype, or ``None`` for no bias.
        n_batch_axes: Number of leading batch axes of ``x`` kept in the output.

    Returns:
        A Variable ``(B, out)`` (``(*batch, out)`` when ``n_batch_axes > 1``).

    Raises:
        ValueError: ``n_batch_axes`` is not positive.
        InvalidType: Dtypes differ or shapes do not match, e.g.
            ``linear: x.shape[1] (3) != W.shape[1] (4)``.

    Example:
        >>> x = numpy.ones((2, 3), numpy.float32)
        >>> W = numpy.ones((4, 3), numpy.float32)
        >>> F.linear(x, W).shape
        (2, 4)
    """
    if n_batch_axes <= 0:
        raise ValueError(f"linear: n_batch_axes must be > 0, got {n_batch_axes}")
    # Sizes are spelled out rather than inferred with -1, which fails on an empty batch.
    if n_batch_axes > 1:
        batch_shape = x.shape[:n_batch_axes]
        x = x.reshape(size_of_shape(batch_shape), size_of_shape(x.shape[n_batch_axes:]))
    elif x.ndim > 2:
        x = x.reshape(x.shape[0], size_of_shape(x.shape[1:]))
    y = LinearFunction().apply((x, W) if b is None else (x, W, b))[0]
    if n_batch_axes > 1:
        y = y.reshape(batch_shape + (y.shape[1],))
    return y
