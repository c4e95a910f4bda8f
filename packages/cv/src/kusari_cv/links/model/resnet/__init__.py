"""ResNet, after ``chainercv.links.model.resnet``."""

from kusari_cv.links.model.resnet.resblock import Bottleneck, ResBlock
from kusari_cv.links.model.resnet.resnet import ResNet, ResNet50, ResNet101, ResNet152

__all__ = ["Bottleneck", "ResBlock", "ResNet", "ResNet101", "ResNet152", "ResNet50"]
