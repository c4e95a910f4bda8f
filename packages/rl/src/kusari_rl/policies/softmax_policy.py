"""Policies over discrete actions given by a softmax of logits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari.link import Link
from kusari.variable import Variable
from kusari_rl.distribution import SoftmaxDistribution
from kusari_rl.links.mlp import MLP
from kusari_rl.policies._common import hidden_sizes
from kusari_rl.policy import Policy

__all__ = ["FCSoftmaxPolicy", "SoftmaxPolicy"]


class SoftmaxPolicy(kusari.Chain, Policy):
    """A policy whose action probabilities are ``softmax(beta * model(x))``.

    Args:
        model: A link mapping observations ``(B, ...)`` to logits ``(B, N)``.
        beta: Inverse temperature of the softmax.
        min_prob: The smallest probability of any action (see
            :class:`~kusari_rl.distribution.SoftmaxDistribution`).

    Attributes:
        model (~kusari.Link): The logits model.

    Raises:
        TypeError: ``model`` is not a Link.
    """

    def __init__(self, model: Link, beta: float = 1.0, min_prob: float = 0.0) -> None:
        if not isinstance(model, Link):
            raise TypeError(
                f"SoftmaxPolicy: model must be a kusari.Link, got {type(model).__name__}"
            )
        super().__init__(model=model)
        self.beta = beta
        self.min_prob = min_prob

    def forward(self, x: Any) -> SoftmaxDistribution:
        """The action distribution for each observation.

        Args:
            x: Observations ``(B, ...)``.

        Returns:
            A :class:`~kusari_rl.distribution.SoftmaxDistribution` over ``N`` actions.
        """
        return SoftmaxDistribution(self.model(x), beta=self.beta, min_prob=self.min_prob)


class FCSoftmaxPolicy(SoftmaxPolicy):
    """A softmax policy whose logits come from a fully connected network (:class:`MLP`).

    Args:
        n_input_channels: Observation size.
        n_actions: Number of actions ``N``.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer (required if ``n_hidden_layers > 0``).
        beta: Inverse temperature of the softmax.
        nonlinearity: Applied after each hidden layer.
        last_wscale: Scale of the output layer's initial weights.
        min_prob: The smallest probability of any action.

    Raises:
        ValueError: Hidden layers without a positive ``n_hidden_channels``.

    Example:
        >>> policy = FCSoftmaxPolicy(4, 2, n_hidden_layers=2, n_hidden_channels=64)
        >>> policy(numpy.zeros((3, 4), numpy.float32)).all_prob.shape
        (3, 2)
    """

    def __init__(
        self,
        n_input_channels: int,
        n_actions: int,
        n_hidden_layers: int = 0,
        n_hidden_channels: int | None = None,
        beta: float = 1.0,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
        min_prob: float = 0.0,
    ) -> None:
        sizes = hidden_sizes("FCSoftmaxPolicy", n_hidden_layers, n_hidden_channels)
        self.n_input_channels = n_input_channels
        self.n_actions = n_actions
        self.n_hidden_layers = n_hidden_layers
        self.n_hidden_channels = n_hidden_channels
        self.nonlinearity = nonlinearity
        model = MLP(
            n_input_channels, n_actions, sizes, nonlinearity=nonlinearity, last_wscale=last_wscale
        )
        super().__init__(model, beta=beta, min_prob=min_prob)
