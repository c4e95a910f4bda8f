"""Models of ``kusari_cv.links``, after ``chainercv.links.model``."""

from kusari_cv.links.model import ssd, yolo

__all__ = ["ssd", "yolo"]
