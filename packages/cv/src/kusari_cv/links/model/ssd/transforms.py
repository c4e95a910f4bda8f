"""Data augmentation used to train SSD, after ``chainercv.links.model.ssd.transforms``.

Source: Wei Liu, Dragomir Anguelov, Dumitru Erhan, Christian Szegedy, Scott Reed, Cheng-Yang Fu,
Alexander C. Berg. SSD: Single Shot MultiBox Detector. ECCV 2016, section 2.2 ("Data
augmentation") and the photometric distortions of its reference Caffe implementation.

All random numbers come from NumPy's global RNG (``numpy.random``), so ``numpy.random.seed``
makes every function here repeatable.

ChainerCV computes :func:`random_distort` with OpenCV on 8-bit BGR images. Kusari-cv does not
use OpenCV: the same distortions are computed here with integer NumPy (or CuPy) arithmetic on
8-bit values, with OpenCV's 8-bit HSV convention (hue in ``[0, 180)``, i.e. degrees halved;
saturation and value in ``[0, 255]``). Rounding is exact round-half-up where OpenCV uses
fixed-point tables or ``float32`` with ``cvRound``, so a channel can differ from OpenCV's by
one level at rounding ties; the distortions are otherwise the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import PIL.Image

from kusari import backend
from kusari_cv.transforms import resize
from kusari_cv.transforms._check import _check_bbox, _check_image, _check_size
from kusari_cv.utils import bbox_iou

_DEFAULT_CONSTRAINTS = ((0.1, None), (0.3, None), (0.5, None), (0.7, None), (0.9, None), (None, 1))

_INTERPOLATIONS = (PIL.Image.NEAREST, PIL.Image.BILINEAR, PIL.Image.BICUBIC, PIL.Image.LANCZOS)

# 30 hue steps per sextant times 255 saturation levels: HSV -> RGB is exact in these units.
_HSV_DENOM = 30 * 255

# For each hue sextant, which of (v, p, q, t) goes to R, G and B.
_SEXTANT_TABLE = ((0, 3, 1), (2, 0, 1), (1, 0, 3), (1, 2, 0), (3, 1, 0), (0, 1, 2))


def _round_div(xp: Any, num: Any, den: Any) -> Any:
    """Return ``num / den`` rounded half up, in integers (``den > 0``)."""
    return xp.floor_divide(2 * num + den, 2 * den)


def _rgb_to_hsv(rgb: Any) -> Any:
    """Convert 8-bit RGB to 8-bit HSV with OpenCV's conventions.

    Args:
        rgb (numpy.ndarray or cupy.ndarray): Integer array of shape ``(3, H, W)``, RGB in
            ``[0, 255]``.

    Returns:
        numpy.ndarray or cupy.ndarray: ``int64`` array of shape ``(3, H, W)``: hue in
        ``[0, 180)`` (degrees / 2), saturation and value in ``[0, 255]``.
    """
    xp = backend.get_array_module(rgb)
    red, green, blue = rgb.astype(np.int64)
    value = xp.maximum(xp.maximum(red, green), blue)
    diff = value - xp.minimum(xp.minimum(red, green), blue)
    saturation = xp.where(value > 0, _round_div(xp, 255 * diff, xp.maximum(value, 1)), 0)
    is_red = value == red
    is_green = ~is_red & (value == green)
    num = xp.where(is_red, green - blue, xp.where(is_green, blue - red, red - green))
    offset = xp.where(is_red, 0, xp.where(is_green, 60, 120))
    hue = offset + _round_div(xp, 30 * num, xp.maximum(diff, 1))
    hue = xp.where(diff > 0, hue % 180, 0)
    return xp.stack((hue, saturation, value))


def _hsv_to_rgb(hsv: Any) -> Any:
    """Convert 8-bit HSV (OpenCV's conventions) to 8-bit RGB.

    Args:
        hsv (numpy.ndarray or cupy.ndarray): Integer array of shape ``(3, H, W)``: hue in
            ``[0, 180)``, saturation and value in ``[0, 255]``.

    Returns:
        numpy.ndarray or cupy.ndarray: ``int64`` RGB array of shape ``(3, H, W)`` in
        ``[0, 255]``.
    """
    xp = backend.get_array_module(hsv)
    hue, saturation, value = hsv.astype(np.int64)
    sextant = hue // 30
    frac = hue % 30
    candidates = xp.stack(
        (
            value,
            _round_div(xp, value * (_HSV_DENOM - 30 * saturation), _HSV_DENOM),
            _round_div(xp, value * (_HSV_DENOM - saturation * frac), _HSV_DENOM),
            _round_div(xp, value * (_HSV_DENOM - saturation * (30 - frac)), _HSV_DENOM),
        )
    )
    index = xp.asarray(_SEXTANT_TABLE)[sextant]
    return xp.take_along_axis(candidates, xp.moveaxis(index, -1, 0), axis=0)


def _convert(xp: Any, img: Any, alpha: float = 1.0, beta: float = 0.0) -> Any:
    """Return ``alpha * img + beta`` clipped to ``[0, 255]`` and truncated to integers."""
    out = xp.clip(img.astype(np.float64) * alpha + beta, 0, 255)
    return xp.floor(out).astype(np.int64)


def _check_range(name: str, low_name: str, low: float, high_name: str, high: float) -> None:
    """Check that ``low <= high``."""
    if low > high:
        raise ValueError(f"{name}: expected {low_name} <= {high_name}, got {low} > {high}")


def random_distort(
    img: Any,
    brightness_delta: float = 32,
    contrast_low: float = 0.5,
    contrast_high: float = 1.5,
    saturation_low: float = 0.5,
    saturation_high: float = 1.5,
    hue_delta: int = 18,
) -> Any:
    """Distort the colors of an image at random, as in SSD's training.

    The image is first brought to 8 bits (clipped to ``[0, 255]`` and truncated). Then, each
    with probability 1/2 and each result clipped to ``[0, 255]`` and truncated:

    * brightness: add ``beta ~ U(-brightness_delta, brightness_delta)`` to every channel;
    * contrast: multiply every channel by ``alpha ~ U(contrast_low, contrast_high)``;
    * saturation: multiply the HSV saturation by ``alpha ~ U(saturation_low, saturation_high)``;
    * hue: add an integer ``delta`` drawn uniformly from ``[-hue_delta, hue_delta]`` to the
      hue (``[0, 180)``, degrees / 2), modulo 180.

    Brightness comes first; then, with probability 1/2, contrast, saturation, hue, otherwise
    saturation, hue, contrast. The draws from ``numpy.random`` are, in order:
    ``randint(2)`` for brightness (and ``uniform`` for ``beta`` if applied), ``randint(2)`` for
    the order, then for each of the three others in the chosen order ``randint(2)`` and, if
    applied, its parameter (``uniform``, or ``randint(-hue_delta, hue_delta + 1)`` for hue).

    Saturation and hue work in 8-bit HSV with OpenCV's conventions, as ChainerCV's
    ``cv2.cvtColor`` on uint8 images, but computed with integer NumPy arithmetic (no OpenCV):
    see the module docstring for the rounding.

    Args:
        img (numpy.ndarray or cupy.ndarray): RGB image of shape ``(3, H, W)``, values in
            ``[0, 255]``.
        brightness_delta (float): Bound of the brightness offset.
        contrast_low (float): Lower bound of the contrast scale.
        contrast_high (float): Upper bound of the contrast scale.
        saturation_low (float): Lower bound of the saturation scale.
        saturation_high (float): Upper bound of the saturation scale.
        hue_delta (int): Bound of the hue offset, in OpenCV hue units (2 degrees).

    Returns:
        numpy.ndarray or cupy.ndarray: The distorted RGB image of shape ``(3, H, W)``,
        ``float32``, integer values in ``[0, 255]``.

    Raises:
        ValueError: If ``img`` is not of shape ``(3, H, W)``, a bound is negative, a low bound
            exceeds its high bound or ``hue_delta`` is not an integer.
    """
    n_channel, _, _ = _check_image("random_distort", img)
    if n_channel != 3:
        raise ValueError(f"random_distort: expected an RGB img with 3 channels, got {n_channel}")
    if brightness_delta < 0:
        raise ValueError(f"random_distort: expected brightness_delta >= 0, got {brightness_delta}")
    if int(hue_delta) != hue_delta or hue_delta < 0:
        raise ValueError(
            f"random_distort: expected hue_delta as a non-negative integer, got {hue_delta!r}"
        )
    _check_range("random_distort", "contrast_low", contrast_low, "contrast_high", contrast_high)
    _check_range(
        "random_distort", "saturation_low", saturation_low, "saturation_high", saturation_high
    )
    hue_delta = int(hue_delta)
    xp = backend.get_array_module(img)

    def contrast(rgb: Any) -> Any:
        if np.random.randint(2):
            return _convert(xp, rgb, alpha=np.random.uniform(contrast_low, contrast_high))
        return rgb

    def saturation(rgb: Any) -> Any:
        if np.random.randint(2):
            hsv = _rgb_to_hsv(rgb)
            alpha = np.random.uniform(saturation_low, saturation_high)
            hsv[1] = _convert(xp, hsv[1], alpha=alpha)
            return _hsv_to_rgb(hsv)
        return rgb

    def hue(rgb: Any) -> Any:
        if np.random.randint(2):
            hsv = _rgb_to_hsv(rgb)
            hsv[0] = (hsv[0] + np.random.randint(-hue_delta, hue_delta + 1)) % 180
            return _hsv_to_rgb(hsv)
        return rgb

    rgb = _convert(xp, img)
    if np.random.randint(2):
        rgb = _convert(xp, rgb, beta=np.random.uniform(-brightness_delta, brightness_delta))
    steps = (contrast, saturation, hue) if np.random.randint(2) else (saturation, hue, contrast)
    for step in steps:
        rgb = step(rgb)
    return rgb.astype(np.float32)


def _check_constraints(constraints: Any) -> list[tuple[float, float]]:
    """Return the constraints as ``(min_iou, max_iou)`` floats, ``None`` replaced by 0 and 1."""
    out = []
    try:
        pairs = list(constraints)
    except TypeError:
        raise TypeError(
            "random_crop_with_bbox_constraints: expected constraints as an iterable of "
            f"(min_iou, max_iou) pairs, got {type(constraints).__name__}"
        ) from None
    for pair in pairs:
        try:
            min_iou, max_iou = pair
        except (TypeError, ValueError):
            raise ValueError(
                "random_crop_with_bbox_constraints: expected each constraint as "
                f"(min_iou, max_iou), got {pair!r}"
            ) from None
        min_iou = 0.0 if min_iou is None else float(min_iou)
        max_iou = 1.0 if max_iou is None else float(max_iou)
        if min_iou > max_iou:
            raise ValueError(
                "random_crop_with_bbox_constraints: expected min_iou <= max_iou in each "
                f"constraint, got {pair!r}"
            )
        out.append((min_iou, max_iou))
    return out


def random_crop_with_bbox_constraints(
    img: Any,
    bbox: Any,
    min_scale: float = 0.3,
    max_scale: float = 1,
    max_aspect_ratio: float = 2,
    constraints: Any = None,
    max_trial: int = 50,
    return_param: bool = False,
) -> Any:
    """Crop an image at random, with constraints on the IoU of the crop with the boxes.

    SSD's patch sampling. For each constraint ``(min_iou, max_iou)``, up to ``max_trial``
    crops are drawn: a scale ``s ~ U(min_scale, max_scale)``, an aspect ratio
    ``a ~ U(max(1 / max_aspect_ratio, s ** 2), min(max_aspect_ratio, 1 / s ** 2))``, a size
    ``(int(H * s / sqrt(a)), int(W * s * sqrt(a)))`` (at least one pixel) and a uniformly
    random position inside the image. The first crop whose IoU with every box lies in
    ``[min_iou, max_iou]`` is kept for that constraint, as ChainerCV does. One candidate is then
    chosen uniformly among the kept crops and the whole image (constraint ``None``). With no
    boxes, the whole image is returned. Unlike ChainerCV (Python's ``random``, whose
    ``randrange`` fails for a full-size crop), positions are drawn with
    ``numpy.random.randint`` from every valid offset, the crop touching the bottom or right
    border included.

    Crop the boxes with :func:`kusari_cv.transforms.crop_bbox` and the returned slices.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        min_scale (float): Smallest side ratio of the crop to the image.
        max_scale (float): Largest side ratio of the crop to the image.
        max_aspect_ratio (float): Largest aspect ratio (and inverse) of the crop.
        constraints (iterable of tuples, optional): ``(min_iou, max_iou)`` pairs; ``None`` in
            a pair means no bound. Default: ``((0.1, None), (0.3, None), (0.5, None),
            (0.7, None), (0.9, None), (None, 1))``.
        max_trial (int): Number of crops drawn per constraint before it is given up.
        return_param (bool): If ``True``, also return the chosen crop.

    Returns:
        numpy.ndarray or tuple: The cropped image of shape ``(C, H', W')`` (a view of
        ``img``). With ``return_param=True``, a tuple ``(img, param)`` where ``param`` holds
        ``constraint`` (the chosen ``(min_iou, max_iou)`` with ``None`` replaced by 0 and 1, or
        ``None`` for the whole image), ``y_slice`` and ``x_slice`` (slices of ``img``).

    Raises:
        ValueError: If ``img`` is not CHW, ``bbox`` is not ``(R, 4)``, the scales are not
            ``0 < min_scale <= max_scale <= 1``, ``max_aspect_ratio < 1``, ``max_trial`` is
            negative or a constraint is malformed.
        TypeError: If ``constraints`` is not iterable.
    """
    name = "random_crop_with_bbox_constraints"
    _, height, width = _check_image(name, img)
    _check_bbox(name, bbox)
    if not 0 < min_scale <= max_scale <= 1:
        raise ValueError(
            f"{name}: expected 0 < min_scale <= max_scale <= 1, got min_scale={min_scale}, "
            f"max_scale={max_scale}"
        )
    if max_aspect_ratio < 1:
        raise ValueError(f"{name}: expected max_aspect_ratio >= 1, got {max_aspect_ratio}")
    if int(max_trial) != max_trial or max_trial < 0:
        raise ValueError(f"{name}: expected max_trial as a non-negative int, got {max_trial!r}")
    checked = _check_constraints(_DEFAULT_CONSTRAINTS if constraints is None else constraints)
    if len(bbox) == 0:
        checked = []
    xp = backend.get_array_module(bbox)

    params = [{"constraint": None, "y_slice": slice(0, height), "x_slice": slice(0, width)}]
    for min_iou, max_iou in checked:
        for _ in range(int(max_trial)):
            scale = np.random.uniform(min_scale, max_scale)
            aspect_ratio = np.random.uniform(
                max(1 / max_aspect_ratio, scale * scale),
                min(max_aspect_ratio, 1 / (scale * scale)),
            )
            crop_h = min(height, max(1, int(height * scale / math.sqrt(aspect_ratio))))
            crop_w = min(width, max(1, int(width * scale * math.sqrt(aspect_ratio))))
            top = int(np.random.randint(height - crop_h + 1))
            left = int(np.random.randint(width - crop_w + 1))
            crop = xp.asarray([[top, left, top + crop_h, left + crop_w]], dtype=bbox.dtype)
            iou = bbox_iou(bbox, crop)
            if min_iou <= float(iou.min()) and float(iou.max()) <= max_iou:
                params.append(
                    {
                        "constraint": (min_iou, max_iou),
                        "y_slice": slice(top, top + crop_h),
                        "x_slice": slice(left, left + crop_w),
                    }
                )
                break

    param = params[np.random.randint(len(params))]
    out = img[:, param["y_slice"], param["x_slice"]]
    if return_param:
        return out, param
    return out


def resize_with_random_interpolation(
    img: Any, size: tuple[int, int], return_param: bool = False
) -> Any:
    """Resize an image with an interpolation chosen at random.

    Like :func:`kusari_cv.transforms.resize`, with the Pillow filter drawn uniformly (one
    ``numpy.random.randint(4)``) from ``PIL.Image.NEAREST``, ``PIL.Image.BILINEAR``,
    ``PIL.Image.BICUBIC`` and ``PIL.Image.LANCZOS``, as ChainerCV does without OpenCV.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``, usually float32.
        size (tuple of two ints): Output size ``(H_out, W_out)``.
        return_param (bool): If ``True``, also return the chosen interpolation.

    Returns:
        numpy.ndarray or tuple: The resized image of shape ``(C, H_out, W_out)``. With
        ``return_param=True``, a tuple ``(img, param)`` where ``param`` holds
        ``interpolation`` (the Pillow filter used).

    Raises:
        ValueError: If ``img`` is not CHW or ``size`` is not two positive integers.
    """
    _check_image("resize_with_random_interpolation", img)
    _check_size("resize_with_random_interpolation", size)
    interpolation = _INTERPOLATIONS[np.random.randint(len(_INTERPOLATIONS))]
    out = resize(img, size, interpolation=interpolation)
    if return_param:
        return out, {"interpolation": interpolation}
    return out
