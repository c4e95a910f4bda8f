"""Helpers for tests: random boxes and checks of data and links."""

from kusari_cv.utils.testing.assertions import (
    assert_is_bbox,
    assert_is_bbox_dataset,
    assert_is_detection_link,
    assert_is_image,
    assert_is_label_dataset,
    assert_is_point,
    assert_is_point_dataset,
    assert_is_semantic_segmentation_dataset,
)
from kusari_cv.utils.testing.generate_random_bbox import generate_random_bbox

__all__ = [
    "assert_is_bbox",
    "assert_is_bbox_dataset",
    "assert_is_detection_link",
    "assert_is_image",
    "assert_is_label_dataset",
    "assert_is_point",
    "assert_is_point_dataset",
    "assert_is_semantic_segmentation_dataset",
    "generate_random_bbox",
]
