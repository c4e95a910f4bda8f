"""Array utilities for computer vision, after ``chainercv.utils``."""

from kusari_cv.utils.bbox import bbox_iou, mask_to_bbox, non_maximum_suppression
from kusari_cv.utils.download import cached_download, download_model, extractall
from kusari_cv.utils.image import read_image, read_label, tile_images, write_image
from kusari_cv.utils.iterator import ProgressHook, apply_to_iterator, unzip
from kusari_cv.utils.link import prepare_pretrained_model
from kusari_cv.utils.testing import (
    assert_is_bbox,
    assert_is_bbox_dataset,
    assert_is_detection_link,
    assert_is_image,
    assert_is_label_dataset,
    assert_is_point,
    assert_is_point_dataset,
    assert_is_semantic_segmentation_dataset,
    generate_random_bbox,
)

__all__ = [
    "ProgressHook",
    "apply_to_iterator",
    "assert_is_bbox",
    "assert_is_bbox_dataset",
    "assert_is_detection_link",
    "assert_is_image",
    "assert_is_label_dataset",
    "assert_is_point",
    "assert_is_point_dataset",
    "assert_is_semantic_segmentation_dataset",
    "bbox_iou",
    "cached_download",
    "download_model",
    "extractall",
    "generate_random_bbox",
    "mask_to_bbox",
    "non_maximum_suppression",
    "prepare_pretrained_model",
    "read_image",
    "read_label",
    "tile_images",
    "unzip",
    "write_image",
]
