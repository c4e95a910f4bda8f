"""Dueling networks for 84x84 image observations (``chainerrl.q_functions.dueling_dqn``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.variable import Variable
from kusari_rl.action_value import DiscreteActionValue, DistributionalDiscreteActionValue
from kusari_rl.links.mlp import MLP
from kusari_rl.q_function import StateQFunction
from kusari_rl.q_functions.state_q_functions import _check_atoms, _z_values

__all__ = ["DistributionalDuelingDQN", "DuelingDQN"]

# 64 channels of 7 x 7 after the three convolutions of an 84 x 84 input (Mnih et al. 2015).
_N_CONV_FEATURES = 3136


def _conv_layers(n_input_channels: int, bias: float) -> kusari.ChainList:
    """The Nature-DQN convolutions: 32 8x8/4, 64 4x4/2, 64 3x3/1."""
    return kusari.ChainList(
        L.Convolution2D(n_input_channels, 32, 8, stride=4, initial_bias=bias),
        L.Convolution2D(32, 64, 4, stride=2, initial_bias=bias),
        L.Convolution2D(64, 64, 3, stride=1, initial_bias=bias),
    )


class _DuelingBase(kusari.Chain, StateQFunction):
    def _features(self, x: Variable | Any) -> Variable:
        h = x
        for layer in self.conv_layers:
            h = self.activation(layer(h))
        return h


class DuelingDQN(_DuelingBase):
    """Dueling Q-network on 84x84 images: ``Q = V + A - mean_a A``.

    Source: Wang et al. 2016, "Dueling Network Architectures for Deep Reinforcement Learning",
    Eq. 9, with the convolutions of Mnih et al. 2015.

    Args:
        n_actions: Number of actions.
        n_input_channels: Channels of the input images (stacked frames).
        activation: Applied after every convolution.
        bias: Initial bias of the convolutions.

    Example:
        >>> q = DuelingDQN(3)
        >>> q(numpy.zeros((1, 4, 84, 84), numpy.float32)).q_values.shape
        (1, 3)
    """

    def __init__(
        self,
        n_actions: int,
        n_input_channels: int = 4,
        activation: Callable[[Any], Variable] = F.relu,
        bias: float = 0.1,
    ) -> None:
        super().__init__()
        self.n_actions = n_actions
        self.n_input_channels = n_input_channels
        self.activation = activation
        with self.init_scope():
            self.conv_layers = _conv_layers(n_input_channels, bias)
            self.a_stream = MLP(_N_CONV_FEATURES, n_actions, [512])
            self.v_stream = MLP(_N_CONV_FEATURES, 1, [512])

    def forward(self, x: Variable | Any) -> DiscreteActionValue:
        """Return the action values of images ``x`` ``(B, n_input_channels, 84, 84)``."""
        h = self._features(x)
        ya = self.a_stream(h)
        ya = ya - F.mean(ya, axis=1, keepdims=True)
        return DiscreteActionValue(ya + self.v_stream(h))


class DistributionalDuelingDQN(_DuelingBase):
    """Distributional dueling Q-network on 84x84 images (C51 with dueling streams).

    The logits of each action's atoms are ``V + A - mean_a A``, then a softmax over atoms.
    Sources: Wang et al. 2016 (dueling) and Bellemare et al. 2017 (C51).

    Args:
        n_actions: Number of actions.
        n_atoms: Number of atoms (``>= 2``).
        v_min: Return of the lowest atom.
        v_max: Return of the highest atom (``> v_min``).
        n_input_channels: Channels of the input images.
        activation: Applied after every convolution.
        bias: Initial bias of the convolutions.

    Raises:
        ValueError: ``n_atoms < 2`` or ``v_min >= v_max``.
    """

    def __init__(
        self,
        n_actions: int,
        n_atoms: int,
        v_min: float,
        v_max: float,
        n_input_channels: int = 4,
        activation: Callable[[Any], Variable] = F.relu,
        bias: float = 0.1,
    ) -> None:
        _check_atoms("DistributionalDuelingDQN", n_atoms, v_min, v_max)
        super().__init__()
        self.n_actions = n_actions
        self.n_input_channels = n_input_channels
        self.activation = activation
        self.n_atoms = n_atoms
        self.add_persistent("z_values", _z_values(n_atoms, v_min, v_max))
        with self.init_scope():
            self.conv_layers = _conv_layers(n_input_channels, bias)
            self.a_stream = MLP(_N_CONV_FEATURES, n_actions * n_atoms, [512])
            self.v_stream = MLP(_N_CONV_FEATURES, n_atoms, [512])

    def forward(self, x: Variable | Any) -> DistributionalDiscreteActionValue:
        """Return the distributional action values of images ``(B, n_input_channels, 84, 84)``."""
        h = self._features(x)
        batch_size = h.shape[0]
        ya = F.reshape(self.a_stream(h), (batch_size, self.n_actions, self.n_atoms))
        ya = ya - F.mean(ya, axis=1, keepdims=True)
        ys = F.reshape(self.v_stream(h), (batch_size, 1, self.n_atoms))
        return DistributionalDiscreteActionValue(F.softmax(ya + ys, axis=2), self.z_values)
