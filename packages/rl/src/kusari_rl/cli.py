"""The ``kusari-rl`` command: train an agent on a gymnasium environment, or replay a saved one.

``kusari-rl train ALGO ENV_ID`` builds the agent of :mod:`kusari_rl.presets` for the
environment, trains it with periodic evaluation (ChainerRL's ``scores.txt`` and a Kusari ``log``
that kusari-ui plots), and evaluates the best agent at the end. ``kusari-rl eval OUTDIR ENV_ID``
rebuilds the agent from ``OUTDIR/args`` and replays it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from kusari_rl import experiments, misc, presets

_AGENT_NAMES = ("best", "finish")


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _parse_device(text: str) -> int | None:
    """``cpu``/``-1`` give ``None``; ``N``, ``cuda:N`` or ``@cupy:N`` give GPU ``N``."""
    lowered = text.lower()
    if lowered in ("cpu", "-1", "@numpy"):
        return None
    for prefix in ("@cupy:", "cuda:", "gpu:", ""):
        number = lowered.removeprefix(prefix)
        if lowered.startswith(prefix) and number.isdigit():
            return int(number)
    raise argparse.ArgumentTypeError(f"--device expects cpu, a GPU number or @cupy:N, got {text!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kusari-rl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train an agent with its tuned defaults")
    train.add_argument("algo", choices=sorted(presets.PRESETS))
    train.add_argument("env_id", help="a gymnasium environment id, e.g. CartPole-v1")
    train.add_argument("--steps", type=int, help="environment steps (default: the preset's)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--outdir", default="results", help="results go into OUTDIR/<time>")
    train.add_argument("--num-envs", type=int, help="vector environments (default: the preset's)")
    train.add_argument("--device", type=_parse_device, default=None, help="cpu or a GPU number")
    train.add_argument(
        "--set",
        type=_parse_override,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a hyperparameter (JSON value), e.g. --set lr=3e-4",
    )
    train.add_argument("--async-envs", action="store_true", help="AsyncVectorEnv processes")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    replay = commands.add_parser("eval", help="replay an agent saved by `kusari-rl train`")
    replay.add_argument("outdir", help="the folder `kusari-rl train` printed")
    replay.add_argument("env_id")
    replay.add_argument("--agent", default="best", help="'best', 'finish' or a sub-folder name")
    replay.add_argument("--episodes", type=int, default=10)
    replay.add_argument("--seed", type=int, default=12345)
    replay.add_argument("--device", type=_parse_device, default=None)
    return parser


class _ProgressHook(experiments.StepHook):
    """A tqdm bar over the training steps."""

    def __init__(self, total: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="step", dynamic_ncols=True)
        self.last = 0

    def __call__(self, env: Any, agent: Any, step: int) -> None:
        self.bar.update(step - self.last)
        self.last = step


def _train(args: argparse.Namespace) -> int:
    overrides = dict(args.set)
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.num_envs is not None:
        overrides["num_envs"] = args.num_envs
    hp = presets.resolve_hyperparams(args.algo, overrides)
    misc.set_random_seed(args.seed, gpus=() if args.device is None else (args.device,))
    record = {"algo": args.algo, "env_id": args.env_id, "seed": args.seed, "hyperparams": hp}
    outdir = experiments.prepare_output_dir(
        argparse.Namespace(**record), user_specified_dir=args.outdir, argv=sys.argv
    )
    hooks = [] if args.no_progress else [_ProgressHook(hp["steps"])]
    common = {
        "steps": hp["steps"],
        "eval_n_steps": None,
        "eval_n_episodes": hp["eval_n_episodes"],
        "eval_interval": hp["eval_interval"],
        "outdir": outdir,
        "step_hooks": hooks,
        "save_best_so_far_agent": True,
    }
    eval_env = presets.make_env(args.env_id, seed=args.seed + 10_000)
    if hp["num_envs"] == 1:
        env = presets.make_env(args.env_id, seed=args.seed)
        agent = presets.build_agent(
            args.algo, env.observation_space, env.action_space, hp, args.device
        )
        experiments.train_agent_with_evaluation(agent, env, eval_env=eval_env, **common)
    else:
        env = presets.make_vector_env(args.env_id, hp["num_envs"], args.seed, args.async_envs)
        agent = presets.build_agent(
            args.algo, env.single_observation_space, env.single_action_space, hp, args.device
        )
        experiments.train_agent_batch_with_evaluation(agent, env, eval_env=eval_env, **common)
        env.close()
    for hook in hooks:
        hook.bar.close()
    best = os.path.join(outdir, "best")
    if os.path.isdir(best):
        # a fresh agent: the saved optimizers may predate state the trained ones have by now
        agent = presets.build_agent(
            args.algo, eval_env.observation_space, eval_env.action_space, hp, args.device
        )
        agent.load(best)
    stats = experiments.eval_performance(eval_env, agent, None, hp["eval_n_episodes"])
    _report(outdir, "final_eval.json", stats)
    print(f"results in {outdir}")
    return 0


def _agent_folder(outdir: str, name: str) -> str:
    if name == "finish":
        finished = [d for d in os.listdir(outdir) if d.endswith("_finish")]
        if not finished:
            raise SystemExit(f"kusari-rl eval: no *_finish folder in {outdir}")
        return os.path.join(outdir, max(finished, key=lambda d: int(d.split("_")[0])))
    folder = os.path.join(outdir, name)
    if not os.path.isdir(folder):
        raise SystemExit(f"kusari-rl eval: no saved agent {folder}")
    return folder


def _eval(args: argparse.Namespace) -> int:
    try:
        with open(os.path.join(args.outdir, "args"), encoding="utf-8") as f:
            record = json.load(f)
    except FileNotFoundError:
        raise SystemExit(
            f"kusari-rl eval: {args.outdir} has no 'args' file; pass the folder "
            "`kusari-rl train` printed"
        ) from None
    env = presets.make_env(args.env_id, seed=args.seed)
    agent = presets.build_agent(
        record["algo"],
        env.observation_space,
        env.action_space,
        record["hyperparams"],
        args.device,
    )
    agent.load(_agent_folder(args.outdir, args.agent))
    stats = experiments.eval_performance(env, agent, None, args.episodes)
    _report(None, None, stats)
    return 0


def _report(outdir: str | None, name: str | None, stats: dict[str, float]) -> None:
    line = ", ".join(f"{key} {value:.2f}" for key, value in stats.items())
    print(f"evaluation: {line}")
    if outdir is not None and name is not None:
        path = os.path.join(outdir, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(stats, f, indent=4)
        os.replace(path + ".tmp", path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kusari-rl`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    return _eval(args)


if __name__ == "__main__":
    sys.exit(main())
