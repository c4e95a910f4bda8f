"""Learnable channel-wise L2 normalization used on SSD's conv4_3 source."""

from __future__ import annotations

from typing import Any

import kusari
import kusari.functions as F
from kusari import initializers


class Normalize(kusari.Link):
    """Learnable L2 normalization along the channel axis.

    Computes ``y = x / (sqrt(sum_c x ** 2) + eps) * scale[c]`` where ``scale`` is a learnable
    parameter of shape ``(C,)``.

    Source: Wei Liu, Andrew Rabinovich, Alexander C. Berg. ParseNet: Looking Wider to See
    Better. ICLR 2016.

    Args:
        n_channel: Number of channels ``C``.
        initial: Initializer of ``scale``: an initializer, a scalar or an array.
        eps: Added to the L2 norm to avoid division by zero.

    Raises:
        ValueError: ``n_channel`` is not positive.
    """

    def __init__(self, n_channel: int, initial: Any = 0, eps: float = 1e-5) -> None:
        super().__init__()
        if int(n_channel) <= 0:
            raise ValueError(f"Normalize: n_channel must be positive, got {n_channel}")
        self.eps = eps
        with self.init_scope():
            self.scale = kusari.Parameter(initializers._get_initializer(initial), (int(n_channel),))

    def forward(self, x: kusari.Variable | Any) -> kusari.Variable:
        """Normalize ``x`` over channels and scale each channel.

        Args:
            x: Input of shape ``(B, C, H, W)``, float.

        Returns:
            A Variable of the shape and dtype of ``x``.

        Raises:
            ValueError: ``x`` is not 4-dimensional or ``x.shape[1]`` differs from ``C``.
        """
        x = kusari.as_variable(x)
        if x.ndim != 4 or x.shape[1] != self.scale.shape[0]:
            raise ValueError(
                f"Normalize: expected x of shape (B, {self.scale.shape[0]}, H, W), got {x.shape}"
            )
        x = F.normalize(x, eps=self.eps, axis=1)
        scale = F.reshape(self.scale, (1, -1, 1, 1))
        return x * F.broadcast_to(scale, x.shape)
