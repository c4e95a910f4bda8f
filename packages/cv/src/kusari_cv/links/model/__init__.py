"""Models of ``kusari_cv.links``, after ``chainercv.links.model``."""

from kusari_cv.links.model import faster_rcnn, fpn, mtcnn, resnet, ssd, vgg, yolo
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain

__all__ = ["PickableSequentialChain", "faster_rcnn", "fpn", "mtcnn", "resnet", "ssd", "vgg", "yolo"]
