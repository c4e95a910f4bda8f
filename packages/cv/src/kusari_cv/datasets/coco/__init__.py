"""MS COCO datasets."""

from kusari_cv.datasets.coco.coco_bbox_dataset import COCOBboxDataset
from kusari_cv.datasets.coco.coco_utils import coco_bbox_label_names

__all__ = ["COCOBboxDataset", "coco_bbox_label_names"]
