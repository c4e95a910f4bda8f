"""Check that an array is an image in Kusari-CV's format."""

from __future__ import annotations

from typing import Any

import numpy


def assert_is_image(img: Any, color: bool = True, check_range: bool = True) -> None:
    """Check that ``img`` is a CHW image.

    Args:
        img: The value to check; expected a :class:`numpy.ndarray` of shape ``(3, H, W)``
            (``color=True``) or ``(1, H, W)`` (``color=False``).
        color (bool): Whether three channels are expected (else one).
        check_range (bool): Also check that values lie in ``[0, 255]``.

    Raises:
        AssertionError: ``img`` does not meet the conditions (these are test helpers).
    """
    assert isinstance(img, numpy.ndarray), f"img must be a numpy.ndarray, got {type(img)}"
    assert img.ndim == 3, f"img must be of shape (C, H, W), got {img.shape}"
    n_channel = 3 if color else 1
    assert img.shape[0] == n_channel, (
        f"img must have {n_channel} channel(s) (color={color}), got {img.shape[0]}"
    )
    if check_range:
        assert img.min() >= 0 and img.max() <= 255, (
            f"img values must lie in [0, 255], got [{img.min()}, {img.max()}]"
        )
