"""Evaluator extensions that score a model's predictions on a validation set."""

from kusari_cv.extensions.evaluator.detection_coco_evaluator import DetectionCOCOEvaluator
from kusari_cv.extensions.evaluator.detection_voc_evaluator import DetectionVOCEvaluator

__all__ = ["DetectionCOCOEvaluator", "DetectionVOCEvaluator"]
