"""Gaussian policies over continuous actions (PPO, TRPO, A2C, REINFORCE).

Parameter layouts follow ChainerRL's, so parameter names (and saved files) match: the
fully connected layers of :class:`FCGaussianPolicyWithStateIndependentCovariance` and
:class:`FCGaussianPolicyWithFixedCovariance` are numbered ``0, 1, ...`` in order, the last one
computing the mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import backend
from kusari.initializers import LeCunNormal
from kusari.variable import Variable
from kusari_rl.distribution import GaussianDistribution
from kusari_rl.policies._common import TanhBound, hidden_sizes, var_size
from kusari_rl.policy import Policy

__all__ = [
    "FCGaussianPolicy",
    "FCGaussianPolicyWithFixedCovariance",
    "FCGaussianPolicyWithStateIndependentCovariance",
    "GaussianHeadWithStateIndependentCovariance",
]


def _mean_layers(
    n_input_channels: int, action_size: int, sizes: list[int], mean_wscale: float
) -> list[L.Linear]:
    """Hidden Linear layers followed by the mean layer (LeCun normal scaled by mean_wscale)."""
    ins = [n_input_channels, *sizes]
    layers = [L.Linear(n_in, n_out) for n_in, n_out in zip(ins[:-1], ins[1:], strict=True)]
    layers.append(L.Linear(ins[-1], action_size, initialW=LeCunNormal(mean_wscale)))
    return layers


def _init_mean_network(
    policy: Any,
    owner: str,
    n_input_channels: int,
    action_size: int,
    n_hidden_layers: int,
    n_hidden_channels: int | None,
    min_action: Any,
    max_action: Any,
    bound_mean: bool,
    nonlinearity: Callable[[Any], Variable],
) -> None:
    """Store the arguments of the mean network on ``policy`` and build its tanh bound."""
    policy.n_input_channels = n_input_channels
    policy.action_size = action_size
    policy.n_hidden_layers = n_hidden_layers
    policy.n_hidden_channels = n_hidden_channels
    policy.min_action = min_action
    policy.max_action = max_action
    policy.bound_mean = bound_mean
    policy.nonlinearity = nonlinearity
    policy._bound = TanhBound(owner, min_action, max_action, action_size) if bound_mean else None


class FCGaussianPolicy(kusari.ChainList, Policy):
    """A Gaussian policy whose mean and variance are both computed from the observation.

    Hidden layers ``h`` feed two output layers: the mean is ``mean_layer(h)`` (squashed into
    ``[min_action, max_action]`` by tanh if ``bound_mean``), and the variance is
    ``softplus(var_layer(h)) + min_var``, one value per row (``'spherical'``) or per action
    dimension (``'diagonal'``).

    Args:
        n_input_channels: Observation size.
        action_size: Action size ``A``.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer (required if ``n_hidden_layers > 0``).
        min_action: Lower bounds, scalar or ``(A,)``; used if ``bound_mean``.
        max_action: Upper bounds, scalar or ``(A,)``; used if ``bound_mean``.
        bound_mean: Whether to squash the mean into the bounds.
        var_type: ``'spherical'`` or ``'diagonal'``.
        nonlinearity: Applied after each hidden layer.
        mean_wscale: Scale of the mean layer's initial weights.
        var_wscale: Scale of the variance layer's initial weights.
        var_bias: Initial bias of the variance layer.
        min_var: Added to every variance.

    Raises:
        ValueError: Bad hidden sizes, ``var_type`` or bounds.
    """

    def __init__(
        self,
        n_input_channels: int,
        action_size: int,
        n_hidden_layers: int = 0,
        n_hidden_channels: int | None = None,
        min_action: Any = None,
        max_action: Any = None,
        bound_mean: bool = False,
        var_type: str = "spherical",
        nonlinearity: Callable[[Any], Variable] = F.relu,
        mean_wscale: float = 1,
        var_wscale: float = 1,
        var_bias: float = 0,
        min_var: float = 0,
    ) -> None:
        owner = "FCGaussianPolicy"
        sizes = hidden_sizes(owner, n_hidden_layers, n_hidden_channels)
        n_var = var_size(owner, var_type, action_size)
        super().__init__()
        _init_mean_network(
            self,
            owner,
            n_input_channels,
            action_size,
            n_hidden_layers,
            n_hidden_channels,
            min_action,
            max_action,
            bound_mean,
            nonlinearity,
        )
        self.min_var = min_var
        *hidden, mean_layer = _mean_layers(n_input_channels, action_size, sizes, mean_wscale)
        n_last = sizes[-1] if sizes else n_input_channels
        var_layer = L.Linear(n_last, n_var, initialW=LeCunNormal(var_wscale), initial_bias=var_bias)
        for link in (mean_layer, var_layer, *hidden):
            self.add_link(link)

    @property
    def mean_layer(self) -> L.Linear:
        """The layer computing the mean (child ``0``)."""
        return self[0]

    @property
    def var_layer(self) -> L.Linear:
        """The layer computing the variance (child ``1``)."""
        return self[1]

    @property
    def hidden_layers(self) -> list[L.Linear]:
        """The hidden layers (children ``2, 3, ...``)."""
        return self[2:]

    def compute_mean_and_var(self, x: Any) -> tuple[Variable, Variable]:
        """The mean and variance for each observation.

        Args:
            x: Observations ``(B, n_input_channels)``.

        Returns:
            The mean and the variance, both ``(B, A)``.
        """
        h = x
        nonlinearity = self.nonlinearity
        for layer in self.hidden_layers:
            h = nonlinearity(layer(h))
        mean = self.mean_layer(h)
        if self._bound is not None:
            mean = self._bound(mean)
        var = F.broadcast_to(F.softplus(self.var_layer(h)), mean.shape)
        if self.min_var:
            var = var + self.min_var
        return mean, var

    def forward(self, x: Any) -> GaussianDistribution:
        """The action distribution for each observation.

        Args:
            x: Observations ``(B, n_input_channels)``.

        Returns:
            A :class:`~kusari_rl.distribution.GaussianDistribution` of shape ``(B, A)``.
        """
        mean, var = self.compute_mean_and_var(x)
        return GaussianDistribution(mean, var)


class FCGaussianPolicyWithStateIndependentCovariance(kusari.Chain, Policy):
    """A Gaussian policy with a state-dependent mean and a learned state-independent variance.

    The mean is computed as in :class:`FCGaussianPolicy`; the variance is ``var_func(var_param)``
    for a parameter of size 1 (``'spherical'``) or ``A`` (``'diagonal'``), as often used with PPO
    and TRPO (Henderson et al. 2018, "Deep Reinforcement Learning that Matters").

    Args:
        n_input_channels: Observation size.
        action_size: Action size ``A``.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer (required if ``n_hidden_layers > 0``).
        min_action: Lower bounds, scalar or ``(A,)``; used if ``bound_mean``.
        max_action: Upper bounds, scalar or ``(A,)``; used if ``bound_mean``.
        bound_mean: Whether to squash the mean into the bounds.
        var_type: ``'spherical'`` or ``'diagonal'``.
        nonlinearity: Applied after each hidden layer.
        mean_wscale: Scale of the mean layer's initial weights.
        var_func: Maps the parameter to positive variances.
        var_param_init: Initial value of the variance parameter.

    Attributes:
        hidden_layers (~kusari.ChainList): The hidden layers and, last, the mean layer.
        var_param (~kusari.Parameter): The variance parameter, ``(1,)`` or ``(A,)``.

    Raises:
        ValueError: Bad hidden sizes, ``var_type`` or bounds.
    """

    def __init__(
        self,
        n_input_channels: int,
        action_size: int,
        n_hidden_layers: int = 0,
        n_hidden_channels: int | None = None,
        min_action: Any = None,
        max_action: Any = None,
        bound_mean: bool = False,
        var_type: str = "spherical",
        nonlinearity: Callable[[Any], Variable] = F.relu,
        mean_wscale: float = 1,
        var_func: Callable[[Variable], Variable] = F.softplus,
        var_param_init: float = 0,
    ) -> None:
        owner = "FCGaussianPolicyWithStateIndependentCovariance"
        sizes = hidden_sizes(owner, n_hidden_layers, n_hidden_channels)
        n_var = var_size(owner, var_type, action_size)
        super().__init__()
        _init_mean_network(
            self,
            owner,
            n_input_channels,
            action_size,
            n_hidden_layers,
            n_hidden_channels,
            min_action,
            max_action,
            bound_mean,
            nonlinearity,
        )
        self.var_func = var_func
        with self.init_scope():
            self.hidden_layers = kusari.ChainList(
                *_mean_layers(n_input_channels, action_size, sizes, mean_wscale)
            )
            self.var_param = kusari.Parameter(var_param_init, (n_var,))

    def forward(self, x: Any) -> GaussianDistribution:
        """The action distribution for each observation.

        Args:
            x: Observations ``(B, n_input_channels)``.

        Returns:
            A :class:`~kusari_rl.distribution.GaussianDistribution` of shape ``(B, A)``.
        """
        mean = _bounded_mean(self, self.hidden_layers, x)
        var = F.broadcast_to(self.var_func(self.var_param), mean.shape)
        return GaussianDistribution(mean, var)


class FCGaussianPolicyWithFixedCovariance(kusari.ChainList, Policy):
    """A Gaussian policy with a state-dependent mean and a fixed, given variance.

    The mean is computed as in :class:`FCGaussianPolicy`.

    Args:
        n_input_channels: Observation size.
        action_size: Action size ``A``.
        var: The variance, a positive scalar or ``(A,)``.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer (required if ``n_hidden_layers > 0``).
        min_action: Lower bounds, scalar or ``(A,)``; used if ``bound_mean``.
        max_action: Upper bounds, scalar or ``(A,)``; used if ``bound_mean``.
        bound_mean: Whether to squash the mean into the bounds.
        nonlinearity: Applied after each hidden layer.
        mean_wscale: Scale of the mean layer's initial weights.

    Attributes:
        var (numpy.ndarray): The variance, float32 ``(A,)``.

    Raises:
        ValueError: Bad hidden sizes or bounds, or ``var`` not positive or not of shape ``(A,)``.
    """

    def __init__(
        self,
        n_input_channels: int,
        action_size: int,
        var: Any,
        n_hidden_layers: int = 0,
        n_hidden_channels: int | None = None,
        min_action: Any = None,
        max_action: Any = None,
        bound_mean: bool = False,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        mean_wscale: float = 1,
    ) -> None:
        owner = "FCGaussianPolicyWithFixedCovariance"
        sizes = hidden_sizes(owner, n_hidden_layers, n_hidden_channels)
        var_array = numpy.asarray(backend.CpuDevice().send(var), numpy.float32)
        try:
            var_array = numpy.array(numpy.broadcast_to(var_array, (action_size,)))
        except ValueError:
            raise ValueError(
                f"{owner}: var must be a scalar or have shape ({action_size},) (action_size), "
                f"got shape {var_array.shape}"
            ) from None
        if not (var_array > 0).all():
            raise ValueError(f"{owner}: var must be positive, got {var_array}")
        super().__init__(*_mean_layers(n_input_channels, action_size, sizes, mean_wscale))
        _init_mean_network(
            self,
            owner,
            n_input_channels,
            action_size,
            n_hidden_layers,
            n_hidden_channels,
            min_action,
            max_action,
            bound_mean,
            nonlinearity,
        )
        self.var = var_array

    def forward(self, x: Any) -> GaussianDistribution:
        """The action distribution for each observation.

        Args:
            x: Observations ``(B, n_input_channels)``.

        Returns:
            A :class:`~kusari_rl.distribution.GaussianDistribution` of shape ``(B, A)``.
        """
        mean = _bounded_mean(self, self, x)
        xp = backend.get_array_module(mean.array)
        var = xp.broadcast_to(xp.asarray(self.var, dtype=mean.dtype), mean.shape)
        return GaussianDistribution(mean, var)


class GaussianHeadWithStateIndependentCovariance(kusari.Chain):
    """Turns a batch of means into Gaussians with a learned state-independent variance.

    Attach it after a network that outputs the mean (e.g. with :class:`kusari.Sequential` or
    ``kusari_rl.links.Sequence``); its only parameter sets the variance through ``var_func``,
    as often used with PPO and TRPO (Henderson et al. 2018).

    Args:
        action_size: Action size ``A``.
        var_type: ``'spherical'`` (one variance) or ``'diagonal'`` (one per action dimension).
        var_func: Maps the parameter to positive variances.
        var_param_init: Initial value of the parameter.

    Attributes:
        var_param (~kusari.Parameter): The variance parameter, ``(1,)`` or ``(A,)``.

    Raises:
        ValueError: ``var_type`` is neither ``'spherical'`` nor ``'diagonal'``.

    Example:
        >>> head = GaussianHeadWithStateIndependentCovariance(2)
        >>> head(numpy.zeros((3, 2), numpy.float32)).var.shape
        (3, 2)
    """

    def __init__(
        self,
        action_size: int,
        var_type: str = "spherical",
        var_func: Callable[[Variable], Variable] = F.softplus,
        var_param_init: float = 0,
    ) -> None:
        n_var = var_size("GaussianHeadWithStateIndependentCovariance", var_type, action_size)
        super().__init__()
        self.action_size = action_size
        self.var_func = var_func
        with self.init_scope():
            self.var_param = kusari.Parameter(var_param_init, (n_var,))

    def forward(self, mean: Any) -> GaussianDistribution:
        """Wrap the means in Gaussians.

        Args:
            mean: Means ``(B, A)``.

        Returns:
            A :class:`~kusari_rl.distribution.GaussianDistribution` of shape ``(B, A)``.
        """
        shape = mean.shape
        var = F.broadcast_to(self.var_func(self.var_param), shape)
        return GaussianDistribution(mean, var)


def _bounded_mean(policy: Any, layers: kusari.ChainList, x: Any) -> Variable:
    """The mean: ``layers`` with ``policy.nonlinearity`` between them, then the tanh bound."""
    h = x
    nonlinearity = policy.nonlinearity
    *hidden, last = list(layers)
    for layer in hidden:
        h = nonlinearity(layer(h))
    mean = last(h)
    return mean if policy._bound is None else policy._bound(mean)
