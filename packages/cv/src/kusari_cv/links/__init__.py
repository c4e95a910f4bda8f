"""Links (models) for computer vision, after ``chainercv.links``."""

from kusari_cv.links.connection import Conv2DActiv, Conv2DBNActiv
from kusari_cv.links.model.faster_rcnn import FasterRCNNVGG16
from kusari_cv.links.model.fpn import FasterRCNNFPNResNet50, FasterRCNNFPNResNet101
from kusari_cv.links.model.mtcnn import MTCNN
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain
from kusari_cv.links.model.resnet import ResNet50, ResNet101, ResNet152
from kusari_cv.links.model.ssd import SSD300, SSD512
from kusari_cv.links.model.vgg import VGG16
from kusari_cv.links.model.yolo import YOLOv2, YOLOv2Tiny, YOLOv3

__all__ = [
    "Conv2DActiv",
    "Conv2DBNActiv",
    "FasterRCNNFPNResNet50",
    "FasterRCNNFPNResNet101",
    "FasterRCNNVGG16",
    "MTCNN",
    "PickableSequentialChain",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "SSD300",
    "SSD512",
    "VGG16",
    "YOLOv2",
    "YOLOv2Tiny",
    "YOLOv3",
]
