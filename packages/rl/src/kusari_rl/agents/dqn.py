"""Deep Q-Network (ChainerRL's ``chainerrl.agents.DQN``).

Mnih et al. 2015, "Human-level control through deep reinforcement learning" (Nature 518): a
Q-function learned by regressing ``Q(s, a)`` on the one-step (or n-step) target
``r + gamma^n * max_a' Q_target(s', a')`` over minibatches drawn from a replay buffer, with a
target network synchronized every ``target_update_interval`` steps.

The pure pieces live at module level so they can be tested on arrays: the losses
(:func:`compute_value_loss`, :func:`compute_weighted_value_loss`) and the target
(:func:`compute_q_target`). A transition whose next state is terminal (gymnasium's
``terminated``) has target ``r``; one whose episode was only cut (``truncated``) bootstraps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from logging import Logger, getLogger
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari.backends import cuda
from kusari.variable import Variable
from kusari_rl import misc
from kusari_rl.action_value import DiscreteActionValue, DistributionalDiscreteActionValue
from kusari_rl.agents._replay_agent import (
    _check_gamma,
    _check_positive_int,
    _ReplayAgent,
    _to_device,
)
from kusari_rl.misc.copy_param import synchronize_parameters

__all__ = ["DQN", "compute_q_target", "compute_value_loss", "compute_weighted_value_loss"]

_LOGGER = getLogger(__name__)


def _flat(x: Variable | Any) -> Variable | Any:
    if x.ndim == 1:
        return x
    if isinstance(x, Variable):
        return F.reshape(x, (-1,))
    return x.reshape(-1)


def _check_loss_args(name: str, y: Any, t: Any, batch_accumulator: str) -> None:
    if batch_accumulator not in ("mean", "sum"):
        raise ValueError(
            f"{name}: batch_accumulator must be 'mean' or 'sum', got {batch_accumulator!r}"
        )
    if y.shape != t.shape:
        raise ValueError(f"{name}: y.shape {y.shape} != t.shape {t.shape}")


def _elementwise_value_loss(y: Variable | Any, t: Variable | Any, clip_delta: bool) -> Variable:
    if clip_delta:
        return F.huber_loss(y, t, delta=1.0, reduce="no")
    return F.square(y - t) * 0.5


def compute_value_loss(
    y: Variable | Any, t: Variable | Any, clip_delta: bool = True, batch_accumulator: str = "mean"
) -> Variable:
    """The regression loss of predicted values ``y`` on targets ``t``.

    Each element contributes the Huber loss with ``delta = 1`` (``clip_delta=True``, the
    "error clipping" of Mnih et al. 2015) or half the squared error.

    Args:
        y: Predicted values ``(B,)`` or ``(B, 1)``, float32.
        t: Target values of ``y``'s shape; they get no gradient unless they are a Variable
            that requires one.
        clip_delta: Use the Huber loss (True) or half the squared error (False).
        batch_accumulator: ``'mean'`` (divide the sum by ``B``) or ``'sum'``.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If the shapes differ or ``batch_accumulator`` is unknown.
    """
    _check_loss_args("compute_value_loss", y, t, batch_accumulator)
    y, t = _flat(y), _flat(t)
    loss = F.sum(_elementwise_value_loss(y, t, clip_delta))
    if batch_accumulator == "mean":
        loss = loss / y.shape[0]
    return loss


def compute_weighted_value_loss(
    y: Variable | Any,
    t: Variable | Any,
    weights: Any,
    clip_delta: bool = True,
    batch_accumulator: str = "mean",
) -> Variable:
    """Like :func:`compute_value_loss`, with one weight per element (importance sampling).

    Prioritized experience replay (Schaul et al. 2016, "Prioritized Experience Replay")
    corrects the bias of its non-uniform sampling with these weights.

    Args:
        y: Predicted values ``(B,)`` or ``(B, 1)``, float32.
        t: Target values of ``y``'s shape.
        weights: Weights ``(B,)``, float32.
        clip_delta: Use the Huber loss (True) or half the squared error (False).
        batch_accumulator: ``'mean'`` (divide the weighted sum by ``B``) or ``'sum'``.

    Returns:
        A scalar Variable: ``sum_i weights[i] * loss_i`` (divided by ``B`` for ``'mean'``).

    Raises:
        ValueError: If the shapes differ or ``batch_accumulator`` is unknown.
    """
    _check_loss_args("compute_weighted_value_loss", y, t, batch_accumulator)
    y, t = _flat(y), _flat(t)
    if weights.shape != y.shape:
        raise ValueError(
            f"compute_weighted_value_loss: weights.shape {weights.shape} != {y.shape} "
            "(one weight per value)"
        )
    loss = F.sum(_elementwise_value_loss(y, t, clip_delta) * weights)
    if batch_accumulator == "mean":
        loss = loss / y.shape[0]
    return loss


def compute_q_target(reward: Any, discount: Any, is_state_terminal: Any, next_q: Any) -> Any:
    """The (n-step) Q-learning target ``r + discount * (1 - terminal) * next_q``.

    Args:
        reward: Discounted sums of the n rewards ``(B,)``, float32.
        discount: ``gamma ** n`` per transition ``(B,)``, float32 (``batch_experiences``'
            ``'discount'``).
        is_state_terminal: 1 where the last next state is terminal (gymnasium's
            ``terminated``), 0 where it is not, including truncated episodes ``(B,)``.
        next_q: The value of the last next state ``(B,)``: ``max_a Q_target(s', a)`` for DQN,
            ``Q_target(s', argmax_a Q(s', a))`` for Double DQN.

    Returns:
        The targets ``(B,)`` on the arrays' device.

    Raises:
        ValueError: If the shapes differ.
    """
    shapes = {a.shape for a in (reward, discount, is_state_terminal, next_q)}
    if len(shapes) != 1:
        raise ValueError(
            f"compute_q_target: reward {reward.shape}, discount {discount.shape}, "
            f"is_state_terminal {is_state_terminal.shape} and next_q {next_q.shape} must have "
            "one shape (B,)"
        )
    return reward + discount * (1.0 - is_state_terminal) * next_q


def _greedy_actions_and_max(action_value: Any) -> tuple[Any, Any]:
    """Greedy actions (host array) and their values (array) of a batch of action values."""
    if isinstance(action_value, (DiscreteActionValue, DistributionalDiscreteActionValue)):
        # speed: discrete action values are read once as an array, without function nodes
        q = action_value.q_values.array
        return cuda.to_cpu(q.argmax(axis=1)), q.max(axis=1)
    return cuda.to_cpu(action_value.greedy_actions.array), action_value.max.array


class DQN(_ReplayAgent):
    """Deep Q-Network (Mnih et al. 2015).

    Args:
        q_function: A :class:`kusari.Link` mapping a batch of observations to an action value
            (e.g. :class:`kusari_rl.action_value.DiscreteActionValue`).
        optimizer: An optimizer already set up on ``q_function``.
        replay_buffer: A replay buffer (``kusari_rl.replay_buffers``); a
            ``PrioritizedReplayBuffer`` gets its priorities updated with the TD errors.
        gamma: The discount factor in ``[0, 1]``.
        explorer: The exploration strategy (``kusari_rl.explorers``).
        gpu: GPU id; ``None`` or negative for the CPU.
        replay_start_size: Updates start once the buffer holds this many transitions.
        minibatch_size: Transitions per update.
        update_interval: Steps between updates.
        target_update_interval: Steps between target network synchronizations (a multiple of
            ``update_interval``).
        clip_delta: Huber loss (True) or half squared error (False).
        phi: Feature extractor applied to every observation.
        target_update_method: ``'hard'`` (copy) or ``'soft'`` (Polyak averaging with
            ``soft_update_tau``).
        soft_update_tau: Rate of the soft target update.
        n_times_update: Updates per update step.
        average_q_decay: Decay of the moving average of greedy Q values reported as
            ``average_q``.
        average_loss_decay: Decay of the moving average of the loss reported as
            ``average_loss``.
        batch_accumulator: ``'mean'`` or ``'sum'`` of the per-transition losses.
        episodic_update_len: Length of the sequences of recurrent updates (unused until
            recurrent models are supported).
        logger: The logger.
        batch_states: ``(states, xp, phi) -> batch`` stacking observations.
        recurrent: Recurrent models are not supported yet.

    Raises:
        ValueError: If an argument is out of range (``gamma`` outside ``[0, 1]``, a
            non-positive interval, an unknown method, ...).
        NotImplementedError: If ``recurrent`` is True.

    Attributes:
        model: The Q-function being learned.
        target_model: Its target network.
        t: Training steps so far.
        average_q: Moving average of the greedy action values seen while acting.
        average_loss: Moving average of the loss.
    """

    saved_attributes: Sequence[str] = ("model", "target_model", "optimizer")

    def __init__(
        self,
        q_function: kusari.Link,
        optimizer: kusari.Optimizer,
        replay_buffer: Any,
        gamma: float,
        explorer: Any,
        gpu: int | None = None,
        replay_start_size: int = 50000,
        minibatch_size: int = 32,
        update_interval: int = 1,
        target_update_interval: int = 10000,
        clip_delta: bool = True,
        phi: Callable[[Any], Any] = lambda x: x,
        target_update_method: str = "hard",
        soft_update_tau: float = 1e-2,
        n_times_update: int = 1,
        average_q_decay: float = 0.999,
        average_loss_decay: float = 0.99,
        batch_accumulator: str = "mean",
        episodic_update_len: int | None = None,
        logger: Logger = _LOGGER,
        batch_states: Callable[[Sequence[Any], Any, Callable[[Any], Any]], Any] = (
            misc.batch_states
        ),
        recurrent: bool = False,
    ) -> None:
        name = type(self).__name__
        if recurrent:
            raise NotImplementedError(f"{name}: recurrent=True is not supported yet")
        _check_gamma(name, gamma)
        for arg, value in (
            ("minibatch_size", minibatch_size),
            ("update_interval", update_interval),
            ("target_update_interval", target_update_interval),
            ("n_times_update", n_times_update),
        ):
            _check_positive_int(name, arg, value)
        if (
            isinstance(replay_start_size, bool)
            or not isinstance(replay_start_size, (int, numpy.integer))
            or replay_start_size < 0
        ):
            raise ValueError(
                f"{name}: replay_start_size must be a non-negative int, got {replay_start_size!r}"
            )
        if target_update_interval % update_interval != 0:
            raise ValueError(
                f"{name}: target_update_interval ({target_update_interval}) must be a multiple "
                f"of update_interval ({update_interval})"
            )
        if target_update_method not in ("hard", "soft"):
            raise ValueError(
                f"{name}: target_update_method must be 'hard' or 'soft', "
                f"got {target_update_method!r}"
            )
        if not 0.0 <= soft_update_tau <= 1.0:
            raise ValueError(f"{name}: soft_update_tau must be in [0, 1], got {soft_update_tau}")
        if batch_accumulator not in ("mean", "sum"):
            raise ValueError(
                f"{name}: batch_accumulator must be 'mean' or 'sum', got {batch_accumulator!r}"
            )
        for arg, value in (
            ("average_q_decay", average_q_decay),
            ("average_loss_decay", average_loss_decay),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: {arg} must be in [0, 1], got {value}")
        capacity = getattr(replay_buffer, "capacity", None)
        if capacity is not None and capacity < replay_start_size:
            raise ValueError(
                f"{name}: replay_start_size ({replay_start_size}) exceeds the replay buffer's "
                f"capacity ({capacity})"
            )

        self.model = q_function
        self.q_function = q_function
        _to_device(gpu, self.model)
        self.xp = self.model.xp
        self.optimizer = optimizer
        self.gamma = gamma
        self.explorer = explorer
        self.gpu = gpu
        self.target_update_interval = target_update_interval
        self.clip_delta = clip_delta
        self.phi = phi
        self.target_update_method = target_update_method
        self.soft_update_tau = soft_update_tau
        self.batch_accumulator = batch_accumulator
        self.episodic_update_len = episodic_update_len
        self.logger = logger
        self.batch_states = batch_states
        self.recurrent = recurrent
        self._init_replay(
            replay_buffer,
            self.update,
            minibatch_size=minibatch_size,
            n_times_update=n_times_update,
            replay_start_size=replay_start_size,
            update_interval=update_interval,
            episodic_update_len=episodic_update_len,
        )
        self.target_model: kusari.Link | None = None
        self.sync_target_network()
        self.target_q_function = self.target_model
        self.average_q = 0.0
        self.average_q_decay = average_q_decay
        self.average_loss = 0.0
        self.average_loss_decay = average_loss_decay

    # -- target network ---------------------------------------------------------------------------
    def sync_target_network(self) -> None:
        """Create the target network (first call) or move it towards the model.

        ``target_update_method='hard'`` copies the parameters; ``'soft'`` averages them with
        rate ``soft_update_tau``.
        """
        if self.target_model is None:
            self.target_model = copy.deepcopy(self.model)
        else:
            synchronize_parameters(
                src=self.model,
                dst=self.target_model,
                method=self.target_update_method,
                tau=self.soft_update_tau,
            )

    # -- learning ---------------------------------------------------------------------------------
    def update(self, experiences: Sequence[Sequence[dict]], errors_out: list | None = None) -> None:
        """Take one gradient step on a minibatch of transitions.

        Args:
            experiences: ``B`` sequences of ``n`` transitions (dicts with ``state``,
                ``action``, ``reward``, ``next_state``, ``is_state_terminal`` and, from a
                prioritized buffer, ``weight`` in the first transition).
            errors_out: If a list, it is replaced by the ``B`` absolute TD errors. With
                weights, the errors also go to ``replay_buffer.update_errors``.

        Raises:
            NonFiniteError: If the loss is NaN or infinite (nothing is updated).
        """
        has_weight = "weight" in experiences[0][0]
        exp_batch = self._batch_experiences(experiences)
        if has_weight:
            exp_batch["weights"] = self.xp.asarray(
                [elem[0]["weight"] for elem in experiences], dtype=self.xp.float32
            )
            if errors_out is None:
                errors_out = []
        loss = self._compute_loss(exp_batch, errors_out=errors_out)
        loss_value = float(loss.array)
        misc.check_finite(
            loss_value, f"{type(self).__name__} loss at update {self.optimizer.t + 1}"
        )
        if has_weight:
            self.replay_buffer.update_errors(errors_out)
        self.average_loss += (1.0 - self.average_loss_decay) * (loss_value - self.average_loss)
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()

    def _compute_target_values(self, exp_batch: dict[str, Any]) -> Any:
        """Targets ``(B,)`` from the target network's greedy values of the next states."""
        next_q_max = self.target_model(exp_batch["next_state"]).max.array
        return compute_q_target(
            exp_batch["reward"], exp_batch["discount"], exp_batch["is_state_terminal"], next_q_max
        )

    def _compute_y_and_t(self, exp_batch: dict[str, Any]) -> tuple[Variable, Any]:
        """Predicted values ``(B,)`` of the taken actions (with graph) and their targets."""
        y = self.model(exp_batch["state"]).evaluate_actions(exp_batch["action"])
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            t = self._compute_target_values(exp_batch)
        return y, t

    def _compute_loss(self, exp_batch: dict[str, Any], errors_out: list | None = None) -> Variable:
        """The loss of a batch; fills ``errors_out`` with the absolute TD errors if given."""
        y, t = self._compute_y_and_t(exp_batch)
        if errors_out is not None:
            errors_out[:] = cuda.to_cpu(abs(y.array - t)).tolist()
        if "weights" in exp_batch:
            return compute_weighted_value_loss(
                y,
                t,
                exp_batch["weights"],
                clip_delta=self.clip_delta,
                batch_accumulator=self.batch_accumulator,
            )
        return compute_value_loss(
            y, t, clip_delta=self.clip_delta, batch_accumulator=self.batch_accumulator
        )

    # -- acting -----------------------------------------------------------------------------------
    def _evaluate_action_values(self, batch_obs: Sequence[Any]) -> Any:
        """The model's action values of a batch of observations (call without backprop)."""
        return self.model(self.batch_states(batch_obs, self.xp, self.phi))

    def _greedy(self, batch_obs: Sequence[Any]) -> tuple[Any, Any, Any]:
        """Action values, greedy actions (host) and their values for a batch of observations."""
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            action_value = self._evaluate_action_values(batch_obs)
            actions, q_max = _greedy_actions_and_max(action_value)
        self.average_q += (1.0 - self.average_q_decay) * (float(q_max.mean()) - self.average_q)
        return action_value, actions, q_max

    def act(self, obs: Any) -> Any:
        """The greedy action for ``obs`` (no exploration, no learning)."""
        return self._greedy([obs])[1][0]

    def _select_training_action(self, obs: Any) -> Any:
        action_value, actions, _ = self._greedy([obs])
        greedy_action = actions[0]
        return self.explorer.select_action(self.t, lambda: greedy_action, action_value=action_value)

    def _select_training_actions(self, batch_obs: Sequence[Any]) -> list[Any]:
        action_value, actions, _ = self._greedy(batch_obs)
        return [
            self.explorer.select_action(
                self.t, _Constant(actions[i]), action_value=action_value[i : i + 1]
            )
            for i in range(len(batch_obs))
        ]

    def _after_step(self) -> None:
        if self.t % self.target_update_interval == 0:
            self.sync_target_network()

    def stop_episode(self) -> None:
        """End an evaluation episode (nothing to reset for feed-forward models)."""

    def batch_act(self, batch_obs: Sequence[Any]) -> Any:
        """Greedy actions ``(B,)`` for a batch of observations."""
        return self._greedy(batch_obs)[1]

    # -- statistics -------------------------------------------------------------------------------
    def get_statistics(self) -> list[tuple[str, Any]]:
        """``[('average_q', ...), ('average_loss', ...), ('n_updates', ...)]``."""
        return [
            ("average_q", float(self.average_q)),
            ("average_loss", float(self.average_loss)),
            ("n_updates", int(self.optimizer.t)),
        ]


class _Constant:
    """A callable returning a fixed value (a greedy action for an explorer)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value
