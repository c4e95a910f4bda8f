"""Resize an image so that one edge has a given length."""

from __future__ import annotations

from typing import Any

import PIL.Image

from kusari_cv.transforms._check import _check_image
from kusari_cv.transforms.image.resize import resize


def scale(
    img: Any, size: int, fit_short: bool = True, interpolation: int = PIL.Image.BILINEAR
) -> Any:
    """Resize an image keeping its aspect ratio so that its shorter (or longer) edge is ``size``.

    The other edge becomes ``int(size * other / edge)``. If the chosen edge already has
    length ``size`` the image is returned as is.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        size (int): Length of the shorter edge (or the longer one if ``fit_short=False``).
        fit_short (bool): Match the shorter edge (``True``) or the longer edge.
        interpolation (int): Pillow filter (see :func:`resize`).

    Returns:
        numpy.ndarray or cupy.ndarray: The scaled image in CHW layout.

    Raises:
        ValueError: If ``img`` is not CHW or ``size`` is not a positive integer.
    """
    _, height, width = _check_image("scale", img)
    if isinstance(size, bool) or int(size) != size or size <= 0:
        raise ValueError(f"scale: expected size as a positive integer, got {size!r}")
    size = int(size)
    if (height <= width) == fit_short:
        edge, other = height, width
        edge_first = True
    else:
        edge, other = width, height
        edge_first = False
    if edge == size:
        return img
    other_size = int(size * other / edge)
    out_size = (size, other_size) if edge_first else (other_size, size)
    return resize(img, out_size, interpolation=interpolation)
