"""1,000 commands from two writer processes at once: none lost, none run twice."""

import collections
import subprocess
import sys

import numpy

import kusari
import kusari.links as L
from kusari import optimizer as optimizer_module
from kusari import training
from kusari.datasets import TupleDataset
from kusari.iterators import SerialIterator
from kusari_ui import protocol
from kusari_ui.extensions import CommandsExtension

PER_WRITER = 500

# Writer `w` sends lr = (w * PER_WRITER + i + 1) / 2**20 for i < PER_WRITER: 1,000 distinct
# values, exact in binary, so each application can be traced back to its command.
WRITER = """
import sys
from kusari_ui import protocol
out, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    lr = (writer * count + i + 1) / 2**20
    protocol.new_command(out, "adjust_hyperparams", {"hyperparams": {"lr": lr}})
"""


def _start_writers(out):
    return [
        subprocess.Popen([sys.executable, "-c", WRITER, str(out), str(w), str(PER_WRITER)])
        for w in range(2)
    ]


def _expected_lrs():
    return {(k + 1) / 2**20 for k in range(2 * PER_WRITER)}


def test_two_writers_and_a_running_trainer_lose_and_duplicate_nothing(tmp_path):
    applied = []

    class RecordingHyperparameter(optimizer_module.Hyperparameter):
        """Records every value given to lr: one per application of a command."""

        def __setattr__(self, name, value):
            if name == "lr":
                applied.append(value)
            super().__setattr__(name, value)

    optimizer = kusari.optimizers.SGD(lr=0.0)
    object.__setattr__(optimizer.hyperparam, "__class__", RecordingHyperparameter)
    applied.clear()
    optimizer.setup(L.Linear(2, 1))
    x = numpy.zeros((4, 2), numpy.float32)
    iterator = SerialIterator(TupleDataset(x, numpy.zeros((4, 1), numpy.float32)), 2)
    updater = training.updaters.StandardUpdater(
        iterator, optimizer, loss_func=lambda x, t: kusari.functions.mean_squared_error(
            optimizer.target(x), t)
    )

    writers = _start_writers(tmp_path)
    settled = [0]

    def stop_when_settled(trainer):
        # Go on for 200 more iterations after the last command, so that a command read twice
        # would have its chance to run twice; give up after 200,000 iterations.
        if len(applied) >= 2 * PER_WRITER and all(w.poll() is not None for w in writers):
            settled[0] += 1
        return settled[0] > 200 or trainer.updater.iteration >= 200_000

    trainer = training.Trainer(updater, stop_when_settled, out=str(tmp_path))
    trainer.extend(CommandsExtension())
    try:
        trainer.run()
    finally:
        codes = [w.wait(timeout=60) for w in writers]
    assert codes == [0, 0]

    counts = collections.Counter(applied)
    assert len(applied) == 2 * PER_WRITER
    assert set(counts) == _expected_lrs()
    assert set(counts.values()) == {1}

    commands = protocol.list_commands(tmp_path)
    assert len(commands) == 2 * PER_WRITER
    assert len({c["id"] for c in commands}) == 2 * PER_WRITER
    for command in commands:
        response = command["response"]
        assert response is not None and response["status"] == "applied", command
        assert response["result"]["lr"]["new"] == command["body"]["hyperparams"]["lr"]
    assert protocol.read_heartbeat(tmp_path)["state"] == "finished"


def test_readers_never_see_a_partial_command_while_two_writers_write(tmp_path):
    writers = _start_writers(tmp_path)
    snapshots = 0
    while any(w.poll() is None for w in writers):
        for command in protocol.list_commands(tmp_path):
            assert command["name"] == "adjust_hyperparams"
            assert command["body"]["hyperparams"]["lr"] in _expected_lrs()
        snapshots += 1
    assert [w.returncode for w in writers] == [0, 0]
    assert snapshots >= 1
    commands = protocol.list_commands(tmp_path)
    assert {c["body"]["hyperparams"]["lr"] for c in commands} == _expected_lrs()
    assert len({c["id"] for c in commands}) == 2 * PER_WRITER
    assert [c["id"] for c in commands] == sorted(c["id"] for c in commands)
