import importlib
import json
import os
import socket

import numpy
import pytest
from PIL import Image

import kusari
from kusari_cv import cli
from kusari_cv.datasets import voc_bbox_label_names
from kusari_cv.links.model.ssd import SSD300
from kusari_cv.utils import prepare_pretrained_model, read_image


def _write_png(path, height, width, seed=0):
    rng = numpy.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=numpy.uint8)).save(path)


def _unused_url(name):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    root = tmp_path / "dataset_root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(root))
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    return root


class _TinyDetector:
    """A detector with a weight file: one box of label 1, scored by the weight, per image."""

    _models = {"tiny": {"url": "set by the test", "param": {"n_fg_class": 2}}}

    def __init__(self, n_fg_class=None, pretrained_model=None):
        param, path = prepare_pretrained_model(
            {"n_fg_class": n_fg_class}, pretrained_model, self._models
        )
        self.n_fg_class = param["n_fg_class"]
        self.score = float(numpy.load(path)["score"]) if path else 0.5
        self.score_thresh = 0.3

    def predict(self, imgs):
        bboxes, labels, scores = [], [], []
        for img in imgs:
            _, h, w = img.shape
            keep = self.score >= self.score_thresh
            bboxes.append(numpy.array([[1, 2, h - 1, w - 2]], numpy.float32)[:keep])
            labels.append(numpy.array([1], numpy.int32)[:keep])
            scores.append(numpy.array([self.score], numpy.float32)[:keep])
        return bboxes, labels, scores


class _TinyFaceDetector:
    """A face detector: ``(bboxes, scores, landmarks)``, one face and a weak one per image."""

    def __init__(self, pretrained_model=None):
        self.pretrained_model = pretrained_model

    def predict(self, imgs):
        _, h, w = imgs[0].shape
        bbox = numpy.array([[1, 2, h - 1, w - 2], [0, 0, 2, 2]], numpy.float32)
        score = numpy.array([0.75, 0.25], numpy.float32)
        points = numpy.array([[[h / 2, w / 2]], [[1, 1]]], numpy.float32)
        return [bbox], [score], [points]


@pytest.fixture
def tiny_model(monkeypatch):
    module = type(os)("_kusari_cv_test_tiny")
    module.TinyDetector = _TinyDetector
    module.TinyFaceDetector = _TinyFaceDetector
    monkeypatch.setitem(importlib.sys.modules, "_kusari_cv_test_tiny", module)
    spec = cli._ModelSpec("_kusari_cv_test_tiny", "TinyDetector", "tiny", ("cat", "dog"))
    monkeypatch.setitem(cli._MODELS, "tiny", spec)
    spec = cli._ModelSpec("_kusari_cv_test_tiny", "TinyFaceDetector", "x", ("face",), face=True)
    monkeypatch.setitem(cli._MODELS, "tiny_face", spec)
    monkeypatch.setitem(_TinyDetector._models["tiny"], "url", _unused_url("tiny.npz"))


def _load(out, stem):
    with Image.open(out / f"{stem}.png") as image:
        assert image.format == "PNG"
        size = image.size
    with open(out / f"{stem}.json") as f:
        return json.load(f), size


def test_detect_ssd300_with_local_weights(tmp_path):
    image_path = tmp_path / "street.png"
    _write_png(image_path, 48, 64)
    numpy.random.seed(0)
    model = SSD300(n_fg_class=20)
    model.score_thresh = 0.2
    # The first predict also initializes the parameters, which are then saved.
    bboxes, labels, scores = model.predict([read_image(str(image_path))])
    weights = tmp_path / "ssd300_random.npz"
    kusari.serializers.save_npz(str(weights), model, compression=False)
    out = tmp_path / "out"

    argv = ["detect", str(image_path), "--model", "ssd300", "--pretrained", str(weights)]
    assert cli.main([*argv, "--score-thresh", "0.2", "--out", str(out)]) == 0

    report, size = _load(out, "street")
    assert size == (64, 48)
    assert report["size"] == [48, 64]
    assert report["model"] == "ssd300"
    detections = report["detections"]
    assert 0 < len(detections) == len(bboxes[0])
    numpy.testing.assert_allclose([d["bbox"] for d in detections], bboxes[0], rtol=1e-6)
    assert [d["label"] for d in detections] == labels[0].tolist()
    numpy.testing.assert_allclose([d["score"] for d in detections], scores[0], rtol=1e-6)
    for d in detections:
        assert d["score"] >= 0.2
        assert d["label_name"] == voc_bbox_label_names[d["label"]]
        assert "landmarks" not in d


def test_detect_directory_draws_boxes(tmp_path, tiny_model):
    folder = tmp_path / "images"
    folder.mkdir()
    _write_png(folder / "b.png", 30, 40, seed=1)
    _write_png(folder / "a.png", 20, 24, seed=2)
    (folder / "notes.txt").write_text("not an image")
    weights = tmp_path / "tiny.npz"
    numpy.savez(weights, score=numpy.float32(0.75))
    out = tmp_path / "out"

    argv = ["detect", str(folder), "--model", "tiny", "--pretrained", str(weights)]
    assert cli.main([*argv, "--out", str(out)]) == 0

    assert sorted(os.listdir(out)) == ["a.json", "a.png", "b.json", "b.png"]
    report, size = _load(out, "a")
    assert size == (24, 20)
    assert report["pretrained"] == str(weights)
    assert report["detections"] == [
        {"bbox": [1.0, 2.0, 19.0, 22.0], "label": 1, "label_name": "dog", "score": 0.75}
    ]
    assert _load(out, "b")[0]["detections"][0]["bbox"] == [1.0, 2.0, 29.0, 38.0]
    with Image.open(out / "a.png") as image:
        pixels = numpy.asarray(image.convert("RGB"))
    original = read_image(str(folder / "a.png")).transpose(1, 2, 0)
    # The box's bottom edge (row 19) is drawn in label 1's colour, (0, 128, 0); pixels inside
    # the box away from its edges and caption keep the original image.
    numpy.testing.assert_array_equal(pixels[19, 4:20], [[0, 128, 0]] * 16)
    numpy.testing.assert_array_equal(pixels[15:18, 5:20], original[15:18, 5:20])

    # The score threshold is handed to the model; the JSON then lists no detection.
    assert cli.main([*argv, "--out", str(out), "--score-thresh", "0.8"]) == 0
    assert _load(out, "b")[0]["detections"] == []


def test_detect_faces_draws_landmarks_and_thresholds_scores(tmp_path, tiny_model):
    image_path = tmp_path / "a.png"
    _write_png(image_path, 20, 24)
    out = tmp_path / "out"
    argv = ["detect", str(image_path), "--model", "tiny_face", "--out", str(out)]
    assert cli.main([*argv, "--score-thresh", "0.5"]) == 0
    report, _ = _load(out, "a")
    assert report["pretrained"] == "x"
    assert report["detections"] == [
        {
            "bbox": [1.0, 2.0, 19.0, 22.0],
            "label": 0,
            "label_name": "face",
            "score": 0.75,
            "landmarks": [[10.0, 12.0]],
        }
    ]
    with Image.open(out / "a.png") as image:
        pixels = numpy.asarray(image.convert("RGB"))
    numpy.testing.assert_array_equal(pixels[10, 12], [0, 255, 0])
    # Label 0 is drawn in (128, 0, 0).
    numpy.testing.assert_array_equal(pixels[19, 4:20], [[128, 0, 0]] * 16)

    assert cli.main(argv) == 0
    assert [d["score"] for d in _load(out, "a")[0]["detections"]] == [0.75, 0.25]


def test_detect_without_weights_names_the_file_to_place(tmp_path, dataset_root, capsys, tiny_model):
    image_path = tmp_path / "a.png"
    _write_png(image_path, 8, 8)
    assert cli.main(["detect", str(image_path), "--model", "tiny", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    expected_path = os.path.join(str(dataset_root), "models", "tiny.npz")
    assert err.startswith("kusari-cv detect: error: could not load the weights of 'tiny'")
    assert expected_path in err
    assert _TinyDetector._models["tiny"]["url"] in err
    assert "Traceback" not in err
    assert not os.path.exists(expected_path)


def test_detect_ssd300_without_weights_names_the_file_to_place(
    tmp_path, dataset_root, capsys, monkeypatch
):
    url = _unused_url("ssd300_voc0712.npz")
    monkeypatch.setitem(SSD300._models["voc0712"], "url", url)
    image_path = tmp_path / "a.png"
    _write_png(image_path, 8, 8)
    argv = ["detect", str(image_path), "--model", "ssd300", "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("kusari-cv detect: error: could not load the weights of 'ssd300'")
    assert url in err
    assert os.path.join(str(dataset_root), "models", "ssd300_voc0712.npz") in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_detect_bad_arguments(tmp_path, capsys, tiny_model, monkeypatch):
    image_path = tmp_path / "a.png"
    _write_png(image_path, 8, 8)
    for argv in (
        [],
        ["detect"],
        ["detect", str(image_path), "--model", "resnet"],
        ["detect", str(image_path), "--score-thresh", "1.5"],
        ["detect", str(image_path), "--score-thresh", "high"],
    ):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
    capsys.readouterr()

    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "b").mkdir()
    _write_png(tmp_path / "b" / "a.png", 8, 8)
    for argv, message in (
        (["detect", str(tmp_path / "missing.png")], "no such file or folder: "),
        (["detect", str(empty)], "no image files in the folder "),
        (["detect", str(image_path), str(tmp_path / "b")], "would both be written as a.png"),
        (["detect", str(image_path), "--pretrained", "nope"], "could not load the weights"),
    ):
        assert cli.main([*argv, "--model", "tiny", "--out", str(tmp_path / "out")]) == 1
        assert message in capsys.readouterr().err

    monkeypatch.setitem(cli._MODELS, "broken", cli._ModelSpec("_no_such_module", "X", "a", ("a",)))
    assert cli.main(["detect", str(image_path), "--model", "broken"]) == 1
    assert "model 'broken' (_no_such_module.X) is not available" in capsys.readouterr().err


def test_detect_mtcnn_finds_the_astronauts_face(tmp_path):
    image_path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "astronaut.png")
    assert cli.main(["detect", image_path, "--out", str(tmp_path)]) == 0
    report, size = _load(tmp_path, "astronaut")
    assert size == (512, 512)
    assert report["model"] == "mtcnn" and report["pretrained"] == "default"
    (face,) = report["detections"]
    assert face["label_name"] == "face" and face["score"] > 0.99
    # The face of the photo lies around rows 60-175 and columns 175-270.
    y_min, x_min, y_max, x_max = face["bbox"]
    assert 40 < y_min < 80 and 160 < x_min < 200 and 155 < y_max < 195 and 250 < x_max < 290
    landmarks = numpy.array(face["landmarks"])
    assert landmarks.shape == (5, 2)
    assert ((landmarks >= [y_min, x_min]) & (landmarks <= [y_max, x_max])).all()
