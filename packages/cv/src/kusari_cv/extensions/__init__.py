"""Trainer extensions for computer vision models, after ``chainercv.extensions``."""

from kusari_cv.extensions.evaluator import DetectionCOCOEvaluator, DetectionVOCEvaluator

__all__ = ["DetectionCOCOEvaluator", "DetectionVOCEvaluator"]
