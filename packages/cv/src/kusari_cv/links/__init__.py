"""Links (models) for computer vision, after ``chainercv.links``."""

from kusari_cv.links.model.ssd import SSD300, SSD512
from kusari_cv.links.model.yolo import YOLOv2, YOLOv2Tiny, YOLOv3

__all__ = ["SSD300", "SSD512", "YOLOv2", "YOLOv2Tiny", "YOLOv3"]
