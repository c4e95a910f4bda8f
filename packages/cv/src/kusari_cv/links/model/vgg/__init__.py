"""VGG networks, after ``chainercv.links.model.vgg``."""

from kusari_cv.links.model.vgg.vgg16 import VGG16

__all__ = ["VGG16"]
