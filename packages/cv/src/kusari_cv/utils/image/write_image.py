"""Write a CHW array to an image file."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy
from PIL import Image


def write_image(img: numpy.ndarray, file: Any, format: str | None = None) -> None:
    """Save an image with Pillow.

    Values are cast to uint8 (they should lie in ``[0, 255]``). A path is written atomically:
    to a temporary file in the same directory, then renamed over ``file``.

    Args:
        img (numpy.ndarray): The image, shape ``(3, H, W)`` (RGB) or ``(1, H, W)`` (grayscale).
        file (str, os.PathLike or file object): Where to write.
        format (str, optional): Pillow's format name (``'PNG'``, ``'JPEG'``...); by default it
            is taken from the file name's extension.

    Raises:
        ValueError: ``img`` is not ``(3, H, W)`` or ``(1, H, W)``.
    """
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError(
            f"write_image: expected img of shape (3, H, W) or (1, H, W), got {img.shape}"
        )
    hwc = numpy.asarray(img).transpose(1, 2, 0).astype(numpy.uint8)
    image = Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)
    if not isinstance(file, (str, os.PathLike)):
        image.save(file, format=format)
        return
    path = os.fspath(file)
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=os.path.splitext(name)[1], dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(
                f,
                format=format
                or Image.registered_extensions().get(os.path.splitext(name)[1].lower()),
            )
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
