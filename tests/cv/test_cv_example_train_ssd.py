"""examples/detection/train_ssd.py: ChainerCV's SSD recipe, run on its synthetic shapes."""

import importlib.util
import json
import os

import numpy
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "detection", "train_ssd.py")


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("train_ssd_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_dataset_draws_shapes_inside_their_boxes(example):
    dataset = example.SyntheticShapesDataset(4, size=(48, 64), seed=3)
    assert len(dataset) == 4
    for i in range(4):
        img, bbox, label = dataset[i]
        assert img.shape == (3, 48, 64) and img.dtype == numpy.float32
        assert bbox.dtype == numpy.float32 and label.dtype == numpy.int32
        assert 1 <= len(bbox) == len(label) <= 3
        assert ((label >= 0) & (label < len(example.SYNTHETIC_LABEL_NAMES))).all()
        assert (bbox[:, :2] >= 0).all()
        assert (bbox[:, 2] <= 48).all() and (bbox[:, 3] <= 64).all()
        assert (bbox[:, 2:] - bbox[:, :2] >= 9).all()
    # The last shape is drawn on top: the centre of a rectangle has its (uniform) colour,
    # and the same index always gives the same example.
    img, bbox, label = dataset[0]
    numpy.testing.assert_array_equal(img, example.SyntheticShapesDataset(1, (48, 64), 3)[0][0])
    y_min, x_min, y_max, x_max = bbox[-1].astype(int)
    if label[-1] == 0:
        patch = img[:, y_min:y_max, x_min:x_max]
        assert (patch == patch[:, :1, :1]).all()


def test_transform_encodes_for_the_multibox_loss(example):
    numpy.random.seed(0)
    model = example.tiny_ssd(3)
    transform = example.Transform(model.coder, model.insize, model.mean)
    img, bbox, label = example.SyntheticShapesDataset(1, seed=5)[0]
    out_img, mb_loc, mb_label = transform((img, bbox, label))
    n_default = 8 * 8 * 4 + 4 * 4 * 6 + 2 * 2 * 6 + 1 * 1 * 4
    assert out_img.shape == (3, 64, 64)
    assert mb_loc.shape == (n_default, 4)
    assert mb_label.shape == (n_default,)
    assert ((mb_label >= 0) & (mb_label <= 3)).all()
    # With this seed the crop keeps a shape, so some default boxes are matched to it.
    assert (mb_label > 0).any()


def test_train_tiny_ssd_on_synthetic_shapes_loss_falls(example, tmp_path):
    out = tmp_path / "result"
    argv = ["--dataset", "synthetic", "--model", "tiny", "--iteration", "12"]
    argv += ["--batchsize", "4", "--n-train", "48", "--n-test", "4", "--log-interval", "1"]
    argv += ["--step", "8", "--seed", "0", "--out", str(out)]
    trainer = example.main(argv)
    assert trainer.updater.iteration == 12

    with open(out / "log") as f:
        log = json.load(f)
    assert [entry["iteration"] for entry in log] == list(range(1, 13))
    losses = numpy.array([entry["main/loss"] for entry in log])
    assert numpy.isfinite(losses).all()
    assert losses[-3:].mean() < 0.5 * losses[:3].mean()
    for entry in log:
        numpy.testing.assert_allclose(
            entry["main/loss"], entry["main/loss/loc"] + entry["main/loss/conf"], rtol=1e-5
        )
    # ExponentialShift divides lr by 10 after the update of --step (observe_lr reads it
    # before); the evaluator runs at the step and at the end.
    assert [entry["lr"] for entry in log] == pytest.approx([1e-3] * 8 + [1e-4] * 4)
    assert [entry["iteration"] for entry in log if "validation/main/map" in entry] == [8, 12]
    assert {"snapshot_iter_8", "snapshot_iter_12", "model_iter_12"} <= set(os.listdir(out))


@pytest.mark.slow
def test_train_ssd300_on_synthetic_shapes_loss_falls(example, tmp_path):
    # The full SSD300 (VGG16 extractor with conv4_3 Normalize), about 5 s per iteration.
    out = tmp_path / "result"
    argv = ["--dataset", "synthetic", "--model", "ssd300", "--iteration", "8"]
    argv += ["--batchsize", "2", "--n-train", "16", "--n-test", "2", "--log-interval", "1"]
    argv += ["--seed", "0", "--out", str(out)]
    example.main(argv)
    with open(out / "log") as f:
        losses = numpy.array([entry["main/loss"] for entry in json.load(f)])
    assert losses.shape == (8,)
    assert numpy.isfinite(losses).all()
    assert losses[-2:].mean() < 0.75 * losses[:2].mean()
