"""Categorical DQN, "C51" (ChainerRL's ``chainerrl.agents.CategoricalDQN``).

Bellemare, Dabney and Munos 2017, "A Distributional Perspective on Reinforcement Learning"
(ICML): the Q-function outputs, per action, a categorical distribution of the return over fixed
atoms ``z``; the target distribution ``r + gamma^n * z`` (under the target network's greedy next
action) is projected back onto the atoms (Algorithm 1) and the model minimizes the cross
entropy to it.
"""

from __future__ import annotations

from typing import Any

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends import cuda
from kusari.variable import Variable
from kusari_rl.agents.dqn import DQN

__all__ = [
    "CategoricalDQN",
    "compute_categorical_target",
    "compute_value_loss",
    "compute_weighted_value_loss",
]


def _apply_categorical_projection(y: Any, y_probs: Any, z: Any) -> Any:
    """Project the distributions with atoms ``y`` and probabilities ``y_probs`` onto ``z``.

    Algorithm 1 of Bellemare et al. 2017: each probability is split between the two atoms of
    ``z`` around its (clipped) value, in proportion to the distances.

    Args:
        y: Atom values before the projection ``(B, N)``.
        y_probs: Their probabilities ``(B, N)``.
        z: The target atoms ``(N,)``, ascending and evenly spaced.

    Returns:
        The probabilities of the atoms ``z`` ``(B, N)``, float32.
    """
    batch_size, n_atoms = y.shape
    xp = backend.get_array_module(y)
    v_min, v_max = float(z[0]), float(z[-1])
    delta_z = (v_max - v_min) / (n_atoms - 1)
    # the atom index of each value, kept inside [0, N - 1] against rounding in delta_z
    b = xp.clip((xp.clip(y, v_min, v_max) - v_min) / delta_z, 0, n_atoms - 1)
    lower = xp.floor(b)
    upper_weight = b - lower
    lower = lower.astype(xp.int64)
    upper = xp.minimum(lower + 1, n_atoms - 1)
    offset = (xp.arange(batch_size) * n_atoms)[:, None]
    # an atom landing exactly on z[j] gives all its mass to j (upper_weight is 0 there)
    indices = xp.concatenate(((lower + offset).ravel(), (upper + offset).ravel()))
    weights = xp.concatenate(
        ((y_probs * (1 - upper_weight)).ravel(), (y_probs * upper_weight).ravel())
    )
    projected = xp.bincount(indices, weights=weights, minlength=batch_size * n_atoms)
    return projected.reshape(batch_size, n_atoms).astype(xp.float32, copy=False)


def compute_categorical_target(
    reward: Any, discount: Any, is_state_terminal: Any, next_probs: Any, z_values: Any
) -> Any:
    """The projected target distribution of C51 (Bellemare et al. 2017, Algorithm 1).

    The atoms move to ``r + discount * (1 - terminal) * z`` and are projected back onto ``z``;
    at a terminal next state all the mass goes to the atoms around ``r``.

    Args:
        reward: Discounted sums of the n rewards ``(B,)``, float32.
        discount: ``gamma ** n`` per transition ``(B,)``, float32.
        is_state_terminal: 1 where the last next state is terminal (gymnasium's
            ``terminated``), 0 otherwise, including truncated episodes ``(B,)``.
        next_probs: The next state's return distribution under the chosen next action
            ``(B, N)``.
        z_values: The atoms ``(N,)``, ascending and evenly spaced.

    Returns:
        The target probabilities ``(B, N)``, float32.

    Raises:
        ValueError: If the shapes do not fit together.
    """
    n_atoms = z_values.shape[0] if z_values.ndim == 1 else -1
    batch = reward.shape
    if (
        n_atoms < 2
        or len(batch) != 1
        or discount.shape != batch
        or is_state_terminal.shape != batch
        or next_probs.shape != (batch[0], n_atoms)
    ):
        raise ValueError(
            f"compute_categorical_target: expected reward, discount and is_state_terminal "
            f"(B,), next_probs (B, N) and z_values (N,) with N >= 2, got {reward.shape}, "
            f"{discount.shape}, {is_state_terminal.shape}, {next_probs.shape} and "
            f"{z_values.shape}"
        )
    tz = reward[:, None] + ((1.0 - is_state_terminal) * discount)[:, None] * z_values[None]
    return _apply_categorical_projection(tz, next_probs, z_values)


def _check_eltwise_loss(name: str, eltwise_loss: Any, batch_accumulator: str) -> None:
    if batch_accumulator not in ("mean", "sum"):
        raise ValueError(
            f"{name}: batch_accumulator must be 'mean' or 'sum', got {batch_accumulator!r}"
        )
    if eltwise_loss.ndim != 2:
        raise ValueError(f"{name}: eltwise_loss must be (B, N), got shape {eltwise_loss.shape}")


def compute_value_loss(eltwise_loss: Variable | Any, batch_accumulator: str = "mean") -> Variable:
    """Sum the per-atom losses of each transition, then average (or sum) over the batch.

    Args:
        eltwise_loss: Per-transition, per-atom losses ``(B, N)``.
        batch_accumulator: ``'mean'`` or ``'sum'`` over the batch.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If ``eltwise_loss`` is not 2-D or ``batch_accumulator`` is unknown.
    """
    _check_eltwise_loss("compute_value_loss", eltwise_loss, batch_accumulator)
    loss = F.sum(eltwise_loss)
    if batch_accumulator == "mean":
        loss = loss / eltwise_loss.shape[0]
    return loss


def compute_weighted_value_loss(
    eltwise_loss: Variable | Any,
    batch_size: int,
    weights: Any,
    batch_accumulator: str = "mean",
) -> Variable:
    """Like :func:`compute_value_loss` with one importance weight per transition.

    Args:
        eltwise_loss: Per-transition, per-atom losses ``(B, N)``.
        batch_size: ``B``, the divisor of ``'mean'``.
        weights: Weights ``(B,)``, float32.
        batch_accumulator: ``'mean'`` or ``'sum'`` over the batch.

    Returns:
        A scalar Variable ``sum_i weights[i] * sum_j eltwise_loss[i, j]`` (divided by
        ``batch_size`` for ``'mean'``).

    Raises:
        ValueError: If the shapes do not fit or ``batch_accumulator`` is unknown.
    """
    _check_eltwise_loss("compute_weighted_value_loss", eltwise_loss, batch_accumulator)
    if weights.shape != (eltwise_loss.shape[0],):
        raise ValueError(
            f"compute_weighted_value_loss: weights.shape {weights.shape} != "
            f"({eltwise_loss.shape[0]},) (one weight per transition)"
        )
    loss = F.sum(F.sum(eltwise_loss, axis=1) * weights)
    if batch_accumulator == "mean":
        loss = loss / batch_size
    return loss


class CategoricalDQN(DQN):
    """Categorical DQN, C51 (Bellemare et al. 2017).

    The arguments are those of :class:`~kusari_rl.agents.DQN`, except that ``q_function`` must
    return a :class:`~kusari_rl.action_value.DistributionalDiscreteActionValue` and
    ``clip_delta`` is ignored (the loss is a cross entropy). With a prioritized replay buffer
    the priorities are the per-transition cross entropies.
    """

    def _compute_target_values(self, exp_batch: dict[str, Any]) -> Any:
        """Target distributions ``(B, N)`` under the target network's greedy next actions."""
        target_next = self.target_model(exp_batch["next_state"])
        return compute_categorical_target(
            exp_batch["reward"],
            exp_batch["discount"],
            exp_batch["is_state_terminal"],
            target_next.max_as_distribution.array,
            target_next.z_values,
        )

    def _compute_y_and_t(self, exp_batch: dict[str, Any]) -> tuple[Variable, Any]:
        """Predicted distributions ``(B, N)`` of the taken actions and their targets."""
        y = self.model(exp_batch["state"]).evaluate_actions_as_distribution(exp_batch["action"])
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            t = self._compute_target_values(exp_batch)
        return y, t

    def _compute_loss(self, exp_batch: dict[str, Any], errors_out: list | None = None) -> Variable:
        """Cross entropy of the predicted to the target distributions."""
        y, t = self._compute_y_and_t(exp_batch)
        # y is clipped away from 0 before the log
        eltwise_loss = -t * F.log(F.clip(y, 1e-10, 1.0))
        if errors_out is not None:
            errors_out[:] = cuda.to_cpu(eltwise_loss.array.sum(axis=1)).tolist()
        if "weights" in exp_batch:
            return compute_weighted_value_loss(
                eltwise_loss,
                y.shape[0],
                exp_batch["weights"],
                batch_accumulator=self.batch_accumulator,
            )
        return compute_value_loss(eltwise_loss, batch_accumulator=self.batch_accumulator)
