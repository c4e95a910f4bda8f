"""The anchors of one feature-map cell for the Region Proposal Network."""

from __future__ import annotations

from collections.abc import Sequence

import numpy


def generate_anchor_base(
    base_size: float = 16,
    ratios: Sequence[float] = (0.5, 1, 2),
    anchor_scales: Sequence[float] = (8, 16, 32),
) -> numpy.ndarray:
    """Enumerate the anchors centered on the reference window ``(0, 0, base_size, base_size)``.

    For every ratio ``r`` (height / width) and scale ``s``, the anchor has height
    ``base_size * s * sqrt(r)`` and width ``base_size * s * sqrt(1 / r)`` (its area is
    ``(base_size * s) ** 2``) and is centered at ``(base_size / 2, base_size / 2)``. Anchors are
    ordered ratio-major: index ``i * len(anchor_scales) + j`` has ``ratios[i]`` and
    ``anchor_scales[j]``.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015, Section 3.1.1.

    Args:
        base_size: Side of the reference window in input pixels (the feature stride).
        ratios: Height-to-width ratios of the anchors.
        anchor_scales: Side lengths of the anchors relative to ``base_size``.

    Returns:
        numpy.ndarray: Anchors ``(len(ratios) * len(anchor_scales), 4)`` float32,
        ``(y_min, x_min, y_max, x_max)``.

    Raises:
        ValueError: ``ratios`` or ``anchor_scales`` is empty or has a non-positive value.
    """
    ratios = numpy.asarray(ratios, dtype=numpy.float64)
    anchor_scales = numpy.asarray(anchor_scales, dtype=numpy.float64)
    for name, value in (("ratios", ratios), ("anchor_scales", anchor_scales)):
        if value.ndim != 1 or value.size == 0 or not (value > 0).all():
            raise ValueError(
                f"generate_anchor_base: expected {name} to be a non-empty sequence of positive "
                f"numbers, got {value.tolist()}"
            )
    center = base_size / 2.0
    side = base_size * anchor_scales[None, :]
    half_h = (side * numpy.sqrt(ratios)[:, None] / 2.0).ravel()
    half_w = (side * numpy.sqrt(1.0 / ratios)[:, None] / 2.0).ravel()
    anchor_base = numpy.stack(
        (center - half_h, center - half_w, center + half_h, center + half_w), axis=1
    )
    return anchor_base.astype(numpy.float32)
