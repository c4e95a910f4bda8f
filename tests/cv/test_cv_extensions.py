import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import training
from kusari.iterators import SerialIterator
from kusari_cv.extensions import DetectionCOCOEvaluator, DetectionVOCEvaluator


def _box(y, x, size=10):
    return [y, x, y + size, x + size]


def _bbox(*boxes):
    return numpy.array(boxes, dtype=numpy.float32).reshape(-1, 4)


# Image i is filled with the value i so the stub detector knows which image it sees.
_GT = [
    (_bbox(_box(0, 0)), numpy.array([0], numpy.int32)),
    (_bbox(_box(20, 20)), numpy.array([1], numpy.int32)),
]
# Class 0: a false positive outscores the true positive -> precision (0, 1/2) at recall
# (0, 1), so VOC's area AP is 1/2. Class 1: one true positive -> AP 1. mAP = 3/4.
_PRED = [
    (
        _bbox(_box(0, 0), _box(30, 30)),
        numpy.array([0, 0], numpy.int32),
        numpy.array([0.8, 0.9], numpy.float32),
    ),
    (_bbox(_box(20, 20)), numpy.array([1], numpy.int32), numpy.array([0.7], numpy.float32)),
]


class _StubDetector(kusari.Chain):
    """Returns fixed predictions per image and counts how many images it saw."""

    def __init__(self, predictions):
        super().__init__()
        with self.init_scope():
            self.w = kusari.Parameter(numpy.zeros((1,), numpy.float32))
        self.predictions = predictions
        self.n_seen = 0

    def forward(self, imgs, *_):
        return F.sum(self.w**2)

    def predict(self, imgs):
        self.n_seen += len(imgs)
        outs = [self.predictions[int(img[0, 0, 0])] for img in imgs]
        return tuple(list(field) for field in zip(*outs, strict=True))


def _dataset(extra=()):
    return [
        (numpy.full((3, 4, 4), i, numpy.float32), bbox, label, *(e[i] for e in extra))
        for i, (bbox, label) in enumerate(_GT)
    ]


def _iterator(dataset, batch_size=1):
    return SerialIterator(dataset, batch_size, repeat=False, shuffle=False)


def _perfect():
    return [(bbox, label, numpy.ones(len(label), numpy.float32)) for bbox, label in _GT]


def test_voc_evaluator_perfect_and_reported_keys():
    # Called outside a trainer the extension has no name, so keys start with 'main/'.
    evaluator = DetectionVOCEvaluator(
        _iterator(_dataset()), _StubDetector(_perfect()), label_names=("a", "b", "c")
    )
    result = evaluator()
    assert sorted(result) == [
        "main/ap/a",
        "main/ap/b",
        "main/ap/c",
        "main/map",
    ]
    assert result["main/map"] == 1.0
    assert result["main/ap/a"] == 1.0
    assert result["main/ap/b"] == 1.0
    assert numpy.isnan(result["main/ap/c"])


def test_voc_evaluator_hand_computed_values_with_difficult_and_07_metric():
    difficults = [numpy.array([False]), numpy.array([False])]
    target = _StubDetector(_PRED)
    evaluator = DetectionVOCEvaluator(
        _iterator(_dataset([difficults]), batch_size=2), target, label_names=("a", "b")
    )
    reporter = kusari.Reporter()
    reporter.add_observer("target", target)
    with reporter:
        result = evaluator.evaluate()
    assert len(reporter.observation) == 0
    numpy.testing.assert_allclose(result["target/ap/a"], 0.5)
    numpy.testing.assert_allclose(result["target/ap/b"], 1.0)
    numpy.testing.assert_allclose(result["target/map"], 0.75)

    # 11-point metric: class 0 has precision 1/2 up to recall 1 -> 1/2.
    evaluator_07 = DetectionVOCEvaluator(_iterator(_dataset()), target, use_07_metric=True)
    numpy.testing.assert_allclose(evaluator_07()["main/map"], 0.75)


def test_voc_evaluator_resets_iterator():
    target = _StubDetector(_perfect())
    iterator = _iterator(_dataset())
    iterator.next()  # partly consumed: the evaluator must start over
    evaluator = DetectionVOCEvaluator(iterator, target)
    first = evaluator()
    second = evaluator()
    assert first == second == {"main/map": 1.0}
    assert target.n_seen == 2 * len(_GT)


def test_voc_evaluator_copies_iterator_without_reset():
    target = _StubDetector(_perfect())
    batches = [[example] for example in _dataset()]
    evaluator = DetectionVOCEvaluator(batches, target)
    assert evaluator()["main/map"] == 1.0
    assert evaluator()["main/map"] == 1.0
    assert len(batches) == len(_GT)


def test_evaluators_reject_comm_and_bad_examples():
    target = _StubDetector(_perfect())
    with pytest.raises(NotImplementedError, match="DetectionVOCEvaluator"):
        DetectionVOCEvaluator(_iterator(_dataset()), target, comm=object())
    with pytest.raises(NotImplementedError, match="DetectionCOCOEvaluator"):
        DetectionCOCOEvaluator(_iterator(_dataset()), target, comm=object())
    short = [(img, bbox) for img, bbox, _ in _dataset()]
    with pytest.raises(ValueError, match="DetectionVOCEvaluator"):
        DetectionVOCEvaluator(_iterator(short), _StubDetector(_perfect()))()


def test_coco_evaluator_perfect_and_reported_keys():
    pytest.importorskip("pycocotools")
    evaluator = DetectionCOCOEvaluator(
        _iterator(_dataset()), _StubDetector(_perfect()), label_names=("a", "b", "c")
    )
    result = evaluator()
    key = "main/map/iou=0.50:0.95/area=all/max_dets=100"
    assert result[key] == pytest.approx(1.0)
    assert result["main/mar/iou=0.50:0.95/area=all/max_dets=1"] == pytest.approx(1.0)
    ap_key = "main/ap/iou=0.50:0.95/area=all/max_dets=100"
    assert result[ap_key + "/a"] == pytest.approx(1.0)
    assert result[ap_key + "/b"] == pytest.approx(1.0)
    assert numpy.isnan(result[ap_key + "/c"])
    # Without areas the per-area metrics are left out (as in ChainerCV).
    assert not any("area=small" in k for k in result)
    n_means = sum(k.startswith(("main/map", "main/mar")) for k in result)
    assert n_means == 6
    assert len(result) == 6 + 6 * 3


def test_coco_evaluator_with_areas_and_crowdeds():
    pytest.importorskip("pycocotools")
    areas = [numpy.array([100.0]), numpy.array([100.0])]
    crowdeds = [numpy.array([False]), numpy.array([True])]
    evaluator = DetectionCOCOEvaluator(
        _iterator(_dataset([areas, crowdeds])), _StubDetector(_perfect())
    )
    result = evaluator()
    # Class 1's only box is a crowd, so only class 0 (small, perfectly found) is evaluated.
    assert result["main/map/iou=0.50:0.95/area=all/max_dets=100"] == pytest.approx(1)
    assert result["main/map/iou=0.50:0.95/area=small/max_dets=100"] == pytest.approx(1)
    assert numpy.isnan(result["main/map/iou=0.50:0.95/area=large/max_dets=100"])


def test_voc_evaluator_in_trainer(tmp_path):
    target = _StubDetector(_PRED)
    optimizer = kusari.optimizers.SGD(lr=0.1)
    optimizer.setup(target)
    train_iter = SerialIterator(_dataset(), 2, shuffle=False)
    updater = training.updaters.StandardUpdater(train_iter, optimizer)
    trainer = training.Trainer(updater, (1, "iteration"), out=str(tmp_path))
    trainer.extend(
        DetectionVOCEvaluator(_iterator(_dataset()), target, label_names=("a", "b")),
        trigger=(1, "iteration"),
    )
    trainer.run()
    numpy.testing.assert_allclose(trainer.observation["validation/main/map"], 0.75)
    numpy.testing.assert_allclose(trainer.observation["validation/main/ap/a"], 0.5)
