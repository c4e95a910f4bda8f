"""Training loops, evaluation and result folders (ChainerRL's ``chainerrl.experiments``).

Training: :func:`train_agent` and :func:`train_agent_with_evaluation` for one gymnasium
environment, :func:`train_agent_batch` and :func:`train_agent_batch_with_evaluation` for a
gymnasium vector environment. Evaluation: :class:`Evaluator`, :func:`eval_performance`,
:func:`run_evaluation_episodes`, :func:`batch_run_evaluation_episodes`. Result folders:
:func:`prepare_output_dir`; their files are described in ``docs/result-format.md`` ("RL runs").
"""

from kusari_rl.experiments.collect_demos import collect_demonstrations
from kusari_rl.experiments.evaluator import (
    Evaluator,
    batch_run_evaluation_episodes,
    eval_performance,
    run_evaluation_episodes,
    save_agent,
)
from kusari_rl.experiments.hooks import LinearInterpolationHook, StepHook
from kusari_rl.experiments.prepare_output_dir import is_under_git_control, prepare_output_dir
from kusari_rl.experiments.train_agent import train_agent, train_agent_with_evaluation
from kusari_rl.experiments.train_agent_batch import (
    train_agent_batch,
    train_agent_batch_with_evaluation,
)

__all__ = [
    "Evaluator",
    "LinearInterpolationHook",
    "StepHook",
    "batch_run_evaluation_episodes",
    "collect_demonstrations",
    "eval_performance",
    "is_under_git_control",
    "prepare_output_dir",
    "run_evaluation_episodes",
    "save_agent",
    "train_agent",
    "train_agent_batch",
    "train_agent_batch_with_evaluation",
    "train_agent_with_evaluation",
]
