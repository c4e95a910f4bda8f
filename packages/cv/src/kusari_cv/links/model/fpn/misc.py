"""Helpers shared by the parts of Faster R-CNN with FPN (ChainerCV's ``fpn/misc.py``)."""

from __future__ import annotations

import math
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari_cv.transforms import resize

#: Upper bound of the predicted log-scale of a box size, ``log(1000 / 16)``, so that
#: ``exp`` cannot overflow (Detectron's ``BBOX_XFORM_CLIP``).
exp_clip = math.log(1000 / 16)


def smooth_l1(x: kusari.Variable | Any, t: Any, beta: float) -> kusari.Variable:
    """Elementwise smooth L1 loss, normalized so that its slope far from zero is 1.

    ``0.5 * d**2 / beta`` where ``|d| < beta`` and ``|d| - 0.5 * beta`` elsewhere, with
    ``d = x - t`` (Girshick, "Fast R-CNN", ICCV 2015, eq. 3, with a transition at ``beta``).

    Args:
        x: Predictions of any shape, float32.
        t: Targets of the same shape.
        beta: Where the loss turns from quadratic to linear; must be positive.

    Returns:
        The loss of each element, same shape as ``x``.
    """
    return F.huber_loss(x, t, beta, reduce="no") / beta


def argsort(x: Any) -> Any:
    """Indices that sort a 1-D array in ascending order, computed on the CPU (stable sort).

    Args:
        x: A 1-D NumPy or CuPy array.

    Returns:
        int64 indices on the same device as ``x``.
    """
    order = numpy.argsort(backend.CpuDevice().send(x), kind="stable")
    return backend.get_array_module(x).asarray(order)


def choice(x: Any, size: int) -> Any:
    """Draw ``size`` distinct elements of a 1-D array with ``numpy.random`` (on the CPU).

    Args:
        x: A 1-D NumPy or CuPy array.
        size: How many elements to draw (at most ``len(x)``).

    Returns:
        The drawn elements on the same device as ``x``.
    """
    drawn = numpy.random.choice(backend.CpuDevice().send(x), size, replace=False)
    return backend.get_array_module(x).asarray(drawn)


def scale_img(img: Any, min_size: int, max_size: int) -> tuple[numpy.ndarray, float]:
    """Resize an image so its shorter side is ``min_size`` and its longer at most ``max_size``.

    The scale is ``min_size / min(H, W)``, lowered to ``max_size / max(H, W)`` when the longer
    side would exceed ``max_size``; the new size is ``(int(H * scale), int(W * scale))`` and the
    image is resized with :func:`kusari_cv.transforms.resize` (bilinear).

    Args:
        img: An image ``(C, H, W)``.
        min_size: Target length of the shorter side.
        max_size: Upper bound of the longer side.

    Returns:
        ``(img, scale)``: the resized float32 image ``(C, H', W')`` and the scale.
    """
    _, H, W = img.shape
    scale = min_size / min(H, W)
    if scale * max(H, W) > max_size:
        scale = max_size / max(H, W)
    size = (int(H * scale), int(W * scale))
    return resize(numpy.asarray(img, dtype=numpy.float32), size), scale
