"""Links (models) for computer vision, after ``chainercv.links``."""

from kusari_cv.links.model.ssd import SSD300, SSD512

__all__ = ["SSD300", "SSD512"]
