"""Bounding-box transforms (ChainerCV's ``chainercv.transforms.bbox``)."""

from kusari_cv.transforms.bbox.crop_bbox import crop_bbox
from kusari_cv.transforms.bbox.flip_bbox import flip_bbox
from kusari_cv.transforms.bbox.resize_bbox import resize_bbox
from kusari_cv.transforms.bbox.rotate_bbox import rotate_bbox
from kusari_cv.transforms.bbox.translate_bbox import translate_bbox

__all__ = ["crop_bbox", "flip_bbox", "resize_bbox", "rotate_bbox", "translate_bbox"]
