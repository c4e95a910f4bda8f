"""Point transforms (ChainerCV's ``chainercv.transforms.point``)."""

from kusari_cv.transforms.point.flip_point import flip_point
from kusari_cv.transforms.point.resize_point import resize_point
from kusari_cv.transforms.point.translate_point import translate_point

__all__ = ["flip_point", "resize_point", "translate_point"]
