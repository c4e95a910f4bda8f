"""A linear layer with factorized Gaussian noise (``chainerrl.links.FactorizedNoisyLinear``)."""

from __future__ import annotations

import math
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.initializer import Initializer, get_fans
from kusari.initializers import LeCunUniform
from kusari.variable import Variable

__all__ = ["FactorizedNoisyLinear"]


class _VarianceScalingConstant(Initializer):
    """Fill with ``scale / sqrt(fan_in)``; a 1-D array (a bias) uses its length as the fan.

    The bias rule follows ChainerRL (the paper divides the bias's sigma by the input size).
    """

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def __call__(self, array: Any) -> None:
        """Fill ``array`` in place."""
        self._check_array(array, floating=True)
        fan = array.shape[0] if array.ndim == 1 else get_fans(array.shape)[0]
        array[...] = self.scale / math.sqrt(fan)


def _noise(xp: Any, size: int, dtype: Any) -> Any:
    """``f(e) = sign(e) sqrt(|e|)`` of standard normal samples (Fortunato et al., Eq. 11)."""
    r = xp.random.standard_normal(size).astype(dtype, copy=False)
    return xp.copysign(xp.sqrt(xp.abs(r)), r)


class FactorizedNoisyLinear(kusari.Chain):
    """A linear layer whose weights get factorized Gaussian noise, resampled at every call.

    ``W = mu.W + sigma.W * outer(f(e_out), f(e_in))`` and ``b = mu.b + sigma.b * f(e_out)``
    with ``e_in``, ``e_out`` standard normal and ``f(e) = sign(e) sqrt(|e|)``. ``mu.W`` starts
    uniform in ``[-1/sqrt(in_size), 1/sqrt(in_size)]`` and ``mu.b`` at zero; ``sigma.W`` starts at
    ``sigma_scale / sqrt(in_size)`` and ``sigma.b`` at ``sigma_scale / sqrt(out_size)`` (as in
    ChainerRL). The noise comes from ``xp.random`` (seeded by ``set_random_seed``).

    Source: Fortunato et al. 2018, "Noisy Networks for Exploration", Section 3 (factorized
    Gaussian noise).

    Args:
        mu_link: The :class:`~kusari.links.Linear` layer this one replaces: its sizes, bias and
            device are taken (not its weights).
        sigma_scale: ``sigma_0`` of the paper.

    Attributes:
        mu (~kusari.links.Linear): The mean weights.
        sigma (~kusari.links.Linear): The noise scales.

    Raises:
        TypeError: ``mu_link`` is not a Linear.

    Example:
        >>> noisy = FactorizedNoisyLinear(L.Linear(4, 2))
        >>> noisy(numpy.ones((3, 4), numpy.float32)).shape
        (3, 2)
    """

    def __init__(self, mu_link: L.Linear, sigma_scale: float = 0.4) -> None:
        if not isinstance(mu_link, L.Linear):
            raise TypeError(
                f"FactorizedNoisyLinear: mu_link must be a Linear, got {type(mu_link).__name__}"
            )
        super().__init__()
        self.out_size = mu_link.out_size
        self.nobias = mu_link.b is None
        in_size = None if mu_link.W.array is None else mu_link.W.shape[1]
        with self.init_scope():
            self.mu = L.Linear(
                in_size, self.out_size, self.nobias, initialW=LeCunUniform(1 / math.sqrt(3))
            )
            self.sigma = L.Linear(
                in_size,
                self.out_size,
                self.nobias,
                initialW=_VarianceScalingConstant(sigma_scale),
                initial_bias=_VarianceScalingConstant(sigma_scale),
            )
        if mu_link.device != self.device:
            self.to_device(mu_link.device)

    def forward(self, x: Variable | Any) -> Variable:
        """Apply the layer with freshly sampled noise.

        Args:
            x: Input ``(B, in_size)`` (trailing axes are flattened).

        Returns:
            A Variable ``(B, out_size)``.
        """
        if self.mu.W.array is None:
            in_size = int(numpy.prod(x.shape[1:]))
            self.mu.W.initialize((self.out_size, in_size))
            self.sigma.W.initialize((self.out_size, in_size))
        out_size, in_size = self.sigma.W.shape
        eps = _noise(self.xp, in_size + out_size, self.sigma.W.dtype)
        eps_in, eps_out = eps[:in_size], eps[in_size:]
        W = self.sigma.W * self.xp.outer(eps_out, eps_in) + self.mu.W
        if self.nobias:
            return F.linear(x, W)
        return F.linear(x, W, self.sigma.b * eps_out + self.mu.b)
