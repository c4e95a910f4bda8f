"""REINFORCE, Williams' episodic policy gradient (ChainerRL's ``chainerrl.agents.REINFORCE``).

Williams 1992, "Simple statistical gradient-following algorithms for connectionist reinforcement
learning" (Machine Learning 8): after ``batchsize`` complete episodes, one gradient step on
``-(sum_t R_t log pi(a_t | s_t) + beta sum_t H(pi(. | s_t))) / batchsize``, ``R_t`` the
undiscounted sum of the rewards after action ``t`` and ``H`` the entropy (a regularizer).

REINFORCE needs whole episodes: an episode that ends by truncation (no terminal state) has no
return to learn from and is dropped, with a warning, as in ChainerRL. Acting samples without
building a graph; the log-probabilities are recomputed in one forward pass over the stored
episodes at update time (the policy is the same, since it changes only at updates).

The pure pieces live at module level: :func:`returns_to_go` and
:func:`compute_reinforce_loss`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from logging import Logger, getLogger
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari.variable import Variable
from kusari_rl.agents import _on_policy
from kusari_rl.misc.batch_states import batch_states as default_batch_states
from kusari_rl.misc.nonfinite import check_finite

__all__ = ["REINFORCE", "compute_reinforce_loss", "returns_to_go"]

_LOGGER = getLogger(__name__)


def returns_to_go(rewards: Any) -> Any:
    """The undiscounted return after each step: ``R_t = sum_{k >= t} r_k``.

    Args:
        rewards: Rewards ``(T,)`` of one episode, ``r_t`` received after action ``t``.

    Returns:
        A float32 array ``(T,)`` (on ``rewards``' device).

    Raises:
        ValueError: If ``rewards`` is not 1-D.
    """
    xp = backend.get_array_module(rewards)
    rewards = xp.asarray(rewards, dtype=numpy.float32)
    if rewards.ndim != 1:
        raise ValueError(f"returns_to_go: rewards must be 1-D (T,), got shape {rewards.shape}")
    return xp.cumsum(rewards[::-1])[::-1].astype(numpy.float32)


def compute_reinforce_loss(
    log_probs: Variable, returns: Any, entropy: Variable | None, beta: float, batchsize: int
) -> Variable:
    """REINFORCE's loss: ``-(sum(R log_probs) + beta sum(entropy)) / batchsize``.

    Args:
        log_probs: Log-probabilities of the taken actions ``(B,)``, over all steps of the
            episodes.
        returns: Returns-to-go ``R_t`` ``(B,)`` (an array).
        entropy: Entropies of the action distributions ``(B,)``, or ``None`` when ``beta`` is 0.
        beta: Weight of the entropy regularizer.
        batchsize: The number of episodes the steps come from.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If the shapes differ, or ``entropy`` is missing with ``beta != 0``.
    """
    _on_policy.check_same_shape("compute_reinforce_loss", "log_probs", log_probs, returns=returns)
    objective = F.sum(log_probs * returns)
    if beta:
        if entropy is None:
            raise ValueError("compute_reinforce_loss: entropy is needed when beta != 0")
        objective = objective + F.sum(entropy) * beta
    return objective * (-1.0 / batchsize)


class _Episode:
    """The states, actions and rewards of one environment's episode so far."""

    def __init__(self) -> None:
        self.states: list[Any] = []
        self.actions: list[Any] = []
        self.rewards: list[float] = []


class REINFORCE(_on_policy.OnPolicyAgent):
    """Williams' episodic REINFORCE (Williams 1992), single- or multi-environment.

    Args:
        model: A policy: a link mapping states ``(B, ...)`` to a distribution.
        optimizer: An optimizer already set up with ``model``.
        beta: Weight of the entropy regularizer.
        phi: Feature extractor applied to each observation.
        batchsize: Episodes per update.
        act_deterministically: Take the most probable action in :meth:`act`/:meth:`batch_act`.
        average_entropy_decay: Decay of the moving average of the entropy (statistics).
        backward_separately: Backpropagate each episode as it ends, accumulating gradients
            (less memory), instead of all ``batchsize`` episodes at once.
        batch_states: ``batch_states(states, xp, phi)`` making a batch from observations.
        logger: Logger (the module's when ``None``).

    Raises:
        ValueError: If ``average_entropy_decay`` is outside ``[0, 1]``.
        TypeError: If ``batchsize`` is not an int.

    Statistics (:meth:`get_statistics`): ``average_entropy``.
    """

    saved_attributes = ("model", "optimizer")

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        beta: float = 0,
        phi: Callable[[Any], Any] = lambda x: x,
        batchsize: int = 1,
        act_deterministically: bool = False,
        average_entropy_decay: float = 0.999,
        backward_separately: bool = False,
        batch_states: Callable[..., Any] = default_batch_states,
        logger: Logger | None = None,
    ) -> None:
        _on_policy.check_positive_int("REINFORCE", batchsize=batchsize)
        _on_policy.check_unit_interval("REINFORCE", average_entropy_decay=average_entropy_decay)
        self.model = model
        self.optimizer = optimizer
        self.beta = beta
        self.phi = phi
        self.batchsize = batchsize
        self.act_deterministically = act_deterministically
        self.average_entropy_decay = average_entropy_decay
        self.backward_separately = backward_separately
        self.batch_states = batch_states
        self.logger = logger or _LOGGER
        self.xp = model.xp

        self.average_entropy = 0.0
        self.t = 0
        self.n_backward = 0
        self._episodes: list[_Episode] = []
        self._finished: list[_Episode] = []

    # -- acting -----------------------------------------------------------------------------
    def _distribution(self, states: Any) -> Any:
        return self.model(states)

    def batch_act(self, batch_obs: Sequence[Any]) -> Any:
        """Pick one evaluation action per environment (no learning; the model in its mode).

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.
        """
        with kusari.no_backprop_mode():
            return self._evaluation_actions(self._distribution(self._states(batch_obs)))

    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> Any:
        """Sample one training action per environment and record it in its episode.

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.

        Raises:
            ValueError: If the number of environments changes while episodes are running.
        """
        states = self._states(batch_obs)
        if len(states) != len(self._episodes):
            if any(episode.actions for episode in self._episodes):
                raise ValueError(
                    f"REINFORCE.batch_act_and_train: got {len(states)} observations while "
                    f"{len(self._episodes)} environments have running episodes"
                )
            self._episodes = [_Episode() for _ in range(len(states))]
        if any(len(episode.rewards) != len(episode.actions) for episode in self._episodes):
            raise RuntimeError(
                "REINFORCE.batch_act_and_train: the outcome of the previous actions was not "
                "observed; call batch_observe_and_train first"
            )
        with kusari.no_backprop_mode():
            distrib = self._distribution(states)
            actions = distrib.sample().array
            entropy = float(distrib.entropy.array.mean())
        for episode, state, action in zip(self._episodes, states, actions, strict=True):
            episode.states.append(state)
            episode.actions.append(action)
        self.t += 1
        self.average_entropy += (1 - self.average_entropy_decay) * (entropy - self.average_entropy)
        return to_cpu(actions)

    def batch_observe_and_train(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Record the rewards; learn from the episodes that terminated.

        Args:
            batch_obs: The observations the step returned.
            batch_reward: The rewards.
            batch_done: ``terminated`` flags: those episodes are complete.
            batch_reset: ``truncated`` flags: those episodes are dropped (no return to learn).

        Raises:
            RuntimeError: If called before :meth:`batch_act_and_train`.
            ValueError: If the batches have different lengths.
            kusari_rl.misc.NonFiniteError: If the loss is NaN or infinite.
        """
        _on_policy.check_batch_lengths(
            "REINFORCE.batch_observe_and_train",
            len(self._episodes),
            batch_obs=batch_obs,
            batch_reward=batch_reward,
            batch_done=batch_done,
            batch_reset=batch_reset,
        )
        for i, (reward, done, reset) in enumerate(
            zip(batch_reward, batch_done, batch_reset, strict=True)
        ):
            episode = self._episodes[i]
            if len(episode.rewards) != len(episode.actions) - 1:
                raise RuntimeError(
                    "REINFORCE.batch_observe_and_train: no pending action; call "
                    "batch_act_and_train first"
                )
            episode.rewards.append(float(reward))
            if done:
                self._finish(i)
            elif reset:
                warnings.warn(
                    "REINFORCE learns from terminated episodes only; an episode that was "
                    "truncated is thrown away",
                    stacklevel=2,
                )
                self._episodes[i] = _Episode()

    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Record ``reward`` (unless the episode just began) and pick a training action."""
        if self._episodes and self._episodes[0].actions:
            self._episodes[0].rewards.append(float(reward))
        return self.batch_act_and_train([obs])[0]

    # -- learning ---------------------------------------------------------------------------
    def _finish(self, i: int) -> None:
        episode = self._episodes[i]
        self._episodes[i] = _Episode()
        self._finished.append(episode)
        if self.backward_separately:
            self._backward(self._finished)
            self._finished = []
            if self.n_backward == self.batchsize:
                self.optimizer.update()
                self.n_backward = 0
        elif len(self._finished) == self.batchsize:
            self._backward(self._finished)
            self._finished = []
            self.optimizer.update()
            self.n_backward = 0

    def _backward(self, episodes: list[_Episode]) -> None:
        xp = self.xp
        if self.n_backward == 0:
            self.model.cleargrads()
        states = xp.stack([s for episode in episodes for s in episode.states])
        actions = xp.stack([a for episode in episodes for a in episode.actions])
        returns = xp.concatenate(
            [returns_to_go(xp.asarray(episode.rewards)) for episode in episodes]
        )
        distrib = self.model(states)
        loss = compute_reinforce_loss(
            distrib.log_prob(actions),
            returns,
            distrib.entropy if self.beta else None,
            self.beta,
            self.batchsize,
        )
        check_finite(loss, f"REINFORCE loss at update {self.optimizer.t + 1}")
        loss.backward()
        self.n_backward += len(episodes)

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return ``[('average_entropy', ...)]``."""
        return [("average_entropy", self.average_entropy)]
