"""``kusari-rl train`` / ``eval`` and the presets behind them, on the toy environments."""

import json

import gymnasium
import numpy as np
import pytest
from _rl_toy_envs import ChainEnv, PointEnv

from kusari_rl import cli, presets

gymnasium.register("KusariTestChain-v0", entry_point=ChainEnv)
gymnasium.register("KusariTestPoint-v0", entry_point=PointEnv)

_FAST = {
    "dqn": {
        "replay_start_size": 20,
        "update_interval": 1,
        "n_times_update": 1,
        "minibatch_size": 8,
    },
    "double_dqn": {
        "replay_start_size": 20,
        "update_interval": 1,
        "n_times_update": 1,
        "minibatch_size": 8,
    },
    "c51": {
        "replay_start_size": 20,
        "update_interval": 1,
        "n_times_update": 1,
        "minibatch_size": 8,
    },
    "iqn": {
        "replay_start_size": 20,
        "update_interval": 1,
        "n_times_update": 1,
        "minibatch_size": 8,
    },
    "ppo": {"update_interval": 32, "minibatch_size": 16, "epochs": 2},
    "a2c": {},
    "trpo": {"update_interval": 32, "vf_batch_size": 16},
    "reinforce": {"batchsize": 1},
    "sac": {"replay_start_size": 20, "minibatch_size": 8},
    "td3": {"replay_start_size": 20, "minibatch_size": 8},
    "ddpg": {"replay_start_size": 20, "minibatch_size": 8},
}


def _small(algo):
    return {**_FAST[algo], "n_hidden_channels": 8, "num_envs": 1 if algo != "a2c" else 2}


@pytest.mark.parametrize("algo", sorted(presets.PRESETS))
def test_every_preset_builds_an_agent_that_trains_a_few_steps(algo):
    kind = presets.PRESETS[algo].action_kind
    env_id = "KusariTestPoint-v0" if kind == "continuous" else "KusariTestChain-v0"
    hp = _small(algo)
    if hp["num_envs"] == 1:
        env = presets.make_env(env_id, seed=0)
        agent = presets.build_agent(algo, env.observation_space, env.action_space, hp)
        obs, _ = env.reset(seed=0)
        reward = 0.0
        for _ in range(60):
            action = agent.act_and_train(obs, reward)
            obs, reward, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                agent.stop_episode_and_train(obs, reward, done=terminated)
                obs, _ = env.reset()
                reward = 0.0
        action = agent.act(obs)
    else:
        env = presets.make_vector_env(env_id, hp["num_envs"], seed=0)
        agent = presets.build_agent(algo, env.single_observation_space, env.single_action_space, hp)
        obs, _ = env.reset(seed=0)
        for _ in range(30):
            actions = agent.batch_act_and_train(obs)
            obs, rewards, terminated, truncated, _ = env.step(np.asarray(actions))
            agent.batch_observe_and_train(obs, rewards, terminated, truncated)
        action = agent.batch_act(obs)[0]
    space = env.single_action_space if hp["num_envs"] > 1 else env.action_space
    assert space.contains(np.asarray(action).astype(space.dtype))


def test_train_writes_the_result_folder_and_eval_replays_the_best_agent(tmp_path, capsys):
    sets = [f"--set={k}={json.dumps(v)}" for k, v in _small("double_dqn").items()]
    status = cli.main(
        [
            "train",
            "double_dqn",
            "KusariTestChain-v0",
            "--steps",
            "600",
            "--seed",
            "3",
            "--outdir",
            str(tmp_path),
            "--no-progress",
            "--set",
            "eval_interval=200",
            "--set",
            "eval_n_episodes=2",
            *sets,
        ]
    )
    assert status == 0
    (outdir,) = tmp_path.iterdir()
    names = {p.name for p in outdir.iterdir()}
    assert {"args", "log", "scores.txt", "best", "600_finish", "final_eval.json"} <= names
    record = json.loads((outdir / "args").read_text())
    assert record["algo"] == "double_dqn" and record["hyperparams"]["n_hidden_channels"] == 8
    log = json.loads((outdir / "log").read_text())
    steps = [entry["step"] for entry in log]
    assert len(steps) == 3 and steps[-1] == 600
    assert all(200 * (i + 1) <= step for i, step in enumerate(steps))
    final = json.loads((outdir / "final_eval.json").read_text())
    assert set(final) == {"mean", "median", "stdev", "max", "min"}
    capsys.readouterr()
    assert cli.main(["eval", str(outdir), "KusariTestChain-v0", "--episodes", "2"]) == 0
    replayed = capsys.readouterr().out
    assert replayed.startswith("evaluation: mean ")
    assert f"mean {final['mean']:.2f}" in replayed


def test_train_with_a_vector_env_runs_the_batch_loop(tmp_path):
    status = cli.main(
        [
            "train",
            "ppo",
            "KusariTestChain-v0",
            "--steps",
            "256",
            "--num-envs",
            "4",
            "--outdir",
            str(tmp_path),
            "--no-progress",
            "--set",
            "eval_interval=128",
            "--set",
            "eval_n_episodes=2",
            "--set",
            "update_interval=64",
            "--set",
            "minibatch_size=32",
            "--set",
            "epochs=1",
        ]
    )
    assert status == 0
    (outdir,) = tmp_path.iterdir()
    log = json.loads((outdir / "log").read_text())
    assert log and log[-1]["step"] >= 128


def test_unknown_hyperparameters_and_bad_flags_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="ppo: no hyperparameter 'learning_rate'"):
        cli.main(
            ["train", "ppo", "CartPole-v1", "--set", "learning_rate=1", "--outdir", str(tmp_path)]
        )
    with pytest.raises(SystemExit):
        cli.main(["train", "ppo", "CartPole-v1", "--set", "lr"])
    assert "--set expects KEY=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "ppo", "CartPole-v1", "--device", "tpu"])
    assert "--device expects cpu" in capsys.readouterr().err


def test_a_preset_refuses_the_wrong_kind_of_action_space():
    env = presets.make_env("KusariTestPoint-v0", seed=0)
    with pytest.raises(ValueError, match="dqn: needs a discrete action space"):
        presets.build_agent("dqn", env.observation_space, env.action_space)


def test_eval_of_a_folder_without_args_says_what_to_pass(tmp_path):
    with pytest.raises(SystemExit, match="has no 'args' file"):
        cli.main(["eval", str(tmp_path), "KusariTestChain-v0"])
