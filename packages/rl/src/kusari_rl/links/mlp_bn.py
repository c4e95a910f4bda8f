"""A multi-layer perceptron with batch normalization (ChainerRL's ``chainerrl.links.MLPBN``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.configuration import config
from kusari.initializers import LeCunNormal
from kusari.variable import Variable
from kusari_rl.links.mlp import _check_sizes

__all__ = ["LinearBN", "MLPBN"]


class LinearBN(kusari.Chain):
    """A linear layer followed by batch normalization: ``bn(linear(x))``.

    Args:
        in_size: Input size.
        out_size: Output size.
    """

    def __init__(self, in_size: int | None, out_size: int) -> None:
        super().__init__()
        with self.init_scope():
            self.linear = L.Linear(in_size, out_size)
            self.bn = L.BatchNormalization(out_size)

    def forward(self, x: Variable | Any) -> Variable:
        """Return ``bn(linear(x))``, shape ``(B, out_size)``."""
        return self.bn(self.linear(x))


class MLPBN(kusari.Chain):
    """Fully connected layers with batch normalization after each hidden one.

    Batch normalization: Ioffe and Szegedy 2015. In training mode (``kusari.config.train``) it
    needs batches of more than one example.

    Args:
        in_size: Input size.
        out_size: Output size.
        hidden_sizes: Sizes of the hidden layers (each a :class:`LinearBN`).
        normalize_input: Normalize the input with its own batch normalization first.
        normalize_output: Normalize the output too.
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights (LeCun normal).

    Raises:
        TypeError: ``hidden_sizes`` is not a sequence.
        ValueError: A hidden size is not a positive int.
    """

    def __init__(
        self,
        in_size: int,
        out_size: int,
        hidden_sizes: Sequence[int],
        normalize_input: bool = True,
        normalize_output: bool = False,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1,
    ) -> None:
        super().__init__()
        sizes = _check_sizes("MLPBN", hidden_sizes)
        self.in_size = in_size
        self.out_size = out_size
        self.hidden_sizes = sizes
        self.normalize_input = normalize_input
        self.normalize_output = normalize_output
        self.nonlinearity = nonlinearity
        with self.init_scope():
            if normalize_input:
                self.input_bn = L.BatchNormalization(in_size)
            if sizes:
                pairs = zip([in_size, *sizes[:-1]], sizes, strict=True)
                self.hidden_layers = kusari.ChainList(
                    *[LinearBN(n_in, n_out) for n_in, n_out in pairs]
                )
            self.output = L.Linear(
                sizes[-1] if sizes else in_size, out_size, initialW=LeCunNormal(last_wscale)
            )
            if normalize_output:
                self.output_bn = L.BatchNormalization(out_size)

    def forward(self, x: Variable | Any) -> Variable:
        """Apply the layers.

        Args:
            x: Input ``(B, in_size)``; ``B > 1`` in training mode.

        Returns:
            A Variable ``(B, out_size)``.

        Raises:
            ValueError: A batch of one example in training mode.
        """
        if config.train and x.shape[0] <= 1:
            raise ValueError(
                f"MLPBN: batch normalization needs more than one example in training mode, got "
                f"a batch of {x.shape[0]}; call it under kusari.using_config('train', False)"
            )
        h = x
        if self.normalize_input:
            h = self.input_bn(h)
        if self.hidden_sizes:
            for layer in self.hidden_layers:
                h = self.nonlinearity(layer(h))
        h = self.output(h)
        if self.normalize_output:
            h = self.output_bn(h)
        return h
