"""Fully connected V-functions (ChainerRL's ``chainerrl.v_functions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari.link import Link
from kusari.variable import Variable
from kusari_rl.links.mlp import MLP
from kusari_rl.v_function import VFunction

__all__ = ["FCVFunction", "SingleModelVFunction"]


class SingleModelVFunction(kusari.Chain, VFunction):
    """A V-function made of one link that maps states to values.

    Args:
        model: A link mapping states ``(B, ...)`` to values ``(B, 1)``.
    """

    def __init__(self, model: Link) -> None:
        super().__init__()
        with self.init_scope():
            self.model = model

    def forward(self, x: Variable | Any) -> Variable:
        """Return ``V(x)``, shape ``(B, 1)``."""
        return self.model(x)


class FCVFunction(SingleModelVFunction):
    """A fully connected V-function: an :class:`~kusari_rl.links.MLP` with one output.

    Args:
        n_input_channels: Size of a state vector.
        n_hidden_layers: Number of hidden layers (0 for a linear function).
        n_hidden_channels: Size of each hidden layer (needed if ``n_hidden_layers > 0``).
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_hidden_layers`` is negative, or positive without
            ``n_hidden_channels``.

    Example:
        >>> v = FCVFunction(4, n_hidden_layers=2, n_hidden_channels=64)
        >>> v(numpy.zeros((3, 4), numpy.float32)).shape
        (3, 1)
    """

    def __init__(
        self,
        n_input_channels: int,
        n_hidden_layers: int = 0,
        n_hidden_channels: int | None = None,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        if n_hidden_layers < 0:
            raise ValueError(f"FCVFunction: n_hidden_layers must be >= 0, got {n_hidden_layers}")
        if n_hidden_layers > 0 and n_hidden_channels is None:
            raise ValueError(
                f"FCVFunction: n_hidden_channels is needed with n_hidden_layers={n_hidden_layers}"
            )
        self.n_input_channels = n_input_channels
        self.n_hidden_layers = n_hidden_layers
        self.n_hidden_channels = n_hidden_channels
        super().__init__(
            MLP(
                n_input_channels,
                1,
                [n_hidden_channels] * n_hidden_layers,
                nonlinearity=nonlinearity,
                last_wscale=last_wscale,
            )
        )
