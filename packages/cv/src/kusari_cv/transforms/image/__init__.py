"""Image transforms on CHW arrays (ChainerCV's ``chainercv.transforms.image``)."""

from kusari_cv.transforms.image.center_crop import center_crop
from kusari_cv.transforms.image.flip import flip
from kusari_cv.transforms.image.pca_lighting import pca_lighting
from kusari_cv.transforms.image.random_crop import random_crop
from kusari_cv.transforms.image.random_expand import random_expand
from kusari_cv.transforms.image.random_flip import random_flip
from kusari_cv.transforms.image.random_rotate import random_rotate
from kusari_cv.transforms.image.random_sized_crop import random_sized_crop
from kusari_cv.transforms.image.resize import resize
from kusari_cv.transforms.image.resize_contain import resize_contain
from kusari_cv.transforms.image.rotate import rotate
from kusari_cv.transforms.image.scale import scale
from kusari_cv.transforms.image.ten_crop import ten_crop

__all__ = [
    "center_crop",
    "flip",
    "pca_lighting",
    "random_crop",
    "random_expand",
    "random_flip",
    "random_rotate",
    "random_sized_crop",
    "resize",
    "resize_contain",
    "rotate",
    "scale",
    "ten_crop",
]
