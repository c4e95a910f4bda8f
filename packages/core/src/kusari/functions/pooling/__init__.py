"""Pooling functions."""

from kusari.functions.pooling.roi_average_align_2d import roi_average_align_2d
from kusari.functions.pooling.roi_max_pooling_2d import roi_max_pooling_2d
from kusari.functions.pooling.roi_pooling_2d import roi_pooling_2d
from kusari.functions.pooling.unpooling_2d import unpooling_2d

__all__ = ["roi_average_align_2d", "roi_max_pooling_2d", "roi_pooling_2d", "unpooling_2d"]
