import os

import numpy
import pytest
from _training_testing import make_model, make_trainer

import kusari
from kusari.serializers import load_npz, save_npz
from kusari.training import extensions


def _extend_common(trainer, attr="lr"):
    trainer.extend(extensions.ExponentialShift(attr, 0.8), trigger=(1, "epoch"))
    trainer.extend(extensions.LogReport(trigger=(2, "iteration")))
    trainer.extend(extensions.snapshot(autoload=True), trigger=(1, "epoch"))


def _weights(trainer):
    model = trainer.updater.get_optimizer("main").target
    return {name: param.array.copy() for name, param in model.namedparams()}


def _without_time(log):
    return [{k: v for k, v in entry.items() if k != "elapsed_time"} for entry in log]


@pytest.mark.parametrize(
    "make_optimizer,attr",
    [
        (lambda: kusari.optimizers.MomentumSGD(lr=0.1), "lr"),
        (lambda: kusari.optimizers.Adam(alpha=0.05), "alpha"),
    ],
)
def test_autoload_resume_matches_uninterrupted_run(tmp_path, make_optimizer, attr):
    reference = make_trainer(tmp_path / "ref", stop=(4, "epoch"), optimizer=make_optimizer())
    _extend_common(reference, attr)
    reference.run()

    out = tmp_path / "run"
    first = make_trainer(out, stop=(2, "epoch"), optimizer=make_optimizer())
    _extend_common(first, attr)
    first.run()  # "interrupted" after epoch 2
    assert "snapshot_iter_5" in os.listdir(out)

    # Running the same script again (a longer stop trigger) resumes from the latest snapshot.
    resumed = make_trainer(out, stop=(4, "epoch"), optimizer=make_optimizer())
    _extend_common(resumed, attr)
    resumed.run()

    assert resumed.updater.iteration == reference.updater.iteration == 10
    reference_weights, resumed_weights = _weights(reference), _weights(resumed)
    for name in reference_weights:
        numpy.testing.assert_array_equal(resumed_weights[name], reference_weights[name])
    assert _without_time(resumed.get_extension("LogReport").log) == _without_time(
        reference.get_extension("LogReport").log
    )
    assert (
        getattr(resumed.updater.get_optimizer("main"), attr)
        == getattr(reference.updater.get_optimizer("main"), attr)
        == pytest.approx(getattr(make_optimizer(), attr) * 0.8**4)
    )
    # elapsed time goes on from the snapshot
    assert resumed.elapsed_time > resumed._snapshot_elapsed_time > 0


def test_snapshot_key_layout(tmp_path):
    trainer = make_trainer(tmp_path, stop=(1, "epoch"))
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.snapshot())
    trainer.run()
    with numpy.load(tmp_path / "snapshot_iter_3") as snapshot:
        keys = set(snapshot.files)
        assert int(snapshot["updater/iteration"]) == 3
    assert {
        "updater/iteration",
        "updater/model:main/predictor/W",
        "updater/model:main/predictor/b",
        "updater/optimizer:main/t",
        "updater/optimizer:main/predictor/W/v",
        "updater/iterator:main/current_position",
        "updater/iterator:main/epoch",
        "extensions/LogReport/_log",
        "extension_triggers/_Snapshot/previous_iteration",
        "stop_trigger/previous_epoch_detail",
        "_snapshot_elapsed_time",
    } <= keys
    # the model inside a trainer snapshot loads with path=
    model = make_model(seed=1)
    load_npz(tmp_path / "snapshot_iter_3", model, path="updater/model:main/")
    numpy.testing.assert_array_equal(
        model.predictor.W.array, trainer.updater.get_optimizer("main").target.predictor.W.array
    )


def test_autoload_without_snapshot_and_latest_by_number(tmp_path):
    trainer = make_trainer(tmp_path, stop=(12, "iteration"))
    trainer.extend(extensions.snapshot(autoload=True), trigger=(3, "iteration"))
    trainer.run()  # nothing to load: starts from scratch
    names = sorted(n for n in os.listdir(tmp_path) if n.startswith("snapshot"))
    assert names == ["snapshot_iter_12", "snapshot_iter_3", "snapshot_iter_6", "snapshot_iter_9"]
    # make the older file the newest by mtime: the iteration number still decides
    os.utime(tmp_path / "snapshot_iter_9", ns=(2**62, 2**62))
    resumed = make_trainer(tmp_path, stop=(13, "iteration"))
    resumed.extend(extensions.snapshot(autoload=True), trigger=(3, "iteration"))
    resumed.run()
    assert resumed.updater.iteration == 13


def test_n_retains(tmp_path):
    trainer = make_trainer(tmp_path, stop=(7, "iteration"))
    trainer.extend(extensions.snapshot(n_retains=2), trigger=(1, "iteration"))
    trainer.extend(
        extensions.snapshot_object(
            trainer.updater.get_optimizer("main").target, "model_{.updater.iteration}"
        ),
        trigger=(2, "iteration"),
    )
    trainer.run()
    assert sorted(os.listdir(tmp_path)) == [
        "model_2",
        "model_4",
        "model_6",
        "snapshot_iter_6",
        "snapshot_iter_7",
    ]


def test_failed_save_keeps_previous_snapshot(tmp_path):
    trainer = make_trainer(tmp_path, stop=(1, "iteration"))
    trainer.extend(extensions.snapshot(filename="snap"), trigger=(1, "iteration"))
    trainer.run()
    before = (tmp_path / "snap").read_bytes()

    def crashing_savefun(path, target):
        with open(path, "wb") as f:
            f.write(b"half a snapshot")
        raise OSError("disk full")

    failing = make_trainer(tmp_path, stop=(1, "iteration"))
    failing.extend(extensions.snapshot(crashing_savefun, filename="snap"), trigger=(1, "iteration"))
    with pytest.raises(OSError, match="disk full"):
        failing.run(show_loop_exception_msg=False)
    assert (tmp_path / "snap").read_bytes() == before
    assert os.listdir(tmp_path) == ["snap"]


def test_snapshot_object_condition_and_custom_savefun(tmp_path):
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    model = trainer.updater.get_optimizer("main").target
    saved_with = []

    def savefun(path, target):
        saved_with.append(sorted(target))
        save_npz(path, target)

    trainer.extend(
        extensions.snapshot_object(
            model, "model_{.updater.iteration}", savefun, condition=lambda: len(saved_with) < 2
        ),
        trigger=(1, "iteration"),
    )
    trainer.run()
    assert sorted(os.listdir(tmp_path)) == ["model_1", "model_2"]
    assert saved_with[0] == ["predictor/W", "predictor/b"]
    restored = make_model(seed=3)
    load_npz(tmp_path / "model_2", restored)
    assert not numpy.array_equal(restored.predictor.W.array, make_model(seed=3).predictor.W.array)


def test_snapshot_on_error(tmp_path):
    def fail(trainer):
        if trainer.updater.iteration == 2:
            raise ValueError("stop here")

    trainer = make_trainer(tmp_path, stop=(5, "iteration"))
    trainer.extend(fail)
    trainer.extend(extensions.snapshot(snapshot_on_error=True, filename="on_error"))
    with pytest.raises(ValueError, match="stop here"):
        trainer.run(show_loop_exception_msg=False)
    with numpy.load(tmp_path / "on_error") as snapshot:
        assert int(snapshot["updater/iteration"]) == 2


def test_bad_arguments():
    writer = extensions.snapshot_writers.SimpleWriter()
    with pytest.raises(TypeError, match="snapshot: give savefun or writer, not both"):
        extensions.snapshot(save_npz, writer=writer)
    with pytest.raises(ValueError, match="autoload and n_retains need filename to be a format"):
        extensions.snapshot(filename=lambda trainer: "x", autoload=True)
    with pytest.raises(TypeError, match="filename must be a format string or a callable"):
        extensions.snapshot(filename=3)
