"""Bounding-box utilities: IoU, non-maximum suppression and boxes around masks."""

from kusari_cv.utils.bbox.bbox_iou import bbox_iou
from kusari_cv.utils.bbox.mask_to_bbox import mask_to_bbox
from kusari_cv.utils.bbox.non_maximum_suppression import non_maximum_suppression

__all__ = ["bbox_iou", "mask_to_bbox", "non_maximum_suppression"]
