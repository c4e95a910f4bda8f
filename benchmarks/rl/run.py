"""Learning speed and CPU cost of kusari-rl's presets, against Stable-Baselines3 when installed.

Each task trains one algorithm on one gymnasium environment over several seeds, single-threaded
(BLAS and PyTorch limited to one thread), evaluating every ``eval_interval`` steps with 10
deterministic episodes on a separate environment (with a single training environment, at the
first end of a training episode after each interval, for both libraries, as ChainerRL's loop
does). Both libraries get the same evaluation
protocol, and its CPU time is subtracted before steps per CPU-second are computed.

    python benchmarks/rl/run.py                       # every task, seeds 0 1 2
    python benchmarks/rl/run.py --tasks ppo_cartpole --seeds 0
    python benchmarks/rl/run.py --no-sb3              # kusari-rl only

kusari-rl runs its ``kusari-rl train`` presets (:mod:`kusari_rl.presets`) through its real
training loops (``train_agent`` / ``train_agent_batch``); SB3 runs the rl-baselines3-zoo
hyperparameters for the same environment.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from kusari_rl import experiments, misc, presets  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Task:
    algo: str
    env_id: str
    steps: int
    eval_interval: int
    threshold: float
    sb3_algo: str
    sb3_kwargs: dict[str, Any]
    sb3_n_envs: int = 1


TASKS = {
    "ppo_cartpole": Task(
        "ppo",
        "CartPole-v1",
        20_000,
        1_000,
        500.0,
        "PPO",
        {
            "n_steps": 32,
            "batch_size": 256,
            "gae_lambda": 0.8,
            "gamma": 0.98,
            "n_epochs": 20,
            "ent_coef": 0.0,
            "learning_rate": 1e-3,
            "clip_range": 0.2,
        },
        sb3_n_envs=8,
    ),
    "double_dqn_cartpole": Task(
        "double_dqn",
        "CartPole-v1",
        50_000,
        2_500,
        500.0,
        "DQN",
        {
            "learning_rate": 2.3e-3,
            "batch_size": 64,
            "buffer_size": 100_000,
            "learning_starts": 1_000,
            "gamma": 0.99,
            "target_update_interval": 10,
            "train_freq": 256,
            "gradient_steps": 128,
            "exploration_fraction": 0.16,
            "exploration_final_eps": 0.04,
            "policy_kwargs": {"net_arch": [256, 256]},
        },
    ),
    "sac_pendulum": Task(
        "sac",
        "Pendulum-v1",
        20_000,
        1_000,
        -200.0,
        "SAC",
        {"learning_rate": 1e-3},
    ),
    "td3_pendulum": Task(
        "td3",
        "Pendulum-v1",
        20_000,
        1_000,
        -200.0,
        "SAC",
        {"learning_rate": 1e-3},
    ),
}


@dataclasses.dataclass
class Run:
    evals: list[tuple[int, float]]
    train_cpu_s: float
    steps: int

    def first_reaching(self, threshold: float) -> int | None:
        return next((step for step, mean in self.evals if mean >= threshold), None)

    @property
    def steps_per_cpu_s(self) -> float:
        return self.steps / self.train_cpu_s


class _Evaluation:
    """Runs 10 deterministic episodes every ``interval`` steps and keeps its CPU time apart."""

    def __init__(
        self,
        env_id: str,
        interval: int,
        seed: int,
        act: Callable[[Any], Any],
        end_episode: Callable[[], None],
    ) -> None:
        self.env = presets.make_env(env_id, seed=seed + 10_000)
        self.interval = interval
        self.seed = seed
        self.act = act
        self.end_episode = end_episode
        self.next_at = interval
        self.evals: list[tuple[int, float]] = []
        self.cpu_s = 0.0

    def evaluate_if_necessary(self, t: int, episodes: int) -> None:
        """The single-environment loops' evaluator protocol: called when an episode ends."""
        self.maybe_run(t)

    def maybe_run(self, step: int) -> None:
        if step < self.next_at:
            return
        self.next_at += self.interval
        start = time.process_time()
        returns = []
        for episode in range(10):
            obs, _ = self.env.reset(seed=self.seed * 1000 + episode)
            total, done = 0.0, False
            while not done:
                obs, reward, terminated, truncated, _ = self.env.step(self.act(obs))
                total += float(reward)
                done = terminated or truncated
            self.end_episode()
            returns.append(total)
        self.evals.append((step, float(np.mean(returns))))
        self.cpu_s += time.process_time() - start


class _EvalHook(experiments.StepHook):
    def __init__(self, evaluation: _Evaluation) -> None:
        self.evaluation = evaluation

    def __call__(self, env: Any, agent: Any, step: int) -> None:
        self.evaluation.maybe_run(step)


def run_kusari(task: Task, seed: int) -> Run:
    misc.set_random_seed(seed)
    hp = presets.resolve_hyperparams(task.algo, {"steps": task.steps})
    evaluation: _Evaluation
    with tempfile.TemporaryDirectory() as outdir:
        if hp["num_envs"] == 1:
            env = presets.make_env(task.env_id, seed=seed)
            agent = presets.build_agent(task.algo, env.observation_space, env.action_space, hp)
            evaluation = _Evaluation(
                task.env_id, task.eval_interval, seed, agent.act, agent.stop_episode
            )
            start = time.process_time()
            experiments.train_agent(agent, env, task.steps, outdir, evaluator=evaluation)
        else:
            env = presets.make_vector_env(task.env_id, hp["num_envs"], seed)
            agent = presets.build_agent(
                task.algo, env.single_observation_space, env.single_action_space, hp
            )
            evaluation = _Evaluation(
                task.env_id, task.eval_interval, seed, agent.act, agent.stop_episode
            )
            start = time.process_time()
            experiments.train_agent_batch(
                agent, env, task.steps, outdir, step_hooks=[_EvalHook(evaluation)]
            )
        total = time.process_time() - start
    return Run(evaluation.evals, total - evaluation.cpu_s, task.steps)


def run_sb3(task: Task, seed: int) -> Run:
    import gymnasium
    import stable_baselines3
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    cls = getattr(stable_baselines3, task.sb3_algo)
    if task.sb3_n_envs > 1:
        env = make_vec_env(task.env_id, n_envs=task.sb3_n_envs, seed=seed)
    else:
        env = gymnasium.make(task.env_id)
    model = cls("MlpPolicy", env, seed=seed, device="cpu", **task.sb3_kwargs)
    evaluation = _Evaluation(
        task.env_id,
        task.eval_interval,
        seed,
        lambda obs: model.predict(obs, deterministic=True)[0],
        lambda: None,
    )

    class _Callback(BaseCallback):
        def _on_step(self) -> bool:
            # with one environment, evaluate when a training episode ends, as kusari-rl's
            # single-environment loop does (its agents keep per-episode state)
            if task.sb3_n_envs > 1 or self.locals["dones"][0]:
                evaluation.maybe_run(self.num_timesteps)
            return True

    start = time.process_time()
    model.learn(task.steps, callback=_Callback())
    total = time.process_time() - start
    return Run(evaluation.evals, total - evaluation.cpu_s, task.steps)


def _summary(name: str, runs: list[Run], task: Task) -> dict[str, Any]:
    reached = [run.first_reaching(task.threshold) for run in runs]
    speeds = [run.steps_per_cpu_s for run in runs]
    return {
        "library": name,
        "steps_to_threshold": reached,
        "final_eval": [run.evals[-1][1] if run.evals else None for run in runs],
        "steps_per_cpu_s": statistics.median(speeds),
    }


def _fmt_reached(reached: list[int | None], steps: int) -> str:
    return " ".join(f">{steps}" if r is None else str(r) for r in reached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task names")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    try:
        import stable_baselines3  # noqa: F401

        with_sb3 = not args.no_sb3
    except ImportError:
        with_sb3 = False
    results = {}
    sb3_speed: dict[str, float] = {}
    for name in args.tasks.split(","):
        task = TASKS[name]
        rows = [_summary("kusari-rl", [run_kusari(task, s) for s in args.seeds], task)]
        if with_sb3:
            if task.sb3_algo not in sb3_speed or name != "td3_pendulum":
                rows.append(
                    _summary(f"SB3 {task.sb3_algo}", [run_sb3(task, s) for s in args.seeds], task)
                )
                sb3_speed[task.sb3_algo] = rows[-1]["steps_per_cpu_s"]
        results[name] = rows
        print(f"\n{name} ({task.env_id}, threshold {task.threshold}, seeds {args.seeds})")
        print(
            f"  {'library':<12} {'steps to threshold':<24} {'final eval':<28} "
            f"{'steps/CPU-s':>12}  ratio"
        )
        for row in rows:
            ratio = ""
            if row["library"] == "kusari-rl" and task.sb3_algo in sb3_speed:
                ratio = f"{row['steps_per_cpu_s'] / sb3_speed[task.sb3_algo]:.2f}x"
            finals = " ".join(f"{v:.1f}" if v is not None else "-" for v in row["final_eval"])
            print(
                f"  {row['library']:<12} "
                f"{_fmt_reached(row['steps_to_threshold'], task.steps):<24} {finals:<28} "
                f"{row['steps_per_cpu_s']:>12.0f}  {ratio}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
