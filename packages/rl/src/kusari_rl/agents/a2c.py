"""Advantage Actor-Critic, synchronous (ChainerRL's ``chainerrl.agents.A2C``).

A2C is the synchronous, batched variant of A3C (Mnih et al. 2016, "Asynchronous Methods for Deep
Reinforcement Learning", Algorithm S3; Wu et al. 2017, "Scalable trust-region method for deep
reinforcement learning using Kronecker-factored approximation", arXiv:1708.05144, for the
synchronous form): every ``update_steps`` steps of ``num_processes`` environments, one gradient
step on ``pi_loss_coef * policy_loss + v_loss_coef * value_loss - entropy_coeff * entropy``, the
policy loss ``-mean(A_t log pi(a_t | s_t))`` with ``A_t`` the n-step (or GAE, Schulman et al.
2016) advantage.

Returns and advantages come from :func:`kusari_rl.agents.ppo.compute_gae` (``lambda = 1`` gives
n-step returns). Unlike ChainerRL's A2C, which treats a truncated episode as terminated, a
truncated step bootstraps from the value of its own final observation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import kusari
import kusari.functions as F
from kusari.link import Chain, Link
from kusari.variable import Variable
from kusari_rl.agents import _on_policy
from kusari_rl.misc.batch_states import batch_states as default_batch_states
from kusari_rl.misc.nonfinite import check_finite

__all__ = ["A2C", "A2CModel", "A2CSeparateModel", "compute_a2c_loss"]


class A2CModel(Link):
    """A model for A2C: :meth:`pi_and_v` maps states to ``(distribution, values)``.

    Calling the model calls :meth:`pi_and_v`.
    """

    def pi_and_v(self, obs: Any) -> tuple[Any, Variable]:
        """Evaluate the policy and the V-function.

        Args:
            obs: A batch of states ``(B, ...)``.

        Returns:
            The action distribution and the values ``(B, 1)``.
        """
        raise NotImplementedError(f"{type(self).__name__}: pi_and_v is not implemented")

    def forward(self, obs: Any) -> tuple[Any, Variable]:
        """Same as :meth:`pi_and_v`."""
        return self.pi_and_v(obs)


class A2CSeparateModel(Chain, A2CModel):
    """An A2C model made of a separate policy and V-function.

    Args:
        pi: A policy: states ``(B, ...)`` to a distribution.
        v: A V-function: states ``(B, ...)`` to values ``(B, 1)``.
    """

    def __init__(self, pi: Link, v: Link) -> None:
        super().__init__(pi=pi, v=v)

    def pi_and_v(self, obs: Any) -> tuple[Any, Variable]:
        """Return ``(pi(obs), v(obs))``."""
        return self.pi(obs), self.v(obs)


def compute_a2c_loss(
    log_probs: Variable,
    values: Variable,
    entropy: Variable | None,
    returns: Any,
    pi_loss_coef: float,
    v_loss_coef: float,
    entropy_coeff: float,
) -> tuple[Variable, Variable, Variable]:
    """A2C's loss, with the advantage ``A = returns - V`` (Mnih et al. 2016, Algorithm S3).

    ``policy_loss = -mean(A log pi)`` (no gradient through ``A``), ``value_loss = mean(A^2)``,
    and the total ``pi_loss_coef * policy_loss + v_loss_coef * value_loss - entropy_coeff *
    mean(entropy)``.

    Args:
        log_probs: Log-probabilities of the taken actions ``(B,)``.
        values: Predicted values ``(B,)``.
        entropy: Entropies of the action distributions ``(B,)``, or ``None`` when
            ``entropy_coeff`` is 0.
        returns: Return targets ``(B,)`` (an array).
        pi_loss_coef: Weight of the policy loss.
        v_loss_coef: Weight of the value loss.
        entropy_coeff: Weight of the entropy bonus.

    Returns:
        ``(loss, policy_loss, value_loss)``, scalar Variables.

    Raises:
        ValueError: If the shapes differ, or ``entropy`` is missing with ``entropy_coeff > 0``.
    """
    _on_policy.check_same_shape(
        "compute_a2c_loss", "log_probs", log_probs, values=values, returns=returns
    )
    advantages = returns - values
    value_loss = F.mean(advantages * advantages)
    policy_loss = -F.mean(log_probs * advantages.array)
    loss = policy_loss * pi_loss_coef + value_loss * v_loss_coef
    if entropy_coeff:
        if entropy is None:
            raise ValueError("compute_a2c_loss: entropy is needed when entropy_coeff > 0")
        loss = loss - F.mean(entropy) * entropy_coeff
    return loss, policy_loss, value_loss


class A2C(_on_policy.RolloutAgent):
    """Advantage Actor-Critic (synchronous A3C), trained on a batch of environments.

    Args:
        model: A link mapping states ``(B, ...)`` to ``(distribution, values)``, the values of
            shape ``(B, 1)``: an :class:`A2CModel` or e.g. ``Branched(policy, v_function)``.
        optimizer: An optimizer already set up with ``model``.
        gamma: Discount factor in ``[0, 1]``.
        num_processes: Number of environments ``N`` in each batch.
        gpu: GPU id to move the model to (``None`` or negative: the CPU).
        update_steps: Steps of each environment between updates (the ``n`` of n-step returns).
        phi: Feature extractor applied to each observation.
        pi_loss_coef: Weight of the policy loss.
        v_loss_coef: Weight of the value loss.
        entropy_coeff: Weight of the entropy bonus (0 skips computing it).
        use_gae: Use GAE advantages instead of n-step ones.
        tau: GAE's ``lambda``.
        act_deterministically: Take the most probable action in :meth:`act`/:meth:`batch_act`.
        average_actor_loss_decay: Decay of the moving average of the policy loss.
        average_entropy_decay: Decay of the moving average of the entropy.
        average_value_decay: Decay of the moving average of the value loss.
        batch_states: ``batch_states(states, xp, phi)`` making a batch from observations.

    Raises:
        ValueError: If a hyperparameter is out of range.
        TypeError: If an integer hyperparameter is not an int.

    Statistics (:meth:`get_statistics`): ``average_actor`` (policy loss), ``average_value``
    (value loss) and ``average_entropy``, exponential moving averages as in ChainerRL.
    """

    process_idx = None
    saved_attributes = ("model", "optimizer")

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        gamma: float,
        num_processes: int,
        gpu: int | None = None,
        update_steps: int = 5,
        phi: Callable[[Any], Any] = lambda x: x,
        pi_loss_coef: float = 1.0,
        v_loss_coef: float = 0.5,
        entropy_coeff: float = 0.01,
        use_gae: bool = False,
        tau: float = 0.95,
        act_deterministically: bool = False,
        average_actor_loss_decay: float = 0.999,
        average_entropy_decay: float = 0.999,
        average_value_decay: float = 0.999,
        batch_states: Callable[..., Any] = default_batch_states,
    ) -> None:
        owner = "A2C"
        _on_policy.check_unit_interval(
            owner,
            gamma=gamma,
            tau=tau,
            average_actor_loss_decay=average_actor_loss_decay,
            average_entropy_decay=average_entropy_decay,
            average_value_decay=average_value_decay,
        )
        _on_policy.check_positive_int(owner, num_processes=num_processes, update_steps=update_steps)
        _on_policy.check_non_negative(
            owner, pi_loss_coef=pi_loss_coef, v_loss_coef=v_loss_coef, entropy_coeff=entropy_coeff
        )
        self.model = model
        self.optimizer = optimizer
        self.gpu = gpu
        _on_policy.to_gpu(gpu, model)
        self.gamma = gamma
        self.num_processes = num_processes
        self.update_steps = update_steps
        self.phi = phi
        self.pi_loss_coef = pi_loss_coef
        self.v_loss_coef = v_loss_coef
        self.entropy_coeff = entropy_coeff
        self.use_gae = use_gae
        self.tau = tau
        self.act_deterministically = act_deterministically
        self.average_actor_loss_decay = average_actor_loss_decay
        self.average_entropy_decay = average_entropy_decay
        self.average_value_decay = average_value_decay
        self.batch_states = batch_states
        self.xp = model.xp
        self.t = 0
        self._rollout = _on_policy.Rollout(owner, update_steps * num_processes, self.xp)

        self.average_actor_loss = 0.0
        self.average_value = 0.0
        self.average_entropy = 0.0

    def _distribution(self, states: Any) -> Any:
        return self.model(states)[0]

    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> Any:
        """Sample one training action per environment and store it.

        Returns:
            A NumPy array of ``num_processes`` actions.

        Raises:
            ValueError: If ``len(batch_obs) != num_processes``.
        """
        if len(batch_obs) != self.num_processes:
            raise ValueError(
                f"A2C.batch_act_and_train: got {len(batch_obs)} observations, expected "
                f"num_processes ({self.num_processes})"
            )
        actions = super().batch_act_and_train(batch_obs)
        self.t += 1
        return actions

    def _update(self) -> None:
        self.update()

    def update(self) -> None:
        """Take one gradient step on the stored ``update_steps`` steps and start a new rollout.

        Raises:
            kusari_rl.misc.NonFiniteError: If the loss is NaN or infinite.
        """
        rollout = self._rollout
        n = rollout.steps * rollout.num_envs
        states = rollout.flat_states()
        with kusari.no_backprop_mode():
            _, bootstrap_values = self.model(states[n:])
        distrib, values = self.model(states[:n])
        flat_values = self.xp.concatenate([values.array.ravel(), bootstrap_values.array.ravel()])
        v, next_v = rollout.split_values(flat_values)
        advantages = rollout.advantages(v, next_v, self.gamma, self.tau if self.use_gae else 1.0)
        returns = (advantages + v).reshape(n, 1)
        actions = rollout.actions[:-1].reshape((n,) + rollout.actions.shape[2:])
        rollout.clear()
        entropy = distrib.entropy if self.entropy_coeff else None
        loss, policy_loss, value_loss = compute_a2c_loss(
            F.reshape(distrib.log_prob(actions), (n, 1)),
            values,
            None if entropy is None else F.reshape(entropy, (n, 1)),
            returns,
            self.pi_loss_coef,
            self.v_loss_coef,
            self.entropy_coeff,
        )
        check_finite(loss, f"A2C loss at update {self.optimizer.t + 1}")
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()

        self.average_actor_loss += (1 - self.average_actor_loss_decay) * (
            float(policy_loss.array) - self.average_actor_loss
        )
        self.average_value += (1 - self.average_value_decay) * (
            float(value_loss.array) - self.average_value
        )
        if entropy is None:
            with kusari.no_backprop_mode():
                entropy = distrib.entropy
        self.average_entropy += (1 - self.average_entropy_decay) * (
            float(entropy.array.mean()) - self.average_entropy
        )

    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Not supported: A2C trains on batches of environments only.

        Raises:
            RuntimeError: Always; use :meth:`batch_act_and_train`.
        """
        raise RuntimeError("A2C does not support non-batch training; use batch_act_and_train")

    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Not supported: A2C trains on batches of environments only.

        Raises:
            RuntimeError: Always; use :meth:`batch_observe_and_train`.
        """
        raise RuntimeError("A2C does not support non-batch training; use batch_observe_and_train")

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return ``[('average_actor', ...), ('average_value', ...), ('average_entropy', ...)]``."""
        return [
            ("average_actor", self.average_actor_loss),
            ("average_value", self.average_value),
            ("average_entropy", self.average_entropy),
        ]
