"""A plain multi-layer perceptron (ChainerRL's ``chainerrl.links.MLP``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.initializers import LeCunNormal
from kusari.variable import Variable

__all__ = ["MLP"]


def _check_sizes(owner: str, hidden_sizes: Sequence[int]) -> list[int]:
    """Return ``hidden_sizes`` as a list after checking every size is a positive int."""
    if isinstance(hidden_sizes, (str, bytes)) or not isinstance(hidden_sizes, Sequence):
        raise TypeError(
            f"{owner}: hidden_sizes must be a sequence of ints, got {type(hidden_sizes).__name__}"
        )
    sizes = list(hidden_sizes)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"{owner}: hidden sizes must be positive ints, got {sizes}")
    return sizes


class MLP(kusari.Chain):
    """Fully connected layers with a nonlinearity between them and none after the last.

    ``y = output(f(h_k(... f(h_1(x)))))`` where ``f`` is ``nonlinearity`` and ``h_i`` are the
    hidden :class:`~kusari.links.Linear` layers. The hidden layers use LeCun-normal weights and
    zero biases (Linear's defaults); the output layer's weights are LeCun-normal scaled by
    ``last_wscale`` (standard deviation ``last_wscale / sqrt(fan_in)``), which lets policies and
    value functions start with near-zero outputs.

    Args:
        in_size: Input size, or ``None`` to infer it at the first call.
        out_size: Output size.
        hidden_sizes: Sizes of the hidden layers, in order (empty for a single linear layer).
        nonlinearity: Applied after every hidden layer (a function of a Variable).
        last_wscale: Scale of the output layer's initial weights.

    Attributes:
        hidden_layers (~kusari.ChainList): The hidden layers (only if ``hidden_sizes``).
        output (~kusari.links.Linear): The output layer.

    Raises:
        TypeError: ``hidden_sizes`` is not a sequence.
        ValueError: A hidden size is not a positive int.

    Example:
        >>> mlp = MLP(4, 2, [64, 64])
        >>> mlp(numpy.zeros((3, 4), numpy.float32)).shape
        (3, 2)
    """

    def __init__(
        self,
        in_size: int | None,
        out_size: int,
        hidden_sizes: Sequence[int],
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1,
    ) -> None:
        super().__init__()
        sizes = _check_sizes("MLP", hidden_sizes)
        self.in_size = in_size
        self.out_size = out_size
        self.hidden_sizes = sizes
        self.nonlinearity = nonlinearity
        with self.init_scope():
            if sizes:
                pairs = zip([in_size, *sizes[:-1]], sizes, strict=True)
                self.hidden_layers = kusari.ChainList(
                    *[L.Linear(n_in, n_out) for n_in, n_out in pairs]
                )
            self.output = L.Linear(
                sizes[-1] if sizes else in_size, out_size, initialW=LeCunNormal(last_wscale)
            )

    def forward(self, x: Variable | Any) -> Variable:
        """Apply the layers.

        Args:
            x: Input of shape ``(B, in_size)``.

        Returns:
            A Variable of shape ``(B, out_size)``.
        """
        h = x
        if self.hidden_sizes:
            nonlinearity = self.nonlinearity
            for layer in self.hidden_layers:
                h = nonlinearity(layer(h))
        return self.output(h)
