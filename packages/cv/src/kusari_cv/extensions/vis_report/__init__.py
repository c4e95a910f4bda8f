"""Extensions that draw a model's outputs during training, after ``chainercv.extensions``."""

from kusari_cv.extensions.vis_report.detection_vis_report import DetectionVisReport

__all__ = ["DetectionVisReport"]
