"""convolution_2d: two-dimensional convolution (cross-correlation) of NCHW images."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions import _conv_utils
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.array.reshape import reshape
from kusari.utils import type_check
from kusari.utils.conv import get_conv_outsize
from kusari.variable import Variable


class _ConvParams:
    """Stride, padding, dilation, groups and ``cover_all`` of one convolution."""

    __slots__ = ("sy", "sx", "ph", "pw", "dy", "dx", "groups", "cover_all")

    def __init__(self, stride: tuple[int, int], pad: tuple[int, int], dilate: tuple[int, int],
                 groups: int, cover_all: bool) -> None:
        self.sy, self.sx = stride
        self.ph, self.pw = pad
        self.dy, self.dx = dilate
        self.groups = groups
        self.cover_all = cover_all

    def kwargs(self) -> dict[str, Any]:
        """The parameters as keyword arguments of :func:`convolution_2d`."""
        return {"stride": (self.sy, self.sx), "pad": (self.ph, self.pw),
                "dilate": (self.dy, self.dx), "groups": self.groups}

    def forward(self, x: Any, W: Any) -> Any:
        """``x (B, C, H, W)`` correlated with ``W (O, C // groups, kh, kw)``."""
        return _conv_utils.conv_forward(x, W, self.sy, self.sx, self.ph, self.pw, self.dy,
                                        self.dx, self.groups, self.cover_all)

    def grad_x(self, gy: Any, W: Any, h: int, w: int) -> Any:
        """Input gradient ``(B, C, h, w)`` from ``gy (B, O, out_h, out_w)``."""
        return _conv_utils.deconv_forward(gy, W, self.sy, self.sx, self.ph, self.pw, h, w,
                                          self.dy, self.dx, self.groups)

    def grad_w(self, x: Any, gy: Any, kh: int, kw: int) -> Any:
        """Filter gradient ``(O, C // groups, kh, kw)``."""
        return _conv_utils.conv_grad_w(x, gy, kh, kw, self.sy, self.sx, self.ph, self.pw,
                                       self.dy, self.dx, self.groups, self.cover_all)


class Convolution2DFunction(FunctionNode):
    """Convolution of ``x (B, C, H, W)`` with ``W (O, C // groups, kh, kw)`` plus ``b (O,)``."""

    def __init__(self, stride: Any = 1, pad: Any = 0, cover_all: bool = False, dilate: Any = 1,
                 groups: int = 1) -> None:
        self.params = _ConvParams(
            _conv_utils.pair(stride, "convolution_2d", "stride", 1),
            _conv_utils.pair(pad, "convolution_2d", "pad", 0),
            _conv_utils.pair(dilate, "convolution_2d", "dilate", 1),
            _check_groups(groups, "convolution_2d"),
            bool(cover_all),
        )

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ranks, dtypes, channel counts and that the output is not empty."""
        f = "convolution_2d"
        type_check.expect_n_inputs(f, in_types, (2, 3))
        x, w = in_types[0], in_types[1]
        type_check.expect_float(f, "x", x)
        type_check.expect_ndim(f, "x", x, 4)
        type_check.expect_ndim(f, "W", w, 4)
        names = ("x", "W", "b")[:len(in_types)]
        type_check.expect_same_dtype(f, names, tuple(in_types))
        p = self.params
        if x.shape[1] != w.shape[1] * p.groups:
            want = _times_groups("W.shape[1]", w.shape[1], p.groups)
            raise type_check.InvalidType(f"{f}: x.shape[1] ({x.shape[1]}) != {want}")
        if w.shape[0] % p.groups:
            raise type_check.InvalidType(
                f"{f}: W.shape[0] ({w.shape[0]}) must be divisible by groups ({p.groups})"
            )
        if len(in_types) == 3:
            b = in_types[2]
            type_check.expect_ndim(f, "b", b, 1)
            type_check.expect_equal(f, "b.shape[0]", b.shape[0], "W.shape[0]", w.shape[0])
        out_h = get_conv_outsize(x.shape[2], w.shape[2], p.sy, p.ph, p.cover_all, p.dy)
        out_w = get_conv_outsize(x.shape[3], w.shape[3], p.sx, p.pw, p.cover_all, p.dx)
        if out_h <= 0 or out_w <= 0:
            raise type_check.InvalidType(
                f"{f}: the output would be empty ({out_h} x {out_w}) for x of spatial size "
                f"{tuple(x.shape[2:])}, kernel {tuple(w.shape[2:])}, stride {(p.sy, p.sx)}, "
                f"pad {(p.ph, p.pw)}, dilate {(p.dy, p.dx)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """im2col and one batched matrix product, then the bias added in place."""
        self.retain_inputs((0, 1))
        y = self.params.forward(inputs[0], inputs[1])
        if len(inputs) == 3:
            y += inputs[2].reshape(1, -1, 1, 1)
        return (y,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """All the requested gradients from one :class:`Convolution2DGrad` node."""
        x, W = self.get_retained_inputs()
        return Convolution2DGrad(self.params, indexes).apply((x, W, grad_outputs[0]))


class Convolution2DGrad(FunctionNode):
    """Gradients of a convolution: inputs ``(x, W, gy)``, outputs ``(gx, gW, gb)``.

    Only the gradients listed in ``indexes`` (0: ``gx``, 1: ``gW``, 2: ``gb``) are computed and
    returned, in that order. ``gx`` is a deconvolution of ``gy`` with ``W``, ``gW`` a correlation
    of ``x`` with ``gy``, ``gb`` the sum of ``gy`` over all axes but the channels. All three are
    bilinear, so their backward pass is again convolutions and deconvolutions (double backprop).
    """

    def __init__(self, params: _ConvParams, indexes: tuple[int, ...]) -> None:
        self.params = params
        self.indexes = indexes

    def forward(self, inputs: tuple) -> tuple:
        """Compute the requested gradients."""
        self.retain_inputs((0, 1, 2))
        x, W, gy = inputs
        p = self.params
        out = []
        for i in self.indexes:
            if i == 0:
                out.append(p.grad_x(gy, W, x.shape[2], x.shape[3]))
            elif i == 1:
                out.append(p.grad_w(x, gy, W.shape[2], W.shape[3]))
            else:
                out.append(_conv_utils.sum_channels(gy))
        return tuple(out)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``gx``, ``gW`` and ``gb`` with respect to ``x``, ``W`` and ``gy``."""
        from kusari.functions.connection.deconvolution_2d import deconvolution_2d

        x, W, gy = self.get_retained_inputs()
        gg = dict(zip(self.indexes, grad_outputs, strict=True))
        ggx, ggw, ggb = gg.get(0), gg.get(1), gg.get(2)
        p = self.params
        out = []
        for i in indexes:
            if i == 0:
                out.append(None if ggw is None else deconvolution_2d(
                    gy, ggw, outsize=x.shape[2:], **p.kwargs()))
            elif i == 1:
                out.append(None if ggx is None else Convolution2DGrad(p, (1,)).apply(
                    (ggx, W, gy))[0])
            else:
                out.append(self._grad_gy(x, W, gy, ggx, ggw, ggb))
        return tuple(out)

    def _conv(self) -> Convolution2DFunction:
        return Convolution2DFunction(**self.params.kwargs(), cover_all=self.params.cover_all)

    def _grad_gy(self, x: Variable, W: Variable, gy: Variable, ggx: Variable | None,
                 ggw: Variable | None, ggb: Variable | None) -> Variable | None:
        g = None
        if ggx is not None:
            g = self._conv().apply((ggx, W) if ggb is None else (ggx, W, ggb))[0]
            ggb = None
        if ggw is not None:
            t = self._conv().apply((x, ggw))[0]
            g = t if g is None else g + t
        if ggb is not None:
            t = broadcast_to(reshape(ggb, (1, -1, 1, 1)), gy.shape)
            g = t if g is None else g + t
        return g


def _times_groups(name: str, value: int, groups: int) -> str:
    """``name (value)``, or ``name * groups (value * groups = product)`` when grouped."""
    if groups == 1:
        return f"{name} ({value})"
    return f"{name} * groups ({value} * {groups} = {value * groups})"


def _check_groups(groups: Any, fname: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{fname}: groups must be a positive int, got {groups!r}")
    return groups


def convolution_2d(x: Variable | Any, W: Variable | Any, b: Variable | Any | None = None,
                   stride: int | tuple[int, int] = 1, pad: int | tuple[int, int] = 0,
                   cover_all: bool = False, *, dilate: int | tuple[int, int] = 1,
                   groups: int = 1) -> Variable:
    """Two-dimensional convolution (cross-correlation, as in every deep-learning framework).

    ``y[b, o, i, j] = bias[o] + sum_{c, u, v} W[o, c, u, v] *
    x_pad[b, g * C/groups + c, i * sy + u * dy, j * sx + v * dx]`` where ``g`` is the group of
    output channel ``o`` and ``x_pad`` is ``x`` padded with zeros. Implemented as im2col and a
    matrix product (Chellapilla et al., "High Performance Convolutional Neural Networks for
    Document Processing", 2006); dilation follows Yu & Koltun, "Multi-Scale Context Aggregation
    by Dilated Convolutions", 2016.

    Args:
        x: Input images ``(B, C, H, W)``, float16/32/64.
        W: Filters ``(O, C // groups, kh, kw)`` of ``x``'s dtype.
        b: Bias ``(O,)`` of ``x``'s dtype, or ``None``.
        stride: Stride ``sy = sx`` or a pair ``(sy, sx)``, each >= 1.
        pad: Zero padding ``ph = pw`` or ``(ph, pw)``, each >= 0, added on both sides.
        cover_all: Add output positions until every input pixel is covered: the output size
            becomes ``(H + 2 ph - dkh + sy - 1) // sy + 1`` instead of
            ``(H + 2 ph - dkh) // sy + 1``, ``dkh = (kh - 1) * dy + 1``.
        dilate: Dilation ``dy = dx`` or ``(dy, dx)``, each >= 1.
        groups: Number of channel groups; ``C`` and ``O`` must be divisible by it.

    Returns:
        A Variable ``(B, O, out_h, out_w)``.

    Raises:
        TypeError: ``stride``, ``pad`` or ``dilate`` is not an int or a pair of ints.
        ValueError: One of them is out of range, or ``groups`` is not a positive int.
        InvalidType: Ranks, dtypes or channel counts do not match, or the output would be empty.
    """
    func = Convolution2DFunction(stride, pad, cover_all, dilate, groups)
    return func.apply((x, W) if b is None else (x, W, b))[0]
