"""Read an image file into a CHW array."""

from __future__ import annotations

from typing import Any

import numpy
from PIL import Image

_ALPHA_OPTIONS = (None, "ignore", "blend_with_white", "blend_with_black")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _drop_alpha(rgba: numpy.ndarray, alpha: str, path: Any) -> numpy.ndarray:
    if alpha is None:
        raise ValueError(
            f"read_image: {path!r} has an alpha channel but alpha=None; pass alpha='ignore', "
            "'blend_with_white' or 'blend_with_black' to say how to turn it into RGB"
        )
    color = rgba[:, :, :3].astype(numpy.float32)
    if alpha == "ignore":
        return color
    opacity = rgba[:, :, 3:].astype(numpy.float32) / 255
    if alpha == "blend_with_white":
        return color * opacity + 255 * (1 - opacity)
    return color * opacity


def read_image(
    path: Any, dtype: Any = numpy.float32, color: bool = True, alpha: str | None = None
) -> numpy.ndarray:
    """Read an image file with Pillow.

    Args:
        path (str or file object): The file to read.
        dtype: The dtype of the returned array (default float32; values stay in ``[0, 255]``).
        color (bool): ``True`` reads three RGB channels (grayscale files are converted),
            ``False`` reads one grayscale channel.
        alpha (str, optional): How an image with transparency becomes RGB when ``color`` is
            ``True``: ``'ignore'`` drops the alpha channel, ``'blend_with_white'`` and
            ``'blend_with_black'`` composite it over a white or black background. ``None``
            rejects such images.

    Returns:
        numpy.ndarray: The image, shape ``(3, H, W)`` when ``color`` is ``True`` and
        ``(1, H, W)`` otherwise, in the requested dtype.

    Raises:
        ValueError: ``alpha`` is not one of the options, or the image has an alpha channel and
            ``alpha`` is ``None``.
    """
    if alpha not in _ALPHA_OPTIONS:
        raise ValueError(f"read_image: expected alpha in {_ALPHA_OPTIONS}, got {alpha!r}")
    with Image.open(path) as image:
        if not color:
            img = numpy.asarray(image.convert("L"))[:, :, None]
        elif _has_alpha(image):
            img = _drop_alpha(numpy.asarray(image.convert("RGBA")), alpha, path)
        else:
            img = numpy.asarray(image.convert("RGB"))
    return img.transpose(2, 0, 1).astype(dtype)
