import os
import sys

import numpy
import pytest
from PIL import Image

import kusari
import kusari.functions as F
from kusari import training
from kusari.iterators import SerialIterator
from kusari_cv.extensions import DetectionVisReport

pytest.importorskip("matplotlib")


class _StubDetector(kusari.Chain):
    """Predicts one box per image, shifted from the ground truth, and counts its calls."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.w = kusari.Parameter(numpy.zeros((1,), numpy.float32))
        self.n_seen = 0

    def forward(self, imgs, *_):
        return F.sum(self.w**2)

    def predict(self, imgs):
        self.n_seen += len(imgs)
        bboxes = [numpy.array([[2, 3, 12, 14]], numpy.float32) for _ in imgs]
        labels = [numpy.array([1], numpy.int32) for _ in imgs]
        scores = [numpy.array([0.75], numpy.float32) for _ in imgs]
        return bboxes, labels, scores


def _dataset(n=3):
    rng = numpy.random.default_rng(0)
    return [
        (
            rng.uniform(0, 255, (3, 16, 20)).astype(numpy.float32),
            numpy.array([[1, 1, 9, 9]], numpy.float32),
            numpy.array([0], numpy.int32),
        )
        for _ in range(n)
    ]


def _trainer(tmp_path, target, n_iteration):
    optimizer = kusari.optimizers.SGD(lr=0.1)
    optimizer.setup(target)
    train_iter = SerialIterator(_dataset(), 2, shuffle=False)
    updater = training.updaters.StandardUpdater(train_iter, optimizer)
    return training.Trainer(updater, (n_iteration, "iteration"), out=str(tmp_path / "result"))


def test_detection_vis_report_in_trainer_writes_one_figure_per_example(tmp_path):
    target = _StubDetector()
    trainer = _trainer(tmp_path, target, 2)
    trainer.extend(
        DetectionVisReport(
            SerialIterator(_dataset(), 2, repeat=False, shuffle=False),
            target,
            label_names=("circle", "square"),
        ),
        trigger=(1, "iteration"),
    )
    trainer.run()
    out = tmp_path / "result"
    expected = {f"detection_iter={it}_idx={idx}.jpg" for it in (1, 2) for idx in range(3)}
    written = {name for name in os.listdir(out) if name.startswith("detection_")}
    assert written == expected
    # Nothing but the figures (and the trainer's own files) is left: no temporary files.
    assert not [name for name in os.listdir(out) if name.startswith(".")]
    assert target.n_seen == 6
    with Image.open(out / "detection_iter=2_idx=2.jpg") as image:
        assert image.format == "JPEG"
        width, height = image.size
        pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.int32)
    assert (width, height) == (640, 480)
    # Two panels, each with the noise image: both halves hold many distinct colours.
    for half in (pixels[: height // 2], pixels[height // 2 :]):
        assert len(numpy.unique(half.reshape(-1, 3), axis=0)) > 100


def test_detection_vis_report_filename_format_and_list_iterator(tmp_path):
    target = _StubDetector()
    trainer = _trainer(tmp_path, target, 1)
    batches = [[example] for example in _dataset(2)]
    trainer.extend(
        DetectionVisReport(batches, target, filename="vis_{index}_at_{iteration}.png"),
        trigger=(1, "iteration"),
    )
    trainer.run()
    for index in range(2):
        with Image.open(tmp_path / "result" / f"vis_{index}_at_1.png") as image:
            assert image.format == "PNG"
    assert len(batches) == 2


def test_detection_vis_report_rejects_short_examples(tmp_path):
    target = _StubDetector()
    trainer = _trainer(tmp_path, target, 1)
    short = [[(img, bbox)] for img, bbox, _ in _dataset(1)]
    trainer.extend(DetectionVisReport(short, target), trigger=(1, "iteration"))
    with pytest.raises(ValueError, match="DetectionVisReport: .*2 values"):
        trainer.run()


def test_detection_vis_report_needs_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    assert not DetectionVisReport.available()
    with pytest.raises(ImportError, match="DetectionVisReport: matplotlib is required"):
        DetectionVisReport([], _StubDetector())
