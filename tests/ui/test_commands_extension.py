"""CommandsExtension in real (tiny) Trainer runs: commands, responses, heartbeat, resume."""

import io
import json
import os

import numpy
import pytest

import kusari
import kusari.links as L
from kusari import training
from kusari.datasets import TupleDataset
from kusari.iterators import SerialIterator
from kusari.training import extensions
from kusari_ui import protocol
from kusari_ui.extensions import CommandsExtension

# 8 examples in batches of 4: 2 iterations per epoch.
N_EXAMPLES = 8
BATCH_SIZE = 4


def make_trainer(out, stop=(20, "iteration"), optimizer=None):
    """A trainer over a 3-feature, 2-class toy set with fixed weights and no shuffling."""
    rng = numpy.random.RandomState(0)
    x = rng.randn(N_EXAMPLES, 3).astype(numpy.float32)
    t = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(numpy.int32)
    w = rng.uniform(-0.5, 0.5, (2, 3)).astype(numpy.float32)
    model = L.Classifier(L.Linear(3, 2, initialW=w, initial_bias=0))
    if optimizer is None:
        optimizer = kusari.optimizers.SGD(lr=0.1)
    optimizer.setup(model)
    iterator = SerialIterator(TupleDataset(x, t), BATCH_SIZE, shuffle=False)
    updater = training.updaters.StandardUpdater(iterator, optimizer)
    return training.Trainer(updater, stop, out=str(out))


def at_iteration(iteration, action):
    """An extension that calls action(trainer) once, after update `iteration`, before ours."""

    def act(trainer):
        if trainer.updater.iteration == iteration:
            action(trainer)

    act.priority = 500
    return act


class Recorder:
    """Extension run after every other one: what each iteration saw."""

    priority = -1000
    default_name = "Recorder"

    def __init__(self, probe):
        self.probe = probe
        self.seen = {}

    def __call__(self, trainer):
        self.seen[trainer.updater.iteration] = self.probe(trainer)


def responses(out):
    return {c["id"]: c["response"] for c in protocol.list_commands(out)}


def optimizer_of(trainer):
    return trainer.updater.get_optimizer("main")


def test_take_snapshot_sent_before_the_run(tmp_path):
    command = protocol.new_command(tmp_path, "take_snapshot")
    trainer = make_trainer(tmp_path, stop=(3, "iteration"))
    trainer.extend(CommandsExtension())
    trainer.run()

    response = responses(tmp_path)[command["id"]]
    assert response["status"] == "applied"
    assert response["result"] == {"filename": "snapshot_iter_1"}
    assert (response["epoch"], response["iteration"]) == (0, 1)
    assert response["error"] is None
    with numpy.load(tmp_path / "snapshot_iter_1", allow_pickle=True) as f:
        assert int(f["updater/iteration"]) == 1
        assert "stop_trigger/previous_iteration" in f.files
        assert json.loads(str(f["extensions/CommandsExtension/_hyperparams"])) == {}
    resumed = make_trainer(tmp_path / "other")
    kusari.serializers.load_npz(str(tmp_path / "snapshot_iter_1"), resumed)
    assert resumed.updater.iteration == 1


def test_take_snapshot_with_a_filename_during_the_run(tmp_path):
    sent = []
    trainer = make_trainer(tmp_path, stop=(6, "iteration"))
    trainer.extend(at_iteration(3, lambda t: sent.append(protocol.new_command(
        tmp_path, "take_snapshot", {"filename": "cmd_{0.updater.epoch}_{0.updater.iteration}"}))))
    trainer.extend(CommandsExtension())
    trainer.run()
    response = responses(tmp_path)[sent[0]["id"]]
    assert response["result"] == {"filename": "cmd_1_3"}
    assert response["iteration"] == 3
    assert (tmp_path / "cmd_1_3").is_file()
    assert trainer.updater.iteration == 6


def test_take_snapshot_with_a_bad_filename_fails_and_training_goes_on(tmp_path):
    unknown = protocol.new_command(tmp_path, "take_snapshot", {"filename": "s_{.nothing}"})
    a_path = protocol.new_command(tmp_path, "take_snapshot", {"filename": "s_{.out}"})
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(CommandsExtension())
    trainer.run()
    got = responses(tmp_path)
    assert got[unknown["id"]]["status"] == "failed"
    assert "cannot format the filename 's_{.nothing}'" in got[unknown["id"]]["error"]
    assert got[a_path["id"]]["status"] == "failed"
    assert "plain file name" in got[a_path["id"]]["error"]
    assert trainer.updater.iteration == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kusari_ui"]


def test_stop_ends_the_run_after_the_current_iteration(tmp_path):
    sent = []
    trainer = make_trainer(tmp_path, stop=(30, "iteration"))
    trainer.extend(at_iteration(5, lambda t: sent.append(protocol.new_command(tmp_path, "stop"))))
    trainer.extend(CommandsExtension())
    trainer.run()
    assert trainer.updater.iteration == 5
    response = responses(tmp_path)[sent[0]["id"]]
    assert (response["status"], response["result"], response["iteration"]) == ("applied", {}, 5)
    heartbeat = protocol.read_heartbeat(tmp_path)
    assert (heartbeat["state"], heartbeat["iteration"], heartbeat["error"]) == ("finished", 5, None)
    assert isinstance(trainer.stop_trigger, training.triggers.IntervalTrigger)


def test_scheduled_commands_run_at_their_epoch_and_iteration(tmp_path):
    stop = protocol.new_command(tmp_path, "stop", schedule={"key": "iteration", "value": 7})
    adjust = protocol.new_command(
        tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.25}}, {"key": "epoch", "value": 2}
    )
    trainer = make_trainer(tmp_path, stop=(30, "iteration"))
    trainer.extend(CommandsExtension())
    recorder = Recorder(lambda t: (optimizer_of(t).lr, responses(tmp_path)))
    trainer.extend(recorder)
    trainer.run()

    assert trainer.updater.iteration == 7
    lrs = {iteration: lr for iteration, (lr, _) in recorder.seen.items()}
    assert lrs == {1: 0.1, 2: 0.1, 3: 0.1, 4: 0.25, 5: 0.25, 6: 0.25, 7: 0.25}
    early = recorder.seen[1][1]
    assert early[stop["id"]]["status"] == early[adjust["id"]]["status"] == "scheduled"
    assert (early[stop["id"]]["iteration"], early[stop["id"]]["result"]) == (1, None)
    assert recorder.seen[5][1][stop["id"]]["status"] == "scheduled"
    final = responses(tmp_path)
    assert (final[adjust["id"]]["status"], final[adjust["id"]]["epoch"]) == ("applied", 2)
    assert final[adjust["id"]]["iteration"] == 4
    assert final[adjust["id"]]["result"] == {"lr": {"old": 0.1, "new": 0.25}}
    assert (final[stop["id"]]["status"], final[stop["id"]]["iteration"]) == ("applied", 7)


def test_a_schedule_already_passed_runs_at_the_next_check(tmp_path):
    sent = []
    trainer = make_trainer(tmp_path, stop=(30, "iteration"))
    trainer.extend(at_iteration(4, lambda t: sent.append(protocol.new_command(
        tmp_path, "stop", schedule={"key": "epoch", "value": 1}))))
    trainer.extend(CommandsExtension())
    trainer.run()
    assert trainer.updater.iteration == 4
    assert responses(tmp_path)[sent[0]["id"]]["status"] == "applied"


def _weights_and_grads(trainer):
    linear = optimizer_of(trainer).target.predictor
    return linear.W.array.copy(), linear.W.grad.copy()


def _updates(trainer, recorder):
    """Per iteration k: (W_k - W_{k-1}, grad_k)."""
    previous = recorder.initial
    out = {}
    for k in sorted(recorder.seen):
        w, grad = recorder.seen[k]
        out[k] = (w - previous, grad)
        previous = w
    return out


def test_lr_change_scales_the_next_updates(tmp_path):
    trainer = make_trainer(tmp_path, stop=(6, "iteration"))
    trainer.extend(at_iteration(3, lambda t: protocol.new_command(
        tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.02}})))
    trainer.extend(CommandsExtension())
    recorder = Recorder(_weights_and_grads)
    recorder.initial = optimizer_of(trainer).target.predictor.W.array.copy()
    trainer.extend(recorder)
    trainer.run()

    assert optimizer_of(trainer).lr == 0.02
    assert optimizer_of(trainer).hyperparam.get_dict() == {"lr": 0.02}
    for k, (delta, grad) in _updates(trainer, recorder).items():
        lr = 0.1 if k <= 3 else 0.02
        assert numpy.abs(grad).max() > 1e-3
        numpy.testing.assert_allclose(delta, -lr * grad, rtol=1e-5, atol=1e-7, err_msg=str(k))


def test_momentum_change_takes_effect(tmp_path):
    optimizer = kusari.optimizers.MomentumSGD(lr=0.1, momentum=0.9)
    trainer = make_trainer(tmp_path, stop=(6, "iteration"), optimizer=optimizer)
    sent = []
    trainer.extend(at_iteration(3, lambda t: sent.append(protocol.new_command(
        tmp_path, "adjust_hyperparams", {"optimizer": "main", "hyperparams": {"momentum": 0}}))))
    trainer.extend(CommandsExtension())
    recorder = Recorder(_weights_and_grads)
    recorder.initial = optimizer.target.predictor.W.array.copy()
    trainer.extend(recorder)
    trainer.run()

    assert optimizer.momentum == 0.0 and isinstance(optimizer.momentum, float)
    assert responses(tmp_path)[sent[0]["id"]]["result"] == {"momentum": {"old": 0.9, "new": 0.0}}
    updates = _updates(trainer, recorder)
    delta, grad = updates[3]
    assert not numpy.allclose(delta, -0.1 * grad, rtol=1e-3)  # momentum still at work
    for k in (4, 5, 6):
        delta, grad = updates[k]
        numpy.testing.assert_allclose(delta, -0.1 * grad, rtol=1e-5, atol=1e-7, err_msg=str(k))


def test_lr_on_adam_sets_alpha(tmp_path):
    optimizer = kusari.optimizers.Adam(alpha=0.001)
    both = protocol.new_command(
        tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.01, "alpha": 0.02}}
    )
    good = protocol.new_command(
        tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.01, "beta1": 0.8, "eps": 1e-6}}
    )
    trainer = make_trainer(tmp_path, stop=(3, "iteration"), optimizer=optimizer)
    trainer.extend(CommandsExtension())
    trainer.run()

    got = responses(tmp_path)
    assert got[both["id"]]["status"] == "failed"
    assert "'lr' and 'alpha' both set 'alpha'" in got[both["id"]]["error"]
    assert got[good["id"]]["result"] == {
        "alpha": {"old": 0.001, "new": 0.01},
        "beta1": {"old": 0.9, "new": 0.8},
        "eps": {"old": 1e-8, "new": 1e-6},
    }
    assert (optimizer.alpha, optimizer.beta1, optimizer.eps) == (0.01, 0.8, 1e-6)
    expected_lr = 0.01 * numpy.sqrt(1 - 0.999**3) / (1 - 0.8**3)
    assert optimizer.lr == pytest.approx(expected_lr)


def test_failed_adjustments_change_nothing(tmp_path):
    optimizer = kusari.optimizers.Adam(alpha=0.001)
    sent = {}
    bodies = {
        "unknown": {"hyperparams": {"alpha": 0.5, "foo": 1.0}},
        "optimizer": {"optimizer": "gen", "hyperparams": {"alpha": 0.5}},
        "type": {"hyperparams": {"alpha": 0.5, "amsgrad": 1}},
        "not_bool": {"hyperparams": {"beta1": True}},
        "amsgrad": {"hyperparams": {"alpha": 0.5, "amsgrad": True}},
    }

    def send(trainer):
        for key, body in bodies.items():
            sent[key] = protocol.new_command(tmp_path, "adjust_hyperparams", body)

    trainer = make_trainer(tmp_path, stop=(4, "iteration"), optimizer=optimizer)
    trainer.extend(at_iteration(2, send))
    trainer.extend(CommandsExtension())
    trainer.run()

    got = responses(tmp_path)
    errors = {key: got[command["id"]]["error"] for key, command in sent.items()}
    assert all(got[command["id"]]["status"] == "failed" for command in sent.values())
    assert "Adam 'main' has no hyperparameter 'foo'; it has adabound, alpha" in errors["unknown"]
    assert "no optimizer named 'gen'; it has ['main']" in errors["optimizer"]
    assert "amsgrad of Adam 'main' is a boolean, got 1" in errors["type"]
    assert "beta1 of Adam 'main' is a number, got True" in errors["not_bool"]
    assert "amsgrad of Adam 'main' cannot be switched on after the first update" in (
        errors["amsgrad"]
    )
    assert (optimizer.alpha, optimizer.amsgrad, optimizer.beta1) == (0.001, False, 0.9)
    assert trainer.updater.iteration == 4


def test_invalid_and_damaged_command_files(tmp_path):
    directory = tmp_path / "kusari_ui" / "commands"
    directory.mkdir(parents=True)
    (directory / "00000000000000000001-x.json").write_text(
        '{"name": "explode", "body": {}, "schedule": null, "created_at": 1.0}'
    )
    (directory / "00000000000000000002-x.json").write_text('{"name": 3, "created_at": 1.0}')
    (directory / "00000000000000000003-x.json").write_text('{"name": "stop", "bo')
    (directory / ".00000000000000000004-x.json.tmp").write_text('{"name": "stop"}')
    trainer = make_trainer(tmp_path, stop=(3, "iteration"))
    trainer.extend(CommandsExtension())
    trainer.run()

    assert trainer.updater.iteration == 3
    first = protocol.read_response(tmp_path, "00000000000000000001-x")
    assert first["status"] == "failed" and "name must be one of" in first["error"]
    second = protocol.read_response(tmp_path, "00000000000000000002-x")
    assert second["status"] == "failed" and "name must be a string" in second["error"]
    assert not (directory / "00000000000000000003-x.response.json").exists()
    assert not (directory / ".00000000000000000004-x.json.response.json").exists()


def test_heartbeat_while_running_and_when_finished(tmp_path):
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(CommandsExtension(heartbeat_interval=0))
    recorder = Recorder(lambda t: protocol.read_heartbeat(tmp_path))
    trainer.extend(recorder)
    trainer.run()

    for iteration, heartbeat in recorder.seen.items():
        assert heartbeat["state"] == "running"
        assert heartbeat["iteration"] == iteration
        assert heartbeat["interval"] == 0.0
    final = protocol.read_heartbeat(tmp_path)
    assert final["state"] == "finished" and final["iteration"] == 4 and final["epoch"] == 2
    assert final["started_at"] == recorder.seen[1]["started_at"] <= final["updated_at"]
    assert protocol.run_status(final, None, final["updated_at"]) == "finished"


def test_heartbeat_is_written_at_most_every_interval(tmp_path):
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(CommandsExtension(heartbeat_interval=3600))
    recorder = Recorder(lambda t: protocol.read_heartbeat(tmp_path))
    trainer.extend(recorder)
    trainer.run()
    assert [hb["iteration"] for hb in recorder.seen.values()] == [0, 0, 0, 0]
    assert protocol.read_heartbeat(tmp_path)["iteration"] == 4


def test_heartbeat_says_crashed_when_another_extension_raises(tmp_path):
    def explode(trainer):
        raise RuntimeError("boom at three")

    trainer = make_trainer(tmp_path, stop=(10, "iteration"))
    trainer.extend(at_iteration(3, explode))
    trainer.extend(CommandsExtension())
    with pytest.raises(RuntimeError, match="boom at three"):
        trainer.run(show_loop_exception_msg=False)
    heartbeat = protocol.read_heartbeat(tmp_path)
    assert heartbeat["state"] == "crashed"
    assert heartbeat["error"] == "RuntimeError: boom at three"
    assert heartbeat["iteration"] == 3
    assert protocol.run_status(heartbeat, None, heartbeat["updated_at"]) == "crashed"


def test_heartbeat_says_interrupted_on_keyboard_interrupt(tmp_path):
    def interrupt(trainer):
        raise KeyboardInterrupt

    trainer = make_trainer(tmp_path, stop=(10, "iteration"))
    trainer.extend(at_iteration(2, interrupt))
    trainer.extend(CommandsExtension())
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    heartbeat = protocol.read_heartbeat(tmp_path)
    assert (heartbeat["state"], heartbeat["error"], heartbeat["iteration"]) == (
        "interrupted", "KeyboardInterrupt", 2
    )


def test_the_stop_trigger_keeps_its_interface(tmp_path):
    trainer = make_trainer(tmp_path, stop=(3, "epoch"))
    original = trainer.stop_trigger
    trainer.extend(CommandsExtension())
    recorder = Recorder(lambda t: t.stop_trigger.get_training_length())
    trainer.extend(recorder)
    trainer.extend(extensions.ProgressBar(out=io.StringIO()))
    trainer.run()
    assert set(recorder.seen.values()) == {(3, "epoch")}
    assert trainer.stop_trigger is original


@pytest.mark.parametrize("resume", ["load_npz", "autoload"])
def test_resume_never_runs_a_command_twice_and_keeps_the_hyperparameters(tmp_path, resume):
    adjust = protocol.new_command(tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.5}})
    at_3 = {"key": "iteration", "value": 3}
    snap = protocol.new_command(tmp_path, "take_snapshot", schedule=at_3)
    stop = protocol.new_command(tmp_path, "stop", schedule=at_3)
    later = protocol.new_command(
        tmp_path, "take_snapshot", {"filename": "later_{.updater.iteration}"},
        {"key": "iteration", "value": 6},
    )
    first = make_trainer(tmp_path, stop=(8, "iteration"))
    first.extend(CommandsExtension())
    first.extend(Recorder(lambda t: None))
    first.extend(extensions.snapshot(), trigger=(100, "iteration"))
    first.run()
    assert first.updater.iteration == 3
    before = responses(tmp_path)
    assert before[later["id"]]["status"] == "scheduled"

    second = make_trainer(tmp_path, stop=(8, "iteration"))
    assert optimizer_of(second).lr == 0.1
    second.extend(CommandsExtension())
    recorder = Recorder(lambda t: optimizer_of(t).lr)
    second.extend(recorder)
    autoload = resume == "autoload"
    second.extend(extensions.snapshot(autoload=autoload), trigger=(100, "iteration"))
    if not autoload:
        kusari.serializers.load_npz(str(tmp_path / "snapshot_iter_3"), second)
    second.run()

    assert second.updater.iteration == 8  # the stop command did not run again
    assert set(recorder.seen.values()) == {0.5}  # iterations 4..8 used the adjusted lr
    after = responses(tmp_path)
    for command in (adjust, snap, stop):
        assert after[command["id"]] == before[command["id"]]
    assert after[later["id"]]["status"] == "applied"
    assert after[later["id"]]["result"] == {"filename": "later_6"}
    assert sorted(p.name for p in tmp_path.iterdir() if "_" in p.name) == [
        "kusari_ui", "later_6", "snapshot_iter_3"
    ]


@pytest.mark.filterwarnings("ignore:IntervalTrigger")  # the extension's own trigger is new
def test_a_snapshot_taken_without_the_extension_loads(tmp_path):
    plain = make_trainer(tmp_path, stop=(2, "iteration"))
    plain.extend(extensions.snapshot(), trigger=(2, "iteration"))
    plain.run()
    resumed = make_trainer(tmp_path, stop=(4, "iteration"))
    resumed.extend(CommandsExtension())
    kusari.serializers.load_npz(str(tmp_path / "snapshot_iter_2"), resumed)
    resumed.run()
    assert resumed.updater.iteration == 4


def test_write_failures_only_warn(tmp_path):
    (tmp_path / "kusari_ui").write_text("a file where the folder should be")
    trainer = make_trainer(tmp_path, stop=(3, "iteration"))
    trainer.extend(CommandsExtension())
    with pytest.warns(RuntimeWarning, match="CommandsExtension: cannot"):
        trainer.run()
    assert trainer.updater.iteration == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heartbeat_interval": -1}, "heartbeat_interval must be a number of seconds >= 0"),
        ({"heartbeat_interval": float("nan")}, "heartbeat_interval"),
        ({"heartbeat_interval": "5"}, "heartbeat_interval"),
        ({"heartbeat_interval": True}, "heartbeat_interval"),
        ({"snapshot_filename": "../x_{.updater.iteration}"}, "snapshot_filename"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CommandsExtension(**kwargs)


def test_an_unchanged_commands_folder_is_not_listed_again(tmp_path, monkeypatch):
    directory = tmp_path / "kusari_ui" / "commands"
    directory.mkdir(parents=True)
    os.utime(directory, (1e9, 1e9))  # last changed long ago
    listings = []
    scan = protocol.scan_commands
    monkeypatch.setattr(protocol, "scan_commands", lambda out: listings.append(1) or scan(out))
    sent = []
    trainer = make_trainer(tmp_path, stop=(30, "iteration"))
    trainer.extend(at_iteration(6, lambda t: sent.append(protocol.new_command(tmp_path, "stop"))))
    trainer.extend(CommandsExtension(heartbeat_interval=3600))
    trainer.run()
    # listed at iteration 1, skipped at 2..5, listed again once the new file changed the folder
    assert trainer.updater.iteration == 6
    assert len(listings) == 2
    assert responses(tmp_path)[sent[0]["id"]]["status"] == "applied"
