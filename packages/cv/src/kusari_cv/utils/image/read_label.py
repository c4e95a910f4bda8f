"""Read a label image (e.g. a palette PNG of class ids) into an HW array."""

from __future__ import annotations

from typing import Any

import numpy
from PIL import Image


def read_label(path: Any, dtype: Any = numpy.int32) -> numpy.ndarray:
    """Read a single-channel label image without converting its values.

    Palette (``'P'``) images give their palette indices, as used by PASCAL VOC segmentation
    labels.

    Args:
        path (str or file object): The file to read.
        dtype: The dtype of the returned array (default int32).

    Returns:
        numpy.ndarray: The labels, shape ``(H, W)``.

    Raises:
        ValueError: The image has more than one channel.
    """
    with Image.open(path) as image:
        label = numpy.asarray(image)
    if label.ndim != 2:
        raise ValueError(
            f"read_label: expected a single-channel image, got one of shape {label.shape} "
            f"from {path!r}"
        )
    return label.astype(dtype)
