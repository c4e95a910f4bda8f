"""PASCAL VOC datasets."""

from kusari_cv.datasets.voc.voc_bbox_dataset import VOCBboxDataset
from kusari_cv.datasets.voc.voc_utils import voc_bbox_label_names

__all__ = ["VOCBboxDataset", "voc_bbox_label_names"]
