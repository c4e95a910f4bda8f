"""The MNIST example: a Chainer v7 script whose only Kusari-specific lines are its imports."""

import importlib.util
import json
import os
import re

import numpy
import pytest

import kusari

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "mnist", "train_mnist.py")


def _load_example():
    spec = importlib.util.spec_from_file_location("train_mnist_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _weights(trainer):
    model = trainer.updater.get_optimizer("main").target
    return {name: p.array.copy() for name, p in model.namedparams()}


def test_only_the_imports_name_kusari():
    with open(SCRIPT) as f:
        lines = [line for line in f if "kusari" in line]
    assert lines, "the example should import kusari"
    for line in lines:
        assert re.match(r"^\s*(import kusari|from kusari)", line), line


def test_trains_writes_result_folder(tmp_path):
    example = _load_example()
    out = tmp_path / "result"
    trainer = example.main(
        ["--epoch", "2", "--unit", "100", "--out", str(out), "--no-progress"]
    )
    log = json.loads((out / "log").read_text())
    assert [entry["epoch"] for entry in log] == [1, 2]
    assert log[-1]["iteration"] == 2 * 4000 // 100
    assert log[-1]["main/loss"] < log[0]["main/loss"]
    assert log[-1]["validation/main/accuracy"] > 0.85
    args = json.loads((out / "args").read_text())
    assert args["unit"] == 100 and args["epoch"] == 2
    assert (out / "snapshot_iter_80").exists()
    assert trainer.updater.iteration == 80


def test_resume_reaches_the_same_weights(tmp_path):
    example = _load_example()
    full = example.main(
        ["--epoch", "2", "--unit", "30", "--out", str(tmp_path / "a"), "--no-progress"]
    )
    expected = _weights(full)
    example.main(
        ["--epoch", "1", "--unit", "30", "--out", str(tmp_path / "b"), "--no-progress"]
    )
    snapshot = tmp_path / "b" / "snapshot_iter_40"
    assert snapshot.exists()
    resumed = example.main(
        ["--epoch", "2", "--unit", "30", "--out", str(tmp_path / "b"), "--no-progress",
         "--resume", str(snapshot)]
    )
    assert resumed.updater.iteration == 80
    got = _weights(resumed)
    assert got.keys() == expected.keys()
    for name in expected:
        numpy.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_snapshot_holds_chainer_key_layout(tmp_path):
    example = _load_example()
    example.main(["--epoch", "1", "--unit", "20", "--out", str(tmp_path), "--no-progress"])
    with numpy.load(tmp_path / "snapshot_iter_40", allow_pickle=True) as f:
        keys = set(f.files)
    for key in (
        "updater/model:main/predictor/l1/W",
        "updater/model:main/predictor/l3/b",
        "updater/optimizer:main/t",
        "updater/optimizer:main/predictor/l1/W/m",
        "updater/iterator:main/current_position",
    ):
        assert key in keys, key


def test_bad_device_is_a_clear_error(tmp_path):
    example = _load_example()
    with pytest.raises(ValueError, match="get_device"):
        example.main(["--device", "@nowhere", "--out", str(tmp_path)])


def test_model_loads_into_plain_chain(tmp_path):
    example = _load_example()
    example.main(["--epoch", "1", "--unit", "20", "--out", str(tmp_path), "--no-progress"])
    model = kusari.links.Classifier(example.MLP(20, 10))
    kusari.serializers.load_npz(
        str(tmp_path / "snapshot_iter_40"), model, path="updater/model:main/"
    )
    assert model.predictor.l1.W.shape == (20, 784)
