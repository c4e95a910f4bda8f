"""examples/rl/train_dqn_gym.py: a ChainerRL script whose only kusari-rl lines are its imports."""

import importlib.util
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "rl", "train_dqn_gym.py")


def _load_example():
    spec = importlib.util.spec_from_file_location("train_dqn_gym_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_imports_name_kusari():
    with open(SCRIPT, encoding="utf-8") as f:
        code = f.read().split('"""', 2)[2]
    lines = [line for line in code.splitlines() if "kusari" in line]
    assert len(lines) == 2
    for line in lines:
        assert re.match(r"^(import kusari|from kusari)", line), line


def test_trains_and_writes_chainerrl_and_kusari_results(tmp_path):
    outdir = _load_example().main(
        [
            "--steps",
            "1200",
            "--eval-interval",
            "400",
            "--eval-n-runs",
            "2",
            "--replay-start-size",
            "300",
            "--outdir",
            str(tmp_path),
        ]
    )
    assert os.path.dirname(outdir) == str(tmp_path)
    with open(os.path.join(outdir, "scores.txt"), encoding="utf-8") as f:
        rows = [line.split("\t") for line in f.read().splitlines()]
    assert rows[0][:8] == ["steps", "episodes", "elapsed", "mean", "median", "stdev", "max", "min"]
    assert len(rows) >= 3
    with open(os.path.join(outdir, "log"), encoding="utf-8") as f:
        log = json.load(f)
    assert [e["step"] for e in log] == [int(r[0]) for r in rows[1:]]
    assert log[-1]["agent/n_updates"] > 0
    assert os.path.isdir(os.path.join(outdir, "1200_finish"))
    with open(os.path.join(outdir, "args"), encoding="utf-8") as f:
        assert json.load(f)["env"] == "CartPole-v1"
