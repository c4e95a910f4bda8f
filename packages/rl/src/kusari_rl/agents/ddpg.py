"""Deep Deterministic Policy Gradient (DDPG; ChainerRL's ``DDPG`` and ``DDPGModel``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any

import kusari
import kusari.functions as F
from kusari_rl.agents._off_policy import _check_q, _minimize, _OffPolicyActorCritic
from kusari_rl.agents._replay_agent import _check_positive_int
from kusari_rl.misc.batch_states import batch_states as _default_batch_states
from kusari_rl.misc.copy_param import synchronize_parameters
from kusari_rl.replay_buffer import AbstractEpisodicReplayBuffer

__all__ = ["DDPG", "DDPGModel", "compute_ddpg_target"]


def compute_ddpg_target(reward: Any, discount: Any, is_state_terminal: Any, next_q: Any) -> Any:
    """The critic's target ``y = r + discount * (1 - terminal) * Q'(s', mu'(s'))``.

    ``Q'`` and ``mu'`` are the target networks (Lillicrap et al. 2016, "Continuous control
    with deep reinforcement learning", Algorithm 1). A terminal ``s'`` (gymnasium's
    ``terminated``) has value zero; a truncated episode's last ``s'`` is not terminal and is
    bootstrapped.

    Args:
        reward: Rewards (n-step returns), float32 array ``(B,)``.
        discount: ``gamma ** n`` per experience, float32 ``(B,)`` (or a scalar).
        is_state_terminal: 1.0 where ``s'`` is terminal, else 0.0, float32 ``(B,)``.
        next_q: The target Q-function at ``(s', mu'(s'))``, ``(B, 1)`` or ``(B,)``.

    Returns:
        The targets, an array ``(B,)`` of ``reward``'s dtype.

    Raises:
        ValueError: If the sizes disagree.
    """
    batch_size = reward.shape[0]
    if next_q.size != batch_size:
        raise ValueError(
            f"compute_ddpg_target: next_q must hold {batch_size} values (one per experience), "
            f"got shape {next_q.shape}"
        )
    return reward + discount * (1.0 - is_state_terminal) * next_q.reshape(batch_size)


class DDPGModel(kusari.Chain):
    """A policy and a Q-function held together, as :class:`DDPG` expects.

    Args:
        policy: The policy link, stored as ``self['policy']``.
        q_func: The Q-function link, stored as ``self['q_function']``.
    """

    def __init__(self, policy: kusari.Link, q_func: kusari.Link) -> None:
        super().__init__(policy=policy, q_function=q_func)


def _ema(average: float, value: float, decay: float) -> float:
    return decay * average + (1.0 - decay) * value


class DDPG(_OffPolicyActorCritic):
    """Deep Deterministic Policy Gradient: an actor-critic for continuous actions.

    Lillicrap et al., "Continuous control with deep reinforcement learning", ICLR 2016. The
    critic ``Q`` is trained on :func:`compute_ddpg_target` from target copies of both networks,
    and the actor ``mu`` to maximize ``Q(s, mu(s))``; the targets follow the networks every
    ``target_update_interval`` steps, by copying (``'hard'``) or by averaging with rate
    ``soft_update_tau`` (``'soft'``). A Gaussian policy instead of a deterministic one gives
    SVG(0).

    Args:
        model: A :class:`DDPGModel` holding the policy and the Q-function.
        actor_optimizer: An optimizer set up with ``model['policy']``.
        critic_optimizer: An optimizer set up with ``model['q_function']``.
        replay_buffer: A replay buffer (:class:`~kusari_rl.replay_buffers.ReplayBuffer`, or an
            episodic one with ``episodic_update``).
        gamma: The discount factor, in ``[0, 1]``.
        explorer: Adds exploration to the training actions (e.g.
            :class:`~kusari_rl.explorers.AdditiveOU`).
        gpu: A GPU id to move the model to (``None`` or negative: stay on the CPU).
        replay_start_size: No update happens while the buffer holds fewer experiences.
        minibatch_size: The number of experiences (or episodes) per update.
        update_interval: One update every this many steps.
        target_update_interval: The targets are synchronized every this many steps.
        phi: The feature extractor applied to observations.
        target_update_method: ``'hard'`` or ``'soft'``.
        soft_update_tau: The averaging rate of ``'soft'`` updates, in ``(0, 1]``.
        n_times_update: How many updates run each time one is due.
        average_q_decay: Decay of the moving average of the predicted Q (statistics only).
        average_loss_decay: Decay of the moving averages of the losses (statistics only).
        episodic_update: Update from whole sampled episodes (an episodic replay buffer).
        episodic_update_len: With ``episodic_update``, the longest episode part sampled.
        logger: The logger.
        batch_states: Stacks observations into a batch (:func:`kusari_rl.misc.batch_states`).
        burnin_action_func: If given, called (with no argument) for the actions taken before
            the first actor update, e.g. ``env.action_space.sample``.

    Raises:
        TypeError: If ``model`` is not a :class:`DDPGModel`, or ``episodic_update`` comes with
            a replay buffer that is not episodic.
        ValueError: If a hyperparameter is out of range or an optimizer is not set up with its
            link.
    """

    _owner = "DDPG"
    _loss_label = "DDPG"
    saved_attributes = ("model", "target_model", "actor_optimizer", "critic_optimizer")

    def __init__(
        self,
        model: DDPGModel,
        actor_optimizer: Any,
        critic_optimizer: Any,
        replay_buffer: Any,
        gamma: float,
        explorer: Any,
        gpu: int | None = None,
        replay_start_size: int = 50000,
        minibatch_size: int = 32,
        update_interval: int = 1,
        target_update_interval: int = 10000,
        phi: Callable[[Any], Any] = lambda x: x,
        target_update_method: str = "hard",
        soft_update_tau: float = 1e-2,
        n_times_update: int = 1,
        average_q_decay: float = 0.999,
        average_loss_decay: float = 0.99,
        episodic_update: bool = False,
        episodic_update_len: int | None = None,
        logger: logging.Logger = logging.getLogger(__name__),  # noqa: B008 (ChainerRL's default)
        batch_states: Callable[..., Any] = _default_batch_states,
        burnin_action_func: Callable[[], Any] | None = None,
    ) -> None:
        owner = self._owner
        if not all(
            isinstance(getattr(model, name, None), kusari.Link) for name in ("policy", "q_function")
        ):
            raise TypeError(
                f"{owner}: model must be a DDPGModel (a Chain with 'policy' and 'q_function'), "
                f"got {type(model).__name__}"
            )
        _check_positive_int(owner, "target_update_interval", target_update_interval)
        if target_update_method not in ("hard", "soft"):
            raise ValueError(
                f"{owner}: target_update_method must be 'hard' or 'soft', got "
                f"{target_update_method!r}"
            )
        if episodic_update and not isinstance(replay_buffer, AbstractEpisodicReplayBuffer):
            raise TypeError(
                f"{owner}: episodic_update needs an episodic replay buffer (e.g. "
                f"EpisodicReplayBuffer), got {type(replay_buffer).__name__}"
            )
        self.model = model
        self.policy = model["policy"]
        self.q_function = model["q_function"]
        self._init_off_policy(
            (
                ("actor_optimizer", self.policy, actor_optimizer),
                ("critic_optimizer", self.q_function, critic_optimizer),
            ),
            replay_buffer=replay_buffer,
            update_func=self.update_from_episodes if episodic_update else self.update,
            gamma=gamma,
            gpu=gpu,
            replay_start_size=replay_start_size,
            minibatch_size=minibatch_size,
            update_interval=update_interval,
            n_times_update=n_times_update,
            soft_update_tau=soft_update_tau,
            phi=phi,
            batch_states=batch_states,
            burnin_action_func=burnin_action_func,
            logger=logger,
            episodic_update=episodic_update,
            episodic_update_len=episodic_update_len,
        )
        self.explorer = explorer
        self.target_update_interval = target_update_interval
        self.target_update_method = target_update_method
        self.average_q_decay = average_q_decay
        self.average_loss_decay = average_loss_decay
        self.actor_optimizer = actor_optimizer
        self.critic_optimizer = critic_optimizer

        self.target_model = copy.deepcopy(model)
        self.target_policy = self.target_model["policy"]
        self.target_q_function = self.target_model["q_function"]
        self.average_q = 0.0
        self.average_actor_loss = 0.0
        self.average_critic_loss = 0.0

    def sync_target_network(self) -> None:
        """Synchronize the target model with the model (``target_update_method``)."""
        synchronize_parameters(
            self.model,
            self.target_model,
            method=self.target_update_method,
            tau=self.soft_update_tau,
        )

    def compute_critic_loss(self, batch: dict[str, Any]) -> kusari.Variable:
        """The critic's loss ``mean((Q(s, a) - y)^2)`` with ``y`` from :func:`compute_ddpg_target`.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.

        Returns:
            A scalar Variable.
        """
        batch_size = batch["reward"].shape[0]
        next_state = batch["next_state"]
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            next_actions = self.target_policy(next_state).sample()
            next_q = self.target_q_function(next_state, next_actions)
            target_q = compute_ddpg_target(
                batch["reward"], batch["discount"], batch["is_state_terminal"], next_q.array
            )
        predict_q = self.q_function(batch["state"], batch["action"])
        _check_q("DDPG", predict_q, batch_size)
        loss = F.mean_squared_error(predict_q, target_q.reshape(predict_q.shape))
        self.average_q = _ema(self.average_q, float(predict_q.array.mean()), self.average_q_decay)
        self.average_critic_loss = _ema(
            self.average_critic_loss, float(loss.array), self.average_loss_decay
        )
        return loss

    def compute_actor_loss(self, batch: dict[str, Any]) -> kusari.Variable:
        """The actor's loss ``-mean(Q(s, mu(s)))``.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.

        Returns:
            A scalar Variable.
        """
        state = batch["state"]
        loss = -F.mean(self.q_function(state, self.policy(state).sample()))
        self.average_actor_loss = _ema(
            self.average_actor_loss, float(loss.array), self.average_loss_decay
        )
        return loss

    def update(self, experiences: list[Any], errors_out: Any = None) -> None:
        """Update the critic, then the actor, once.

        Args:
            experiences: Sampled experiences (lists of transitions), see
                :func:`~kusari_rl.replay_buffer.batch_experiences`.
            errors_out: Unused (for prioritized buffers' interface).

        Raises:
            NonFiniteError: If a loss is NaN or infinite.
        """
        batch = self._batch_experiences(experiences)
        n = self.critic_optimizer.t + 1
        _minimize(self.critic_optimizer, self.compute_critic_loss(batch), self._what("critic", n))
        _minimize(self.actor_optimizer, self.compute_actor_loss(batch), self._what("actor", n))

    def update_from_episodes(
        self, episodes: Sequence[Sequence[dict]], errors_out: Any = None
    ) -> None:
        """Update the critic, then the actor, once from whole episodes.

        The losses are averaged over the time steps of the longest episode, each step's loss
        being over the episodes that reach it (ChainerRL's episodic update, without recurrent
        state).

        Args:
            episodes: Sampled episodes, each a list of transitions.
            errors_out: Unused.

        Raises:
            NonFiniteError: If a loss is NaN or infinite.
        """
        episodes = sorted(episodes, key=len, reverse=True)
        max_len = len(episodes[0])
        batches = [
            self._batch_experiences([[ep[i]] for ep in episodes if len(ep) > i])
            for i in range(max_len)
        ]
        n = self.critic_optimizer.t + 1
        critic_loss = sum(self.compute_critic_loss(b) for b in batches) / max_len
        _minimize(self.critic_optimizer, critic_loss, self._what("critic", n))
        actor_loss = sum(self.compute_actor_loss(b) for b in batches) / max_len
        _minimize(self.actor_optimizer, actor_loss, self._what("actor", n))

    @staticmethod
    def _what(network: str, n: int) -> str:
        return f"DDPG {network} loss at update {n}"

    def _after_step(self) -> None:
        if self.t % self.target_update_interval == 0:
            self.sync_target_network()

    def _n_policy_updates(self) -> int:
        return self.actor_optimizer.t

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics as ``(name, value)`` pairs.

        ``average_q``, ``average_actor_loss`` and ``average_critic_loss`` are exponential moving
        averages over updates; ``actor_n_updates`` and ``critic_n_updates`` count the steps.
        """
        return [
            ("average_q", float(self.average_q)),
            ("average_actor_loss", float(self.average_actor_loss)),
            ("average_critic_loss", float(self.average_critic_loss)),
            ("actor_n_updates", int(self.actor_optimizer.t)),
            ("critic_n_updates", int(self.critic_optimizer.t)),
        ]
