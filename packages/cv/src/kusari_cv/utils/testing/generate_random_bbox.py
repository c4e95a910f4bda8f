"""Random bounding boxes for tests."""

from __future__ import annotations

import numpy


def generate_random_bbox(
    n: int, img_size: tuple[int, int], min_length: float, max_length: float
) -> numpy.ndarray:
    """Draw boxes whose sides lie in ``[min_length, max_length)`` inside an image.

    Top-left corners are uniform in ``[0, H - max_length) x [0, W - max_length)`` and side
    lengths uniform in ``[min_length, max_length)``, so every box fits in the image. Uses
    ``numpy.random``.

    Args:
        n (int): The number of boxes.
        img_size (tuple of ints): ``(H, W)`` of the image.
        min_length (float): The smallest height and width.
        max_length (float): The largest height and width (at most ``min(H, W)``).

    Returns:
        numpy.ndarray: Boxes of shape ``(n, 4)``, dtype float32,
        ``(y_min, x_min, y_max, x_max)``.

    Raises:
        ValueError: ``min_length > max_length`` or ``max_length`` exceeds the image.
    """
    height, width = img_size
    if not 0 <= min_length <= max_length <= min(height, width):
        raise ValueError(
            f"generate_random_bbox: expected 0 <= min_length <= max_length <= min(H, W), got "
            f"min_length={min_length}, max_length={max_length}, img_size={img_size}"
        )
    y_min = numpy.random.uniform(0, height - max_length, size=n)
    x_min = numpy.random.uniform(0, width - max_length, size=n)
    y_max = y_min + numpy.random.uniform(min_length, max_length, size=n)
    x_max = x_min + numpy.random.uniform(min_length, max_length, size=n)
    return numpy.stack((y_min, x_min, y_max, x_max), axis=1).astype(numpy.float32)
