"""The issue's learning targets on real gymnasium tasks, through ``kusari-rl train`` (slow).

Run with ``nox -s tests_rl_slow`` (``pytest tests/rl -m slow``); the normal suite skips them.
"""

import json

import pytest

from kusari_rl import cli


def _best_eval_reached_by(outdir, steps):
    with open(outdir / "log", encoding="utf-8") as f:
        entries = json.load(f)
    return max(e["eval/mean"] for e in entries if e["step"] <= steps)


def _train(tmp_path, algo, env_id, steps, seed):
    base = tmp_path / f"{algo}_{seed}"
    assert (
        cli.main(
            [
                "train",
                algo,
                env_id,
                "--steps",
                str(steps),
                "--seed",
                str(seed),
                "--outdir",
                str(base),
                "--no-progress",
            ]
        )
        == 0
    )
    (outdir,) = base.iterdir()
    return outdir


@pytest.mark.slow
def test_ppo_balances_cartpole_within_20k_steps(tmp_path):
    outdir = _train(tmp_path, "ppo", "CartPole-v1", 20_000, seed=0)
    assert _best_eval_reached_by(outdir, 20_000) >= 500.0


@pytest.mark.slow
def test_double_dqn_balances_cartpole_within_50k_steps_in_two_of_three_seeds(tmp_path):
    reached = [
        _best_eval_reached_by(_train(tmp_path, "double_dqn", "CartPole-v1", 50_000, seed), 50_000)
        >= 500.0
        for seed in range(3)
    ]
    assert sum(reached) >= 2, reached


@pytest.mark.slow
def test_sac_swings_pendulum_up_within_20k_steps(tmp_path):
    outdir = _train(tmp_path, "sac", "Pendulum-v1", 20_000, seed=0)
    assert _best_eval_reached_by(outdir, 20_000) >= -200.0
