import importlib
import os

import numpy
import pytest
from PIL import Image

from kusari_cv.datasets import VOCBboxDataset, voc_bbox_label_names
from kusari_cv.utils import assert_is_bbox_dataset

# Each object: (name, difficult, (xmin, ymin, xmax, ymax)) in VOC's 1-based pixels.
ANNOTATIONS = {
    "2008_000001": [
        ("dog", 0, (2, 3, 10, 7)),
        ("person", 1, (1, 1, 4, 5)),
        ("cat", 0, (5, 6, 12, 8)),
    ],
    "2008_000002": [("tvmonitor", 0, (3, 2, 6, 9))],
    "2008_000003": [("aeroplane", 1, (1, 2, 3, 4))],
}
COLORS = {"2008_000001": (200, 40, 10), "2008_000002": (0, 128, 255), "2008_000003": (90, 90, 90)}


def _object_xml(name, difficult, box, with_difficult_tag=True):
    xmin, ymin, xmax, ymax = box
    difficult_tag = f"<difficult>{difficult}</difficult>" if with_difficult_tag else ""
    return (
        f"<object><name> {name.upper()} </name><pose>Left</pose>{difficult_tag}"
        f"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax>"
        "</bndbox></object>"
    )


def _write_voc(data_dir, annotations, split="train"):
    for sub in ("Annotations", "ImageSets/Main", "JPEGImages"):
        os.makedirs(os.path.join(data_dir, sub), exist_ok=True)
    with open(os.path.join(data_dir, "ImageSets", "Main", f"{split}.txt"), "w") as f:
        f.write("".join(f"{id_}\n" for id_ in annotations))
    for id_, objects in annotations.items():
        xml = "".join(_object_xml(*obj) for obj in objects)
        with open(os.path.join(data_dir, "Annotations", f"{id_}.xml"), "w") as f:
            f.write(f"<annotation><filename>{id_}.jpg</filename>{xml}</annotation>")
        Image.new("RGB", (14, 10), COLORS.get(id_, (0, 0, 0))).save(
            os.path.join(data_dir, "JPEGImages", f"{id_}.jpg"), quality=100
        )


@pytest.fixture
def voc_dir(tmp_path):
    data_dir = tmp_path / "VOC2012"
    _write_voc(str(data_dir), ANNOTATIONS)
    return str(data_dir)


def _expected(objects, use_difficult):
    kept = [obj for obj in objects if use_difficult or not obj[1]]
    bbox = numpy.array(
        [[ymin - 1, xmin - 1, ymax - 1, xmax - 1] for _, _, (xmin, ymin, xmax, ymax) in kept],
        dtype=numpy.float32,
    ).reshape(-1, 4)
    label = numpy.array([voc_bbox_label_names.index(name) for name, _, _ in kept], numpy.int32)
    difficult = numpy.array([bool(d) for _, d, _ in kept], dtype=bool)
    return bbox, label, difficult


def test_voc_bbox_label_names_are_chainercv_order():
    assert len(voc_bbox_label_names) == 20
    assert voc_bbox_label_names[:3] == ("aeroplane", "bicycle", "bird")
    assert voc_bbox_label_names.index("person") == 14
    assert voc_bbox_label_names[-1] == "tvmonitor"


@pytest.mark.parametrize("use_difficult", [False, True])
def test_voc_bbox_dataset_boxes_labels_difficult(voc_dir, use_difficult):
    dataset = VOCBboxDataset(voc_dir, use_difficult=use_difficult, return_difficult=True)
    assert len(dataset) == 3
    assert_is_bbox_dataset(dataset, len(voc_bbox_label_names))
    for i, (id_, objects) in enumerate(ANNOTATIONS.items()):
        img, bbox, label, difficult = dataset[i]
        expected_bbox, expected_label, expected_difficult = _expected(objects, use_difficult)
        assert bbox.dtype == numpy.float32 and label.dtype == numpy.int32
        assert difficult.dtype == bool
        numpy.testing.assert_array_equal(bbox, expected_bbox)
        numpy.testing.assert_array_equal(label, expected_label)
        numpy.testing.assert_array_equal(difficult, expected_difficult)
        assert img.shape == (3, 10, 14) and img.dtype == numpy.float32
        numpy.testing.assert_allclose(img.mean(axis=(1, 2)), COLORS[id_], atol=3)


def test_voc_bbox_dataset_default_returns_three_and_skips_difficult(voc_dir):
    dataset = VOCBboxDataset(voc_dir)
    example = dataset[0]
    assert len(example) == 3
    numpy.testing.assert_array_equal(example[1], [[2, 1, 6, 9], [5, 4, 7, 11]])
    numpy.testing.assert_array_equal(example[2], [11, 7])
    _, bbox, label = dataset[2]
    assert bbox.shape == (0, 4) and label.shape == (0,)
    assert [len(ex) for ex in dataset[1:3]] == [3, 3]


def test_voc_bbox_dataset_without_difficult_tag(tmp_path):
    data_dir = str(tmp_path / "VOC2007")
    _write_voc(data_dir, {"000001": []})
    with open(os.path.join(data_dir, "Annotations", "000001.xml"), "w") as f:
        obj = _object_xml("bus", 0, (4, 5, 6, 7), with_difficult_tag=False)
        f.write(f"<annotation>{obj}</annotation>")
    _, bbox, label, difficult = VOCBboxDataset(data_dir, year="2007", return_difficult=True)[0]
    numpy.testing.assert_array_equal(bbox, [[4, 3, 6, 5]])
    numpy.testing.assert_array_equal(label, [voc_bbox_label_names.index("bus")])
    numpy.testing.assert_array_equal(difficult, [False])


def test_voc_bbox_dataset_unknown_class_name(tmp_path):
    data_dir = str(tmp_path / "VOC2012")
    _write_voc(data_dir, {"x": [("unicorn", 0, (1, 1, 2, 2))]})
    with pytest.raises(ValueError, match="VOCBboxDataset: .*x.xml has an object named 'unicorn'"):
        VOCBboxDataset(data_dir)[0]


@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(root))
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    return root


def test_voc_bbox_dataset_auto_reads_chainercv_layout(dataset_root):
    data_dir = os.path.join(dataset_root, "pfnet", "chainercv", "voc", "VOCdevkit", "VOC2012")
    _write_voc(data_dir, ANNOTATIONS, split="val")
    dataset = VOCBboxDataset(split="val")
    assert dataset.data_dir == data_dir
    numpy.testing.assert_array_equal(dataset[1][1], [[1, 2, 8, 5]])


@pytest.mark.parametrize(
    ("year", "split", "archive"),
    [("2012", "train", "VOCtrainval_11-May-2012.tar"), ("2007", "test", "VOCtest_06-Nov-2007.tar")],
)
def test_voc_bbox_dataset_auto_missing_data_says_what_to_place_where(
    dataset_root, year, split, archive
):
    voc_root = os.path.join(dataset_root, "pfnet", "chainercv", "voc")
    with pytest.raises(FileNotFoundError) as excinfo:
        VOCBboxDataset(split=split, year=year)
    message = str(excinfo.value)
    assert message.startswith(f"VOCBboxDataset: PASCAL VOC {year} ({split}) was not found")
    assert archive in message
    assert f"extract it in {voc_root} " in message
    assert os.path.join(voc_root, "VOCdevkit", f"VOC{year}") in message


def test_voc_bbox_dataset_auto_rejects_unknown_year(dataset_root):
    with pytest.raises(
        ValueError, match="VOCBboxDataset: expected year '2007' or '2012', got '2010'"
    ):
        VOCBboxDataset(year="2010")


def test_voc_bbox_dataset_missing_split_file(voc_dir):
    with pytest.raises(FileNotFoundError, match="VOCBboxDataset: split file .*val.txt not found"):
        VOCBboxDataset(voc_dir, split="val")


def test_voc_bbox_dataset_warns_on_unusual_split(tmp_path):
    data_dir = str(tmp_path / "VOC2012")
    _write_voc(data_dir, {"2008_000002": ANNOTATIONS["2008_000002"]}, split="test")
    with pytest.warns(UserWarning, match="split 'test'"):
        dataset = VOCBboxDataset(data_dir, split="test")
    assert len(dataset) == 1
