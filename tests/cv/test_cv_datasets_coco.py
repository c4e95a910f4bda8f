import importlib
import json
import os

import numpy
import pytest
from PIL import Image

from kusari_cv.datasets import COCOBboxDataset, coco_bbox_label_names
from kusari_cv.utils import assert_is_bbox_dataset

CATEGORIES = [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}, {"id": 18, "name": "dog"}]
IMAGES = [
    {"id": 42, "file_name": "000000000042.jpg", "height": 6, "width": 8},
    {"id": 7, "file_name": "000000000007.jpg", "height": 6, "width": 8},
    {"id": 9, "file_name": "000000000009.jpg", "height": 6, "width": 8},
]
# (image_id, category_id, [x, y, width, height], area, iscrowd)
OBJECTS = [
    (7, 18, [1.5, 2.0, 3.0, 2.5], 6.0, 0),
    (7, 1, [0.0, 0.0, 4.0, 5.0], 12.5, 1),
    (7, 3, [2.0, 1.0, 0.0, 3.0], 0.0, 0),  # zero width: always dropped
    (7, 3, [4.0, 1.0, 2.0, 1.0], 1.5, 0),
    (42, 1, [0.5, 0.25, 1.0, 2.0], 2.0, 0),
]
COLORS = {7: (10, 200, 30), 42: (250, 250, 0), 9: (0, 0, 0)}


def _write_coco(data_dir, split="train", year="2017"):
    img_split = "val" if split in ("val", "minival", "valminusminival") else "train"
    anno_dir = os.path.join(data_dir, "annotations")
    img_dir = os.path.join(data_dir, "images", f"{img_split}{year}")
    os.makedirs(anno_dir)
    os.makedirs(img_dir)
    annotations = [
        {"id": n, "image_id": i, "category_id": c, "bbox": b, "area": a, "iscrowd": crowd}
        for n, (i, c, b, a, crowd) in enumerate(OBJECTS)
    ]
    with open(os.path.join(anno_dir, f"instances_{split}{year}.json"), "w") as f:
        json.dump({"images": IMAGES, "annotations": annotations, "categories": CATEGORIES}, f)
    for prop in IMAGES:
        Image.new("RGB", (8, 6), COLORS[prop["id"]]).save(
            os.path.join(img_dir, prop["file_name"]), quality=100
        )


@pytest.fixture
def coco_dir(tmp_path):
    _write_coco(str(tmp_path / "coco"))
    return str(tmp_path / "coco")


def test_coco_bbox_label_names_are_chainercv_order():
    assert len(coco_bbox_label_names) == 80
    assert coco_bbox_label_names[:4] == ("person", "bicycle", "car", "motorcycle")
    assert coco_bbox_label_names[-1] == "toothbrush"


def test_coco_bbox_dataset_sorted_ids_boxes_and_labels(coco_dir):
    dataset = COCOBboxDataset(coco_dir)
    assert len(dataset) == 3
    assert_is_bbox_dataset(dataset, len(CATEGORIES))
    img, bbox, label = dataset[0]  # image id 7
    assert img.shape == (3, 6, 8) and img.dtype == numpy.float32
    numpy.testing.assert_allclose(img.mean(axis=(1, 2)), COLORS[7], atol=3)
    assert bbox.dtype == numpy.float32 and label.dtype == numpy.int32
    numpy.testing.assert_array_equal(bbox, [[2.0, 1.5, 4.5, 4.5], [1.0, 4.0, 2.0, 6.0]])
    numpy.testing.assert_array_equal(label, [2, 1])
    _, bbox, label = dataset[1]  # image id 9: no objects
    assert bbox.shape == (0, 4) and label.shape == (0,)
    _, bbox, label = dataset[2]  # image id 42
    numpy.testing.assert_array_equal(bbox, [[0.25, 0.5, 2.25, 1.5]])
    numpy.testing.assert_array_equal(label, [0])


def test_coco_bbox_dataset_crowded_and_area(coco_dir):
    dataset = COCOBboxDataset(coco_dir, use_crowded=True, return_area=True, return_crowded=True)
    img, bbox, label, area, crowded = dataset[0]
    numpy.testing.assert_array_equal(
        bbox, [[2.0, 1.5, 4.5, 4.5], [0.0, 0.0, 5.0, 4.0], [1.0, 4.0, 2.0, 6.0]]
    )
    numpy.testing.assert_array_equal(label, [2, 0, 1])
    assert area.dtype == numpy.float32
    numpy.testing.assert_array_equal(area, [6.0, 12.5, 1.5])
    numpy.testing.assert_array_equal(crowded, [False, True, False])
    assert len(COCOBboxDataset(coco_dir, return_crowded=True)[0]) == 4


def test_coco_bbox_dataset_val_split_reads_val_images(tmp_path):
    data_dir = str(tmp_path / "coco")
    _write_coco(data_dir, split="minival", year="2014")
    dataset = COCOBboxDataset(data_dir, split="minival", year="2014")
    assert dataset.img_root == os.path.join(data_dir, "images", "val2014")
    numpy.testing.assert_array_equal(dataset[2][2], [0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"year": "2015"}, "COCOBboxDataset: expected year '2014' or '2017', got '2015'"),
        ({"split": "minival"}, r"COCOBboxDataset: expected split in \('train', 'val'\)"),
    ],
)
def test_coco_bbox_dataset_rejects_bad_split_or_year(coco_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        COCOBboxDataset(coco_dir, **kwargs)


@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(root))
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    return root


def test_coco_bbox_dataset_auto_reads_chainercv_layout(dataset_root):
    data_dir = os.path.join(dataset_root, "pfnet", "chainercv", "coco")
    _write_coco(data_dir, split="val")
    dataset = COCOBboxDataset(split="val")
    assert dataset.data_dir == data_dir
    numpy.testing.assert_array_equal(dataset[2][2], [0])


def test_coco_bbox_dataset_auto_missing_annotations(dataset_root):
    data_dir = os.path.join(dataset_root, "pfnet", "chainercv", "coco")
    with pytest.raises(FileNotFoundError) as excinfo:
        COCOBboxDataset()
    message = str(excinfo.value)
    assert message.startswith("COCOBboxDataset: MS COCO 2017 annotations were not found")
    assert os.path.join(data_dir, "annotations", "instances_train2017.json") in message
    assert "annotations_trainval2017.zip" in message
    assert f"extract it in {data_dir} " in message


def test_coco_bbox_dataset_auto_missing_images(dataset_root):
    data_dir = os.path.join(dataset_root, "pfnet", "chainercv", "coco")
    _write_coco(data_dir, split="val")
    os.rename(os.path.join(data_dir, "images"), os.path.join(data_dir, "elsewhere"))
    with pytest.raises(FileNotFoundError) as excinfo:
        COCOBboxDataset(split="val")
    message = str(excinfo.value)
    assert os.path.join(data_dir, "images", "val2017") in message
    assert "val2017.zip" in message
