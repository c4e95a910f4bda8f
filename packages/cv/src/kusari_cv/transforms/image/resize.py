"""Resize an image with Pillow."""

from __future__ import annotations

from typing import Any

import numpy as np
import PIL.Image

from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari_cv.transforms._check import _check_image, _check_size

_INTERPOLATIONS = {
    PIL.Image.NEAREST: "NEAREST",
    PIL.Image.BILINEAR: "BILINEAR",
    PIL.Image.BICUBIC: "BICUBIC",
    PIL.Image.LANCZOS: "LANCZOS",
}


def _check_interpolation(name: str, interpolation: Any) -> None:
    """Check that ``interpolation`` is one of the Pillow filters the transforms accept."""
    if interpolation not in _INTERPOLATIONS:
        names = ", ".join(f"PIL.Image.{n}" for n in _INTERPOLATIONS.values())
        raise ValueError(f"{name}: expected interpolation in ({names}), got {interpolation!r}")


def resize(img: Any, size: tuple[int, int], interpolation: int = PIL.Image.BILINEAR) -> Any:
    """Resize an image to ``size``.

    Each channel is resized as a 32-bit float Pillow image (mode ``"F"``), so values are not
    clipped or rounded; the result is cast back to ``img.dtype``. Pillow's filters are
    antialiasing when shrinking (their support grows with the scale), as ChainerCV's Pillow
    fallback; OpenCV, which ChainerCV prefers when installed, is not used. CuPy arrays are
    resized on the host and returned on their device.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``, usually float32.
        size (tuple of two ints): Output size ``(H_out, W_out)``.
        interpolation (int): ``PIL.Image.NEAREST``, ``PIL.Image.BILINEAR`` (default),
            ``PIL.Image.BICUBIC`` or ``PIL.Image.LANCZOS``.

    Returns:
        numpy.ndarray or cupy.ndarray: The resized image of shape ``(C, H_out, W_out)``.

    Raises:
        ValueError: If ``img`` is not CHW, ``size`` is not two positive integers or
            ``interpolation`` is unknown.
    """
    n_channel, _, _ = _check_image("resize", img)
    out_h, out_w = _check_size("resize", size)
    if out_h == 0 or out_w == 0:
        raise ValueError(f"resize: expected a positive size, got {size!r}")
    _check_interpolation("resize", interpolation)
    xp = backend.get_array_module(img)
    host = np.asarray(to_cpu(img), dtype=np.float32)
    out = np.empty((n_channel, out_h, out_w), dtype=np.float32)
    for channel, out_channel in zip(host, out, strict=True):
        resized = PIL.Image.fromarray(channel).resize((out_w, out_h), resample=interpolation)
        out_channel[:] = np.asarray(resized)
    out = out.astype(img.dtype, copy=False)
    return out if xp is np else xp.asarray(out)
