"""Trainer extensions for computer vision models, after ``chainercv.extensions``."""

from kusari_cv.extensions.evaluator import DetectionCOCOEvaluator, DetectionVOCEvaluator
from kusari_cv.extensions.vis_report import DetectionVisReport

__all__ = ["DetectionCOCOEvaluator", "DetectionVOCEvaluator", "DetectionVisReport"]
