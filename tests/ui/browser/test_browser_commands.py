"""End to end: steer a real Trainer run (a subprocess) from the page in Chromium."""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

# A tiny classifier trained slowly (a sleep per iteration), so that it is still running while
# the page sends commands; the stop trigger ends it on its own after ~20 s at the latest.
TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    import time

    import numpy as np

    import kusari as chainer
    import kusari.links as L
    from kusari import training
    from kusari.training import extensions
    from kusari_ui.extensions import CommandsExtension

    out = sys.argv[1]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int32)
    train = chainer.datasets.TupleDataset(x, t)
    model = L.Classifier(L.Linear(4, 2))
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(model)
    it = chainer.iterators.SerialIterator(train, 8)
    updater = training.updaters.StandardUpdater(it, optimizer)
    trainer = training.Trainer(updater, (400, "iteration"), out=out)
    trainer.extend(extensions.LogReport(trigger=(1, "epoch")))
    trainer.extend(extensions.observe_lr())
    trainer.extend(lambda trainer: time.sleep(0.05), name="slow", trigger=(1, "iteration"))
    trainer.extend(CommandsExtension(heartbeat_interval=1.0))
    training.save_args({"lr": 0.1, "batchsize": 8}, out)
    trainer.run()
""")


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _last_logged(out: Path, key: str):
    """The value of ``key`` in the last entry of ``out/log``, or None while there is none."""
    try:
        return json.loads((out / "log").read_text())[-1].get(key)
    except (FileNotFoundError, json.JSONDecodeError, IndexError):
        return None


def command_row(page, name: str):
    return page.locator(f'[data-testid="command-row"][data-name="{name}"]')


def test_snapshot_adjust_and_stop_a_running_training(page, live_server, tmp_path: Path):
    project = tmp_path / "project"
    out = project / "run"
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    log_file = tmp_path / "train.log"
    with open(log_file, "wb") as stdout:
        process = subprocess.Popen([sys.executable, str(script), str(out)], cwd=tmp_path,
                                   stdout=stdout, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: (out / "log").exists() or process.poll() is not None, 30,
                 "the training's first log")
        assert process.poll() is None, log_file.read_text()
        pid = live_server.add_project(project, name="live")

        page.goto(f"{live_server.url}#/project/{pid}")
        row = page.locator('[data-testid="result-row"]')
        row.wait_for()
        assert row.locator('[data-testid="status-badge"]').inner_text() == "running"
        row.locator('[data-testid="row-commands"]').click()
        panel = page.locator('[data-testid="commands-panel"]')
        panel.wait_for()
        assert panel.locator('[data-testid="commands-run"]').inner_text() == "run"

        # Take a snapshot: the file appears in the out folder and the response on the page.
        panel.locator('[data-testid="cmd-snapshot"]').click()
        snapshot = command_row(page, "take_snapshot")
        snapshot.locator('[data-testid="command-status"]:text-is("applied")').wait_for()
        result = json.loads(snapshot.locator('[data-testid="command-result"]').inner_text())
        assert (out / result["filename"]).is_file()
        assert result["filename"].startswith("snapshot_iter_")
        panel.locator(f'[data-testid="snapshot"]:has-text("{result["filename"]}")').wait_for()
        page.screenshot(path=str(tmp_path / "snapshot_taken.png"))

        # Adjust the learning rate now.
        panel.locator('[data-testid="adjust-name"]').fill("lr")
        panel.locator('[data-testid="adjust-value"]').fill("0.025")
        panel.locator('[data-testid="cmd-adjust"]').click()
        adjust = command_row(page, "adjust_hyperparams")
        adjust.locator('[data-testid="command-status"]:text-is("applied")').wait_for()
        assert json.loads(adjust.locator('[data-testid="command-result"]').inner_text()) == {
            "lr": {"old": 0.1, "new": 0.025}}
        # the new lr reaches the log with the next epoch's entry; stopping earlier races it
        wait_for(lambda: _last_logged(out, "lr") == 0.025, 20, "a log entry with the new lr")

        # Stop (a second click confirms): the training ends on its own, finished.
        panel.locator('[data-testid="cmd-stop"]').click()
        assert panel.locator('[data-testid="cmd-stop"]').inner_text() == "Confirm stop"
        panel.locator('[data-testid="cmd-stop"]').click()
        assert process.wait(timeout=20) == 0, log_file.read_text()
        command_row(page, "stop").locator(
            '[data-testid="command-status"]:text-is("applied")').wait_for()
        page.evaluate("() => window.kusariUI.refresh()")
        row.locator('[data-testid="status-badge"]:text-is("finished")').wait_for()
        page.screenshot(path=str(tmp_path / "stopped.png"), full_page=True)
        log = json.loads((out / "log").read_text())
        assert log[-1]["iteration"] < 400  # stopped well before its stop trigger
        assert log[-1]["lr"] == 0.025
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
