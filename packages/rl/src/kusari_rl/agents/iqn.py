"""Implicit Quantile Networks (ChainerRL's ``chainerrl.agents.IQN``).

Dabney, Ostrovski, Silver and Munos 2018, "Implicit Quantile Networks for Distributional
Reinforcement Learning" (ICML): the Q-function maps a state and quantile fractions
``tau ~ U[0, 1]`` to the return's quantiles ``Z_tau(s, a)``; it is trained with the quantile
Huber loss (equations (9)-(10)) between ``N`` predicted quantiles and ``N'`` target samples
``r + gamma^n * Z_tau'(s', a*)``, and acts greedily on the mean of ``K`` sampled quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import backend
from kusari.backends import cuda
from kusari.variable import Variable
from kusari_rl.action_value import QuantileDiscreteActionValue
from kusari_rl.agents._replay_agent import _check_positive_int
from kusari_rl.agents.dqn import DQN

__all__ = [
    "IQN",
    "CosineBasisLinear",
    "ImplicitQuantileQFunction",
    "compute_eltwise_huber_quantile_loss",
    "compute_quantile_target",
    "cosine_basis_functions",
]


def cosine_basis_functions(x: Any, n_basis_functions: int = 64) -> Any:
    """Embed values with the cosines ``cos(pi * i * x)``, ``i = 1..n`` (Dabney et al., eq. (4)).

    The paper's equation (4) sums ``i = 0..n-1``; ``i = 1..n`` is the variant its authors used.

    Args:
        x: An array of any shape, e.g. quantile fractions ``(B, n_taus)``.
        n_basis_functions: The number of cosines ``n``.

    Returns:
        An array of shape ``x.shape + (n,)`` and ``x``'s dtype.
    """
    xp = backend.get_array_module(x)
    i_pi = xp.arange(1, n_basis_functions + 1, dtype=x.dtype) * x.dtype.type(math.pi)
    return xp.cos(x[..., None] * i_pi)


class CosineBasisLinear(kusari.Chain):
    """A linear layer on the cosine embedding of its input (the IQN embedding of ``tau``).

    Args:
        n_basis_functions: The number of cosines.
        out_size: The output size.

    Raises:
        ValueError: If a size is not a positive int.
    """

    def __init__(self, n_basis_functions: int, out_size: int) -> None:
        super().__init__()
        _check_positive_int("CosineBasisLinear", "n_basis_functions", n_basis_functions)
        _check_positive_int("CosineBasisLinear", "out_size", out_size)
        with self.init_scope():
            self.linear = L.Linear(n_basis_functions, out_size)
        self.n_basis_functions = n_basis_functions
        self.out_size = out_size

    def forward(self, x: Any) -> Variable:
        """Embed ``x`` (any shape, float32; no gradient flows to it).

        Returns:
            A Variable of shape ``x.shape + (out_size,)``.
        """
        x = getattr(x, "array", x)
        h = cosine_basis_functions(x, self.n_basis_functions).reshape(-1, self.n_basis_functions)
        return F.reshape(self.linear(h), x.shape + (self.out_size,))


class ImplicitQuantileQFunction(kusari.Chain):
    """An implicit quantile Q-function ``Z_tau(s, a) = f(psi(s) * phi(tau))`` (Dabney et al.).

    Args:
        psi: Link ``(B, obs_size) -> (B, H)``, the state embedding.
        phi: Link ``(B, n_taus) -> (B, n_taus, H)``, the quantile embedding (e.g.
            ``Sequence(CosineBasisLinear(64, H), F.relu)``).
        f: Link ``(B * n_taus, H) -> (B * n_taus, n_actions)``.

    Calling it with observations returns a function of the fractions ``taus`` ``(B, n_taus)``
    that returns a :class:`~kusari_rl.action_value.QuantileDiscreteActionValue` with quantiles
    ``(B, n_taus, n_actions)``; the state embedding is computed once for any number of calls.
    """

    def __init__(self, psi: Callable, phi: Callable, f: Callable) -> None:
        super().__init__()
        with self.init_scope():
            self.psi = psi
            self.phi = phi
            self.f = f

    def forward(self, x: Any) -> Callable[[Any], QuantileDiscreteActionValue]:
        """Embed the observations ``x`` ``(B, ...)``.

        Returns:
            A function ``taus (B, n_taus) -> QuantileDiscreteActionValue``.

        Raises:
            ValueError: If ``psi`` does not return ``(B, H)``, or (when the function is called)
                ``taus`` is not ``(B, n_taus)`` or ``phi`` does not return ``(B, n_taus, H)``.
        """
        batch_size = x.shape[0]
        psi_x = self.psi(x)
        if psi_x.ndim != 2 or psi_x.shape[0] != batch_size:
            raise ValueError(
                f"ImplicitQuantileQFunction: psi must return (B, H) with B = {batch_size}, "
                f"got shape {psi_x.shape}"
            )
        hidden_size = psi_x.shape[1]
        psi_x = F.expand_dims(psi_x, axis=1)

        def evaluate_with_quantile_thresholds(taus: Any) -> QuantileDiscreteActionValue:
            if taus.ndim != 2 or taus.shape[0] != batch_size:
                raise ValueError(
                    f"ImplicitQuantileQFunction: taus must be (B, n_taus) with B = "
                    f"{batch_size}, got shape {taus.shape}"
                )
            n_taus = taus.shape[1]
            phi_taus = self.phi(taus)
            if phi_taus.shape != (batch_size, n_taus, hidden_size):
                raise ValueError(
                    f"ImplicitQuantileQFunction: phi must return (B, n_taus, H) = "
                    f"{(batch_size, n_taus, hidden_size)}, got shape {phi_taus.shape}"
                )
            h = F.reshape(F.broadcast_to(psi_x, phi_taus.shape) * phi_taus, (-1, hidden_size))
            h = self.f(h)
            return QuantileDiscreteActionValue(F.reshape(h, (batch_size, n_taus, h.shape[-1])))

        return evaluate_with_quantile_thresholds


def compute_quantile_target(
    reward: Any, discount: Any, is_state_terminal: Any, next_quantiles: Any
) -> Any:
    """Target samples ``r + discount * (1 - terminal) * Z_tau'(s', a*)`` (Dabney et al., eq. (8)).

    Args:
        reward: Discounted sums of the n rewards ``(B,)``, float32.
        discount: ``gamma ** n`` per transition ``(B,)``, float32.
        is_state_terminal: 1 where the last next state is terminal (gymnasium's
            ``terminated``), 0 otherwise, including truncated episodes ``(B,)``.
        next_quantiles: The next state's quantiles under the greedy next action ``(B, N')``.

    Returns:
        The target samples ``(B, N')``.

    Raises:
        ValueError: If the shapes do not fit together.
    """
    batch = reward.shape
    if (
        len(batch) != 1
        or discount.shape != batch
        or is_state_terminal.shape != batch
        or next_quantiles.ndim != 2
        or next_quantiles.shape[0] != batch[0]
    ):
        raise ValueError(
            f"compute_quantile_target: expected reward, discount and is_state_terminal (B,) "
            f"and next_quantiles (B, N'), got {reward.shape}, {discount.shape}, "
            f"{is_state_terminal.shape} and {next_quantiles.shape}"
        )
    return reward[:, None] + ((1.0 - is_state_terminal) * discount)[:, None] * next_quantiles


def compute_eltwise_huber_quantile_loss(
    y: Variable | Any, t: Variable | Any, taus: Any, huber_loss_threshold: float = 1.0
) -> Variable:
    """The quantile Huber loss of every (prediction, target) pair (Dabney et al., eq. (10)).

    ``rho_tau(u) = |tau - 1{u < 0}| * Huber_kappa(u)`` with ``u = t - y``, assuming both sets of
    fractions are i.i.d. samples of ``U[0, 1]`` (Algorithm 1): an underestimate (``y < t``) is
    weighted by ``tau``, an overestimate by ``1 - tau``, so ``y`` learns the ``tau``-quantile.
    (ChainerRL's version swaps the two weights, which relabels ``tau`` as ``1 - tau``.)

    Args:
        y: Predicted quantiles ``(B, N)`` at the fractions ``taus``.
        t: Target samples ``(B, N')``.
        taus: The fractions of ``y`` ``(B, N)``.
        huber_loss_threshold: The Huber threshold ``kappa`` (> 0).

    Returns:
        A Variable ``(B, N, N')``.

    Raises:
        ValueError: If the shapes do not fit or the threshold is not positive.
    """
    if huber_loss_threshold <= 0:
        raise ValueError(
            "compute_eltwise_huber_quantile_loss: huber_loss_threshold must be > 0, "
            f"got {huber_loss_threshold}"
        )
    if y.ndim != 2 or taus.shape != y.shape or t.ndim != 2 or t.shape[0] != y.shape[0]:
        raise ValueError(
            "compute_eltwise_huber_quantile_loss: expected y (B, N), t (B, N') and taus (B, N), "
            f"got {y.shape}, {t.shape} and {taus.shape}"
        )
    shape = (y.shape[0], y.shape[1], t.shape[1])
    y_b = F.broadcast_to(F.reshape(y, (y.shape[0], y.shape[1], 1)), shape)
    t_b = F.broadcast_to(F.reshape(t, (t.shape[0], 1, t.shape[1])), shape)
    t_array, y_array = getattr(t, "array", t), getattr(y, "array", y)
    below = (t_array[:, None, :] < y_array[:, :, None]).astype(y_array.dtype)
    weight = abs(taus[:, :, None] - below)
    return weight * F.huber_loss(y_b, t_b, delta=huber_loss_threshold, reduce="no")


class IQN(DQN):
    """Implicit Quantile Networks (Dabney et al. 2018).

    Args:
        *args: The positional arguments of :class:`~kusari_rl.agents.DQN`; ``q_function`` is
            an :class:`ImplicitQuantileQFunction`.
        quantile_thresholds_N: Fractions ``N`` sampled for the predicted quantiles.
        quantile_thresholds_N_prime: Fractions ``N'`` sampled for the target.
        quantile_thresholds_K: Fractions ``K`` sampled to choose greedy actions.
        **kwargs: The keyword arguments of :class:`~kusari_rl.agents.DQN`.

    Raises:
        ValueError: If a number of fractions is not a positive int (or a DQN argument is bad).
    """

    def __init__(
        self,
        *args: Any,
        quantile_thresholds_N: int = 64,
        quantile_thresholds_N_prime: int = 64,
        quantile_thresholds_K: int = 32,
        **kwargs: Any,
    ) -> None:
        for arg, value in (
            ("quantile_thresholds_N", quantile_thresholds_N),
            ("quantile_thresholds_N_prime", quantile_thresholds_N_prime),
            ("quantile_thresholds_K", quantile_thresholds_K),
        ):
            _check_positive_int("IQN", arg, value)
        self.quantile_thresholds_N = quantile_thresholds_N
        self.quantile_thresholds_N_prime = quantile_thresholds_N_prime
        self.quantile_thresholds_K = quantile_thresholds_K
        super().__init__(*args, **kwargs)

    def _sample_taus(self, batch_size: int, n: int) -> Any:
        return self.xp.random.uniform(0.0, 1.0, (batch_size, n)).astype(self.xp.float32)

    def _evaluate_action_values(self, batch_obs: Sequence[Any]) -> QuantileDiscreteActionValue:
        """Action values of ``K`` sampled fractions (call without backprop)."""
        tau2av = self.model(self.batch_states(batch_obs, self.xp, self.phi))
        return tau2av(self._sample_taus(len(batch_obs), self.quantile_thresholds_K))

    def _compute_target_values(self, exp_batch: dict[str, Any]) -> Any:
        """Target samples ``(B, N')`` under the target network's greedy next actions."""
        batch_size = len(exp_batch["reward"])
        tau2av = self.target_model(exp_batch["next_state"])
        greedy = tau2av(self._sample_taus(batch_size, self.quantile_thresholds_K)).greedy_actions
        taus_prime = self._sample_taus(batch_size, self.quantile_thresholds_N_prime)
        next_quantiles = tau2av(taus_prime).evaluate_actions_as_quantiles(greedy).array
        return compute_quantile_target(
            exp_batch["reward"],
            exp_batch["discount"],
            exp_batch["is_state_terminal"],
            next_quantiles,
        )

    def _compute_y_and_taus(self, exp_batch: dict[str, Any]) -> tuple[Variable, Any]:
        """Predicted quantiles ``(B, N)`` of the taken actions and their fractions."""
        taus = self._sample_taus(len(exp_batch["reward"]), self.quantile_thresholds_N)
        av = self.model(exp_batch["state"])(taus)
        return av.evaluate_actions_as_quantiles(exp_batch["action"]), taus

    def _compute_loss(self, exp_batch: dict[str, Any], errors_out: list | None = None) -> Variable:
        """The quantile Huber loss: mean over the targets, sum over the fractions."""
        y, taus = self._compute_y_and_taus(exp_batch)
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            t = self._compute_target_values(exp_batch)
        eltwise_loss = compute_eltwise_huber_quantile_loss(y, t, taus)
        if errors_out is not None:
            errors_out[:] = cuda.to_cpu(eltwise_loss.array.mean(axis=(1, 2))).tolist()
        batch_size, n_prime = eltwise_loss.shape[0], eltwise_loss.shape[2]
        if "weights" in exp_batch:
            per_transition = F.sum(F.reshape(eltwise_loss, (batch_size, -1)), axis=1)
            loss = F.sum(per_transition * exp_batch["weights"]) / n_prime
        else:
            loss = F.sum(eltwise_loss) / n_prime
        if self.batch_accumulator == "mean":
            loss = loss / batch_size
        return loss
