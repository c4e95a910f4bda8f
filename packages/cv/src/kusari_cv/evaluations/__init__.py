"""Evaluation metrics for detection and semantic segmentation, after ChainerCV."""

from kusari_cv.evaluations.eval_detection_coco import eval_detection_coco
from kusari_cv.evaluations.eval_detection_voc import (
    calc_detection_voc_ap,
    calc_detection_voc_prec_rec,
    eval_detection_voc,
)
from kusari_cv.evaluations.eval_semantic_segmentation import (
    calc_semantic_segmentation_confusion,
    calc_semantic_segmentation_iou,
    eval_semantic_segmentation,
)

__all__ = [
    "calc_detection_voc_ap",
    "calc_detection_voc_prec_rec",
    "calc_semantic_segmentation_confusion",
    "calc_semantic_segmentation_iou",
    "eval_detection_coco",
    "eval_detection_voc",
    "eval_semantic_segmentation",
]
