"""resize_images: bilinear or nearest-neighbour resizing of NCHW images."""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable

_MODES = ("bilinear", "nearest")


class _Axis:
    """Sampling of one spatial axis of the input (length ``size``) to length ``out_size``.

    Output ``o`` reads ``(1 - w[o]) * in[i0[o]] + w[o] * in[i1[o]]``. ``i0`` and ``i1`` are
    non-decreasing int arrays of the output length, ``i1 = min(i0 + 1, size - 1)``; nearest
    mode has no ``w`` (only ``i0`` is read).
    """

    __slots__ = ("i0", "i1", "w")

    def __init__(
        self, xp: Any, size: int, out_size: int, mode: str, align_corners: bool, dtype: Any
    ) -> None:
        # sample positions in float64, as Chainer computes them, whatever the data's dtype
        if mode == "bilinear":
            if align_corners:
                pos = xp.linspace(0, size - 1, num=out_size, dtype=numpy.float64)
            else:  # pixel centres aligned (OpenCV), clamped at the first pixel
                pos = (xp.arange(out_size, dtype=numpy.float64) + 0.5) * (size / out_size) - 0.5
                pos = xp.maximum(pos, 0)
            frac, whole = xp.modf(pos)
            self.i0 = whole.astype(numpy.intp)
            self.i1 = xp.minimum(self.i0 + 1, size - 1)
            self.w = frac.astype(dtype)
        else:
            if align_corners:
                pos = xp.round(xp.linspace(0, size - 1, num=out_size, dtype=numpy.float64))
            else:  # OpenCV's INTER_NEAREST
                pos = xp.floor(xp.arange(out_size, dtype=numpy.float64) * (size / out_size))
            self.i0 = xp.minimum(pos.astype(numpy.intp), size - 1)
            self.i1 = None
            self.w = None

    def gather(self, x: Any, axis: int) -> Any:
        """Resample ``x`` along ``axis`` (of the input length) to the output length."""
        lo = x.take(self.i0, axis=axis)
        if self.w is None:
            return lo
        shape = (-1,) + (1,) * (x.ndim - axis - 1)
        w = self.w.reshape(shape)
        hi = x.take(self.i1, axis=axis)
        lo -= lo * w
        hi *= w
        lo += hi
        return lo

    def scatter(self, g: Any, axis: int, size: int) -> Any:
        """The adjoint of :meth:`gather`: add ``g``'s entries back along ``axis`` to ``size``."""
        if self.w is None:
            return _scatter_add(g, self.i0, axis, size)
        shape = (-1,) + (1,) * (g.ndim - axis - 1)
        gw = g * self.w.reshape(shape)
        out = _scatter_add(g - gw, self.i0, axis, size)
        out += _scatter_add(gw, self.i1, axis, size)
        return out


def _scatter_add(g: Any, index: Any, axis: int, size: int) -> Any:
    """``out[.., i, ..] = sum of g[.., o, ..] over o with index[o] == i`` along ``axis``.

    ``index`` is non-decreasing, so the ``o`` sharing one target ``i`` form a run
    ``start[i] <= o < start[i] + count[i]``. Pass ``k`` gathers the ``k``-th entry of every run
    (masked where a run is shorter) and adds it: gathers along an axis are far faster than
    ``np.add.at`` or fancy-index ``+=`` on a trailing axis. The number of passes is the longest
    run (about the upscaling factor), never the number of pixels.
    """
    xp = backend.get_array_module(g)
    targets = xp.arange(size)
    start = xp.searchsorted(index, targets, side="left")
    count = xp.searchsorted(index, targets, side="right") - start
    last = index.shape[0] - 1
    shape = (-1,) + (1,) * (g.ndim - axis - 1)
    out = None
    for k in range(int(count.max())):
        part = g.take(xp.minimum(start + k, last), axis=axis)
        has = count > k
        if not bool(has.all()):
            part *= has.astype(g.dtype).reshape(shape)
        if out is None:
            out = part
        else:
            out += part
    return out


class _Sampling:
    """The per-axis samplings of one resize, built on first use and shared with the grads."""

    def __init__(
        self, in_hw: tuple[int, int], out_hw: tuple[int, int], mode: str, align_corners: bool
    ) -> None:
        self.in_hw = in_hw
        self.out_hw = out_hw
        self.mode = mode
        self.align_corners = align_corners
        self._axes: dict[Any, tuple[_Axis, _Axis]] = {}

    def axes(self, x: Any) -> tuple[_Axis, _Axis]:
        """The (rows, columns) samplings for arrays of ``x``'s module and dtype."""
        xp = backend.get_array_module(x)
        key = (xp.__name__, x.dtype)
        if key not in self._axes:
            (h, w), (out_h, out_w) = self.in_hw, self.out_hw
            self._axes[key] = (
                _Axis(xp, h, out_h, self.mode, self.align_corners, x.dtype),
                _Axis(xp, w, out_w, self.mode, self.align_corners, x.dtype),
            )
        return self._axes[key]

    def forward(self, x: Any) -> Any:
        """Resize ``x (B, C, H, W)`` to ``(B, C, out_h, out_w)``, one axis after the other.

        Gathers along the last axis are the slow ones, so the columns are resampled while the
        array has the fewer rows: after shrinking the rows, before growing them.
        """
        rows, cols = self.axes(x)
        if self.out_hw[0] < self.in_hw[0]:
            return cols.gather(rows.gather(x, 2), 3)
        return rows.gather(cols.gather(x, 3), 2)

    def backward(self, gy: Any) -> Any:
        """Scatter ``gy (B, C, out_h, out_w)`` back onto ``(B, C, H, W)`` (forward reversed)."""
        rows, cols = self.axes(gy)
        h, w = self.in_hw
        if self.out_hw[0] < h:
            return rows.scatter(cols.scatter(gy, 3, w), 2, h)
        return cols.scatter(rows.scatter(gy, 2, h), 3, w)


class ResizeImages(FunctionNode):
    """Resize with fixed sampling positions and weights: a linear map of ``x``."""

    def __init__(
        self, output_shape: tuple[int, int], mode: str = "bilinear", align_corners: bool = True
    ) -> None:
        self.out_hw = output_shape
        self.mode = mode
        self.align_corners = align_corners

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check one float ``(B, C, H, W)`` input with non-empty height and width."""
        f = "resize_images"
        type_check.expect_n_inputs(f, in_types, 1)
        (x,) = in_types
        type_check.expect_float(f, "x", x)
        type_check.expect_ndim(f, "x", x, 4)
        if x.shape[2] == 0 or x.shape[3] == 0:
            raise type_check.InvalidType(
                f"{f}: x must have a non-empty height and width, got x.shape {tuple(x.shape)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Gather the neighbours and blend them with the fixed weights."""
        (x,) = inputs
        self.sampling = _Sampling(tuple(x.shape[2:]), self.out_hw, self.mode, self.align_corners)
        return (self.sampling.forward(x),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Scatter-add the weighted gradient back to the sampled pixels."""
        return ResizeImagesGrad(self.sampling).apply(grad_outputs)


class ResizeImagesGrad(FunctionNode):
    """Gradient of :class:`ResizeImages` (the transposed linear map); its gradient is the resize."""

    def __init__(self, sampling: _Sampling) -> None:
        self.sampling = sampling

    def forward(self, inputs: tuple) -> tuple:
        """Scatter ``gy (B, C, out_h, out_w)`` onto ``(B, C, H, W)``."""
        return (self.sampling.backward(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Resize the gradient's gradient with the same sampling."""
        s = self.sampling
        return ResizeImages(s.out_hw, s.mode, s.align_corners).apply(grad_outputs)


def resize_images(
    x: Variable | Any,
    output_shape: tuple[int, int],
    *,
    mode: str = "bilinear",
    align_corners: bool = True,
) -> Variable:
    """Resize images ``(B, C, H, W)`` to ``(B, C, out_h, out_w)``.

    Each axis is sampled independently (bilinear interpolation is separable). Output pixel
    ``o`` of an axis of input length ``n`` and output length ``m`` reads input position:

    - ``bilinear``, ``align_corners=True``: ``o * (n - 1) / (m - 1)`` (``0`` when ``m == 1``),
      so the corner pixels of input and output coincide;
    - ``bilinear``, ``align_corners=False``: ``max((o + 0.5) * n / m - 0.5, 0)``, pixel centres
      aligned as in OpenCV's ``cv2.resize``;
    - ``nearest``, ``align_corners=True``: the position of the bilinear case rounded (half to
      even);
    - ``nearest``, ``align_corners=False``: ``min(floor(o * n / m), n - 1)`` (OpenCV's
      ``INTER_NEAREST``).

    A bilinear position ``p`` blends pixels ``floor(p)`` and ``min(floor(p) + 1, n - 1)`` with
    weights ``1 - frac(p)`` and ``frac(p)``. The gradient adds the weighted output gradients
    back onto those pixels; it is differentiable again (the map is linear in ``x``).

    Args:
        x: Input images ``(B, C, H, W)``, float16/32/64, ``H`` and ``W`` at least 1.
        output_shape: ``(out_h, out_w)``, two positive ints (height first, unlike OpenCV).
        mode: ``'bilinear'`` or ``'nearest'``.
        align_corners: Align the corner pixels (``True``) or the pixel grid as OpenCV does
            (``False``).

    Returns:
        A Variable ``(B, C, out_h, out_w)`` of ``x``'s dtype.

    Raises:
        TypeError: ``output_shape`` is not a pair of ints.
        ValueError: An entry of ``output_shape`` is below 1, or ``mode`` is unknown.
        InvalidType: ``x`` is not a float 4-D array with non-empty height and width.

    Example:
        >>> x = numpy.array([[[[0, 3]]]], numpy.float32)
        >>> F.resize_images(x, (1, 4)).array[0, 0, 0]
        array([0., 1., 2., 3.], dtype=float32)
    """
    f = "resize_images"
    items = tuple(output_shape) if isinstance(output_shape, (tuple, list)) else None
    if (
        items is None
        or len(items) != 2
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items)
    ):
        raise TypeError(
            f"{f}: output_shape must be a pair of ints (out_h, out_w), got {output_shape!r}"
        )
    if items[0] < 1 or items[1] < 1:
        raise ValueError(f"{f}: output_shape entries must be >= 1, got {output_shape!r}")
    if mode not in _MODES:
        raise ValueError(f"{f}: mode must be 'bilinear' or 'nearest', got {mode!r}")
    return ResizeImages((int(items[0]), int(items[1])), mode, bool(align_corners)).apply((x,))[0]
