"""softmax_cross_entropy: cross entropy of the softmax of scores against labels."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.configuration import config
from kusari.function_node import FunctionNode
from kusari.functions.activation.log_softmax import log_softmax
from kusari.functions.activation.softmax import softmax
from kusari.functions.array.reshape import reshape
from kusari.functions.math.average import mean
from kusari.functions.math.sum import sum as _sum
from kusari.utils import size_of_shape, type_check
from kusari.variable import Variable, as_array

_FNAME = "softmax_cross_entropy"


def _compute_dtype(dtype: numpy.dtype) -> Any:
    """float16 is computed in float32 (as Chainer does); other dtypes as they are."""
    return numpy.float32 if dtype == numpy.float16 else dtype


class SoftmaxCrossEntropy(FunctionNode):
    """``-class_weight[t] * log(softmax(x)[t])`` per element, ignored labels masked, reduced.

    ``x`` of shape ``(B, C, d1, ...)`` is handled as ``(B, C, K)`` and ``t`` as ``(B, K)``,
    ``K`` being the product of the trailing dimensions (1 for 2-D ``x``).
    """

    def __init__(self, normalize: bool = True, cache_score: bool = True,
                 class_weight: Any = None, ignore_label: int = -1,
                 reduce: str = "mean") -> None:
        self.normalize = normalize
        self.cache_score = cache_score
        self.class_weight = class_weight
        self.ignore_label = ignore_label
        self.reduce = reduce
        self._y = None

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ``x`` float ``(B, C, d1, ...)`` and ``t`` signed int ``(B, d1, ...)``."""
        type_check.expect_n_inputs(_FNAME, in_types, 2)
        x, t = in_types
        type_check.expect_float(_FNAME, "x", x)
        type_check.expect_ndim(_FNAME, "x", x, 2, at_least=True)
        type_check.expect_kind(_FNAME, "t", t, "i")
        want = (x.shape[0],) + tuple(x.shape[2:])
        if tuple(t.shape) != want:
            raise type_check.InvalidType(
                f"{_FNAME}: t.shape must be {want} for x of shape {tuple(x.shape)} "
                f"(x's shape without the class axis 1), got {tuple(t.shape)}"
            )
        cw = self.class_weight
        if cw is not None and tuple(cw.shape) != (x.shape[1],):
            raise type_check.InvalidType(
                f"{_FNAME}: class_weight.shape must be ({x.shape[1]},) (x.shape[1]), "
                f"got {tuple(cw.shape)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Compute the loss; keep the softmax for backward when ``cache_score``."""
        self.retain_inputs((0,))
        x, t = inputs
        xp = backend.get_array_module(x)
        n_batch, n_class = x.shape[:2]
        n_pos = size_of_shape(x.shape[2:])
        x3 = x.reshape(n_batch, n_class, n_pos).astype(_compute_dtype(x.dtype), copy=False)
        t2 = t.reshape(n_batch, n_pos)
        mask = t2 != self.ignore_label
        t_safe = t2 * mask
        out_of_range = (t_safe < 0) | (t_safe >= n_class)
        if bool(out_of_range.any()):
            raise ValueError(
                f"{_FNAME}: labels must be in [0, {n_class}) (x.shape[1]) or equal "
                f"ignore_label ({self.ignore_label}); got {int(t2[out_of_range][0])}"
            )
        self._t = t_safe
        # flat index of x3[b, t[b, k], k]: picks the targets' scores in one ``take``
        first = xp.arange(n_batch)[:, None] * (n_class * n_pos)
        self._index = first + xp.arange(n_pos) + t_safe * n_pos
        z = x3 - x3.max(axis=1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = xp.log(s[:, 0, :]) - z.reshape(-1).take(self._index)
        if self.cache_score:
            e /= s
            self._y = e
        weight = mask.astype(x3.dtype)
        if self.class_weight is not None:
            weight *= xp.asarray(self.class_weight, dtype=x3.dtype)[t_safe]
        loss *= weight
        if self.reduce == "mean":
            count = int(mask.sum()) if self.normalize else n_batch
            coeff = 1.0 / max(count, 1)
            self._scale = weight[:, None, :] * x3.dtype.type(coeff)
            return xp.asarray(loss.sum() * coeff, dtype=x.dtype),
        self._scale = weight[:, None, :]
        return loss.reshape(t.shape).astype(x.dtype, copy=False),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``(softmax(x) - onehot(t)) * scale * gy``; ``t`` gets no gradient.

        ``scale`` is ``class_weight[t]`` (0 where ignored) divided by the count for
        ``reduce='mean'``.

        speed: without double backprop (the usual case) one :class:`SoftmaxCrossEntropyGrad`
        node computes the gradient, in place on the cached softmax. When the backward pass is
        itself recorded, the same formula is built from differentiable functions instead.
        """
        x, = self.get_retained_inputs()
        gy, = grad_outputs
        if config.enable_backprop:
            gx = self._differentiable_grad(x, gy)
        else:
            y, self._y = self._y, None
            node = SoftmaxCrossEntropyGrad(x.array, y, self._index, self._scale, self.reduce)
            gx, = node.apply((gy,))
        return tuple(gx if i == 0 else None for i in indexes)

    def _differentiable_grad(self, x: Variable, gy: Variable) -> Variable:
        xp = backend.get_array_module(x.array)
        n_batch, n_class = x.shape[:2]
        shape = (n_batch, 1) + x.shape[2:]
        classes = xp.arange(n_class).reshape((1, n_class) + (1,) * (x.ndim - 2))
        onehot = (self._t.reshape(shape) == classes).astype(x.dtype)
        scale = self._scale.reshape(shape).astype(x.dtype)
        if self.reduce == "no":
            gy = reshape(gy, shape)
        return (softmax(x, axis=1) - onehot) * (gy * scale)


class SoftmaxCrossEntropyGrad(FunctionNode):
    """``gx = (softmax(x) - onehot(t)) * scale * gy`` in one pass, from a fixed ``x``.

    Args:
        x: The scores ``(B, C, ...)``.
        y: The cached softmax ``(B, C, K)`` in the compute dtype, or ``None`` to recompute it;
            it is overwritten.
        index: Flat indices ``(B, K)`` of the targets in the ``(B, C, K)`` array.
        scale: Factor ``(B, 1, K)`` of each element (0 where ignored).
        reduce: ``'mean'`` (``gy`` is 0-d) or ``'no'`` (``gy`` has ``t``'s shape).

    It is applied only while the backward pass is not recorded, so it has no backward.
    """

    def __init__(self, x: Any, y: Any, index: Any, scale: Any, reduce: str) -> None:
        self.x = x
        self.y = y
        self.index = index
        self.scale = scale
        self.reduce = reduce

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient."""
        gy, = inputs
        x = self.x
        xp = backend.get_array_module(x)
        n_batch, n_class = x.shape[:2]
        n_pos = self.index.shape[1]
        gx, self.y = self.y, None
        if gx is None:
            x3 = x.reshape(n_batch, n_class, n_pos).astype(_compute_dtype(x.dtype), copy=False)
            gx = x3 - x3.max(axis=1, keepdims=True)
            xp.exp(gx, out=gx)
            gx /= gx.sum(axis=1, keepdims=True)
        flat = gx.reshape(-1)
        flat[self.index] -= 1
        if self.reduce == "no":
            gy = gy.reshape(n_batch, 1, n_pos)
        gx *= self.scale * gy.astype(gx.dtype, copy=False)
        return gx.reshape(x.shape).astype(x.dtype, copy=False),


def _check_class_weight(class_weight: Any) -> None:
    if class_weight is None:
        return
    if isinstance(class_weight, Variable) or not hasattr(class_weight, "__array__"):
        raise TypeError(
            f"{_FNAME}: class_weight must be a numpy.ndarray or cupy.ndarray, "
            f"got {type(class_weight).__name__}"
        )
    if class_weight.ndim != 1 or class_weight.dtype.kind != "f":
        raise ValueError(
            f"{_FNAME}: class_weight must be a 1-D float array of shape (C,), got shape "
            f"{class_weight.shape} and dtype {class_weight.dtype}"
        )


def _soft_target_loss(x: Variable | Any, t: Any, class_weight: Any, reduce: str,
                      soft_target_loss: str) -> Variable:
    """Cross entropy (or KL divergence) against probability targets ``t`` of ``x``'s shape."""
    if x.dtype.kind != "f" or x.ndim < 2:
        raise type_check.InvalidType(
            f"{_FNAME}: x must be a float array of ndim >= 2, got {x.dtype} of shape {x.shape}"
        )
    if t.shape != x.shape:
        raise type_check.InvalidType(
            f"{_FNAME}: float (soft) targets t must have x's shape {tuple(x.shape)}, "
            f"got {tuple(t.shape)}"
        )
    xp = backend.get_array_module(t)
    t = t.astype(x.dtype, copy=False)
    log_y = log_softmax(x, axis=1)
    if class_weight is not None:
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        log_y = log_y * xp.asarray(class_weight, dtype=x.dtype).reshape(shape)
    loss = -_sum(log_y * t, axis=1)
    if soft_target_loss == "kl-divergence":
        t_log_t = xp.where(t > 0, t * xp.log(xp.where(t > 0, t, 1)), 0).sum(axis=1)
        loss = loss + t_log_t.astype(x.dtype, copy=False)
    return mean(loss) if reduce == "mean" else loss


def softmax_cross_entropy(
    x: Variable | Any,
    t: Variable | Any,
    normalize: bool = True,
    cache_score: bool = True,
    class_weight: Any = None,
    ignore_label: int = -1,
    reduce: str = "mean",
    enable_double_backprop: bool = False,
    soft_target_loss: str = "cross-entropy",
) -> Variable:
    """Cross entropy loss of the softmax of scores ``x`` against labels ``t``.

    For integer labels each element's loss is ``-class_weight[t] * log(softmax(x, axis=1)[t])``,
    computed from ``x`` with the log-sum-exp trick. For float ``t`` of ``x``'s shape (soft
    targets) it is ``-sum_c class_weight[c] * t_c * log_softmax(x)_c``, plus ``sum_c t_c log t_c``
    for ``soft_target_loss='kl-divergence'``.

    Args:
        x: Unnormalized log probabilities (scores) of shape ``(B, C)`` or ``(B, C, d1, ...)``
            (the loss is then computed at each position), float16/32/64.
        t: Labels of shape ``(B,)`` or ``(B, d1, ...)``, int32/int64, in ``[0, C)`` or equal
            to ``ignore_label``; or float soft targets of ``x``'s shape. ``t`` gets no gradient.
        normalize: For ``reduce='mean'``, divide the summed loss by the number of labels not
            ignored (``True``) or by the batch size ``B`` (``False``).
        cache_score: Keep the softmax from forward for backward (faster, more memory).
        class_weight: Array ``(C,)`` of float weights, one per class, multiplied into each
            element's loss (a plain array, not a Variable).
        ignore_label: Elements whose label equals this value contribute no loss and no
            gradient.
        reduce: ``'mean'`` for a 0-d mean loss, ``'no'`` for the loss of each element with
            ``t``'s shape (0 where ignored). Soft targets average over all ``B * d1 * ...``
            positions for ``'mean'``.
        enable_double_backprop: Kusari's loss is always twice differentiable; as in Chainer,
            ``True`` turns ``cache_score`` off.
        soft_target_loss: ``'cross-entropy'`` or ``'kl-divergence'`` for soft targets.

    Returns:
        A Variable of ``x``'s dtype: 0-d for ``reduce='mean'``, else of ``t``'s shape
        (integer labels) or ``(B, d1, ...)`` (soft targets).

    Raises:
        ValueError: ``reduce`` or ``soft_target_loss`` has an unknown value, a label is out
            of range, or ``class_weight`` is not 1-D float.
        TypeError: ``class_weight`` is not an array.
        InvalidType: ``x`` is not float, ``t`` is not a signed integer or float array, or the
            shapes do not match.
    """
    if reduce not in ("mean", "no"):
        raise ValueError(f"{_FNAME}: reduce must be 'mean' or 'no', got {reduce!r}")
    if soft_target_loss not in ("cross-entropy", "kl-divergence"):
        raise ValueError(
            f"{_FNAME}: soft_target_loss must be 'cross-entropy' or 'kl-divergence', "
            f"got {soft_target_loss!r}"
        )
    _check_class_weight(class_weight)
    t = as_array(t)
    if t.dtype.kind == "f":
        return _soft_target_loss(x, t, class_weight, reduce, soft_target_loss)
    node = SoftmaxCrossEntropy(normalize, cache_score and not enable_double_backprop,
                               class_weight, ignore_label, reduce)
    return node.apply((x, t))[0]
