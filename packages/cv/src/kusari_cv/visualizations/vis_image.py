"""Show an image on a matplotlib axes."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari.backends.cuda import to_cpu
from kusari_cv.visualizations._matplotlib import _import_pyplot


def vis_image(img: Any | None, ax: Any | None = None) -> Any:
    """Draw an image on a matplotlib axes.

    Args:
        img (numpy.ndarray or cupy.ndarray or None): Image of shape ``(3, H, W)``, RGB, values in
            ``[0, 255]`` (any dtype; it is cast to uint8 for display). If ``None``, no image
            is drawn.
        ax (matplotlib.axes.Axes or None): Axes to draw on. If ``None``, a new figure with one
            axes is created.

    Returns:
        matplotlib.axes.Axes: The axes with the image, for further drawing.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If ``img`` does not have shape ``(3, H, W)``.
    """
    plt = _import_pyplot("vis_image")
    if img is not None:
        img = np.asarray(to_cpu(img))
        if img.ndim != 3 or img.shape[0] != 3:
            raise ValueError(
                f"vis_image: img must have shape (3, H, W) (CHW, RGB), got {img.shape}"
            )
    if ax is None:
        ax = plt.figure().add_subplot(1, 1, 1)
    if img is not None:
        ax.imshow(img.transpose(1, 2, 0).astype(np.uint8))
    return ax
