"""Array functions."""

from kusari.functions.array.depth2space import depth2space
from kusari.functions.array.resize_images import resize_images
from kusari.functions.array.space2depth import space2depth

__all__ = ["depth2space", "resize_images", "space2depth"]
