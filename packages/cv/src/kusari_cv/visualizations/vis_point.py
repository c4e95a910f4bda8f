"""Draw keypoints over an image."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari.backends.cuda import to_cpu
from kusari_cv.visualizations._matplotlib import _import_pyplot
from kusari_cv.visualizations.vis_image import vis_image


def vis_point(
    img: Any | None, point: Any, visible: Any | None = None, ax: Any | None = None
) -> Any:
    """Draw the keypoints of one or more instances inside an image.

    Keypoint ``k`` of an instance with ``K`` keypoints gets the colour at ``k / K`` of
    matplotlib's ``gist_rainbow`` colour map, so the same part has the same colour in every
    instance. Each instance is drawn as one scatter collection of its visible points.

    Args:
        img (numpy.ndarray or None): Image of shape ``(3, H, W)``, RGB, values in ``[0, 255]``.
            If ``None``, only the points are drawn.
        point (numpy.ndarray or list of numpy.ndarray): Keypoints of shape ``(R, K, 2)`` (or a
            list of ``R`` arrays of shape ``(K, 2)``), each ``(y, x)``.
        visible (numpy.ndarray or list of numpy.ndarray or None): Booleans of shape ``(R, K)``
            (or a list of ``(K,)`` arrays); only visible points are drawn. If ``None``, all
            points are drawn.
        ax (matplotlib.axes.Axes or None): Axes to draw on. If ``None``, a new one is created.

    Returns:
        matplotlib.axes.Axes: The axes with the drawing. When ``img`` is given, the view is
        limited to the image.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If an instance's points are not ``(K, 2)`` or ``visible`` does not match.
    """
    plt = _import_pyplot("vis_point")
    point = [np.asarray(to_cpu(pnt)) for pnt in point]
    if visible is None:
        visible = [np.ones(len(pnt), dtype=bool) for pnt in point]
    else:
        visible = [np.asarray(to_cpu(vsb), dtype=bool) for vsb in visible]
    if len(visible) != len(point):
        raise ValueError(f"vis_point: len(visible) ({len(visible)}) != len(point) ({len(point)})")
    for i, (pnt, vsb) in enumerate(zip(point, visible, strict=True)):
        if pnt.ndim != 2 or pnt.shape[1] != 2:
            raise ValueError(
                f"vis_point: point[{i}] must have shape (K, 2) as (y, x), got {pnt.shape}"
            )
        if vsb.shape != pnt.shape[:1]:
            raise ValueError(
                f"vis_point: visible[{i}] must have shape {pnt.shape[:1]}, got {vsb.shape}"
            )

    ax = vis_image(img, ax=ax)
    cmap = plt.get_cmap("gist_rainbow")
    for pnt, vsb in zip(point, visible, strict=True):
        colors = cmap(np.arange(len(pnt)) / max(len(pnt), 1))
        ax.scatter(pnt[vsb, 1], pnt[vsb, 0], c=colors[vsb], s=100)
    if img is not None:
        _, height, width = np.shape(img)
        ax.set_xlim(left=0, right=width)
        ax.set_ylim(bottom=height - 1, top=0)
    return ax
