"""Data transforms for images, bounding boxes and points (ChainerCV's ``chainercv.transforms``).

Images are CHW arrays (float32, RGB, values in ``[0, 255]``), boxes ``(R, 4)`` arrays of
``(y_min, x_min, y_max, x_max)`` and points ``(R, K, 2)`` arrays of ``(y, x)``, as in
``docs/cv-conventions.md``. Random transforms draw from NumPy's global RNG, so
``numpy.random.seed`` makes them repeatable.
"""

from kusari_cv.transforms.bbox import (
    crop_bbox,
    flip_bbox,
    resize_bbox,
    rotate_bbox,
    translate_bbox,
)
from kusari_cv.transforms.image import (
    center_crop,
    flip,
    pca_lighting,
    random_crop,
    random_expand,
    random_flip,
    random_rotate,
    random_sized_crop,
    resize,
    resize_contain,
    rotate,
    scale,
    ten_crop,
)
from kusari_cv.transforms.point import flip_point, resize_point, translate_point

__all__ = [
    "center_crop",
    "crop_bbox",
    "flip",
    "flip_bbox",
    "flip_point",
    "pca_lighting",
    "random_crop",
    "random_expand",
    "random_flip",
    "random_rotate",
    "random_sized_crop",
    "resize",
    "resize_bbox",
    "resize_contain",
    "resize_point",
    "rotate",
    "rotate_bbox",
    "scale",
    "ten_crop",
    "translate_bbox",
    "translate_point",
]
