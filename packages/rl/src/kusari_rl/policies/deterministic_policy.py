"""Deterministic policies over continuous actions (DDPG, TD3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari.link import Link
from kusari.variable import Variable
from kusari_rl.distribution import ContinuousDeterministicDistribution
from kusari_rl.links.mlp import MLP
from kusari_rl.links.mlp_bn import MLPBN
from kusari_rl.policies._common import TanhBound, hidden_sizes
from kusari_rl.policy import Policy

__all__ = ["ContinuousDeterministicPolicy", "FCBNDeterministicPolicy", "FCDeterministicPolicy"]


class ContinuousDeterministicPolicy(kusari.Chain, Policy):
    """A policy that puts all probability on ``action_filter(model(x))``.

    Args:
        model: A link mapping observations ``(B, ...)`` to actions ``(B, A)``.
        model_call: If given, called as ``model_call(model, x)`` instead of ``model(x)``.
        action_filter: If given, applied to the model's output (e.g. a bound).

    Attributes:
        model (~kusari.Link): The action model.

    Raises:
        TypeError: ``model`` is not a Link.
    """

    def __init__(
        self,
        model: Link,
        model_call: Callable[[Link, Any], Variable] | None = None,
        action_filter: Callable[[Variable], Variable] | None = None,
    ) -> None:
        if not isinstance(model, Link):
            raise TypeError(
                f"ContinuousDeterministicPolicy: model must be a kusari.Link, got "
                f"{type(model).__name__}"
            )
        super().__init__(model=model)
        self.model_call = model_call
        self.action_filter = action_filter

    def forward(self, x: Any) -> ContinuousDeterministicDistribution:
        """The action for each observation, as a point-mass distribution.

        Args:
            x: Observations ``(B, ...)``.

        Returns:
            A :class:`~kusari_rl.distribution.ContinuousDeterministicDistribution` of ``(B, A)``.
        """
        h = self.model(x) if self.model_call is None else self.model_call(self.model, x)
        if self.action_filter is not None:
            h = self.action_filter(h)
        return ContinuousDeterministicDistribution(h)


def _store_fc_arguments(
    policy: ContinuousDeterministicPolicy,
    owner: str,
    n_input_channels: int,
    n_hidden_layers: int,
    n_hidden_channels: int,
    action_size: int,
    min_action: Any,
    max_action: Any,
    bound_action: bool,
) -> tuple[list[int], TanhBound | None]:
    """Check and keep a fully connected policy's arguments; return its hidden sizes and bound."""
    sizes = hidden_sizes(owner, n_hidden_layers, n_hidden_channels)
    policy.n_input_channels = n_input_channels
    policy.n_hidden_layers = n_hidden_layers
    policy.n_hidden_channels = n_hidden_channels
    policy.action_size = action_size
    policy.min_action = min_action
    policy.max_action = max_action
    policy.bound_action = bound_action
    action_filter = TanhBound(owner, min_action, max_action, action_size) if bound_action else None
    return sizes, action_filter


class FCDeterministicPolicy(ContinuousDeterministicPolicy):
    """A deterministic policy computed by a fully connected network (:class:`MLP`).

    With ``bound_action`` the output ``h`` is squashed into the action box by
    ``tanh(h) * (max_action - min_action) / 2 + (max_action + min_action) / 2``
    (Lillicrap et al. 2016, DDPG, section 7).

    Args:
        n_input_channels: Observation size.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer.
        action_size: Action size ``A``.
        min_action: Lower bounds, a scalar or ``(A,)``; needed if ``bound_action``.
        max_action: Upper bounds, a scalar or ``(A,)``; needed if ``bound_action``.
        bound_action: Whether to squash the actions into ``[min_action, max_action]``.
        nonlinearity: Applied after each hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: Hidden layers without a positive ``n_hidden_channels``, or bad bounds.

    Example:
        >>> policy = FCDeterministicPolicy(3, 1, 8, 1, min_action=-2.0, max_action=2.0)
        >>> policy(numpy.zeros((5, 3), numpy.float32)).sample().shape
        (5, 1)
    """

    def __init__(
        self,
        n_input_channels: int,
        n_hidden_layers: int,
        n_hidden_channels: int,
        action_size: int,
        min_action: Any = None,
        max_action: Any = None,
        bound_action: bool = True,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        sizes, action_filter = _store_fc_arguments(
            self,
            "FCDeterministicPolicy",
            n_input_channels,
            n_hidden_layers,
            n_hidden_channels,
            action_size,
            min_action,
            max_action,
            bound_action,
        )
        model = MLP(
            n_input_channels, action_size, sizes, nonlinearity=nonlinearity, last_wscale=last_wscale
        )
        super().__init__(model, action_filter=action_filter)


class FCBNDeterministicPolicy(ContinuousDeterministicPolicy):
    """:class:`FCDeterministicPolicy` with batch normalization (:class:`MLPBN`).

    DDPG's original actor normalizes its inputs and hidden layers (Lillicrap et al. 2016,
    section 7).

    Args:
        n_input_channels: Observation size.
        n_hidden_layers: Number of hidden layers.
        n_hidden_channels: Width of each hidden layer.
        action_size: Action size ``A``.
        min_action: Lower bounds, a scalar or ``(A,)``; needed if ``bound_action``.
        max_action: Upper bounds, a scalar or ``(A,)``; needed if ``bound_action``.
        bound_action: Whether to squash the actions into ``[min_action, max_action]``.
        normalize_input: Whether to batch-normalize the observations too.
        nonlinearity: Applied after each hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: Hidden layers without a positive ``n_hidden_channels``, or bad bounds.
    """

    def __init__(
        self,
        n_input_channels: int,
        n_hidden_layers: int,
        n_hidden_channels: int,
        action_size: int,
        min_action: Any = None,
        max_action: Any = None,
        bound_action: bool = True,
        normalize_input: bool = True,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        sizes, action_filter = _store_fc_arguments(
            self,
            "FCBNDeterministicPolicy",
            n_input_channels,
            n_hidden_layers,
            n_hidden_channels,
            action_size,
            min_action,
            max_action,
            bound_action,
        )
        self.normalize_input = normalize_input
        model = MLPBN(
            n_input_channels,
            action_size,
            sizes,
            normalize_input=normalize_input,
            nonlinearity=nonlinearity,
            last_wscale=last_wscale,
        )
        super().__init__(model, action_filter=action_filter)
