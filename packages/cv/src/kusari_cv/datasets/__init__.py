"""Datasets of images with boxes or labels (ChainerCV's ``chainercv.datasets``).

Every dataset reads a local copy; ``data_dir='auto'`` means a folder under the dataset root
(``$KUSARI_DATASET_ROOT``, default ``~/.kusari/dataset``), and a missing folder raises an error
that says what to place where.
"""

from kusari_cv.datasets.coco import COCOBboxDataset, coco_bbox_label_names
from kusari_cv.datasets.directory_parsing_label_dataset import (
    DirectoryParsingLabelDataset,
    directory_parsing_label_names,
)
from kusari_cv.datasets.voc import VOCBboxDataset, voc_bbox_label_names

__all__ = [
    "COCOBboxDataset",
    "DirectoryParsingLabelDataset",
    "VOCBboxDataset",
    "coco_bbox_label_names",
    "directory_parsing_label_names",
    "voc_bbox_label_names",
]
