"""Initializers drawing from a uniform distribution ``[-s, s]``: fixed, LeCun, Glorot, He."""

from __future__ import annotations

import math
from typing import Any

from kusari.initializer import Initializer, get_fans
from kusari.initializers._sampling import fill_random

__all__ = ["GlorotUniform", "HeUniform", "LeCunUniform", "Uniform"]


class Uniform(Initializer):
    """Fills an array with samples of the uniform distribution on ``[-scale, scale]``.

    Args:
        scale: Half the width of the interval.
        dtype: Data type specifier.
        rng: A ``numpy.random.RandomState`` (or CuPy's) to draw from; ``None`` uses the global
            ``xp.random`` of the array's device, seeded by ``numpy.random.seed``.

    Attributes:
        scale (float): Half the width of the interval.
        rng: The random generator, or ``None``.
    """

    def __init__(self, scale: float = 0.05, dtype: Any = None, *, rng: Any = None) -> None:
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with uniform samples.

        Args:
            array: A floating-point NumPy or CuPy array ``(...)``.

        Raises:
            TypeError: ``array`` is not floating-point, or its dtype differs from ``dtype``.
        """
        self._check_array(array, floating=True)
        fill_random(array, self.rng, "uniform", low=-self.scale, high=self.scale)


class _ScaledUniform(Initializer):
    """A uniform distribution whose half-width depends on the fans of the filled array."""

    def __init__(self, scale: float = 1.0, dtype: Any = None, *, rng: Any = None) -> None:
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def _bound(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with uniform samples on ``[-s, s]`` for the scaled ``s``.

        Args:
            array: A floating-point NumPy or CuPy array with at least 2 axes, e.g. a linear
                weight ``(out_size, in_size)`` or a convolution kernel ``(C_out, C_in, kH, kW)``.

        Raises:
            TypeError: ``array`` is not floating-point, or its dtype differs from ``dtype``.
            ValueError: ``array`` has fewer than 2 axes.
        """
        self._check_array(array, floating=True)
        s = self._bound(*get_fans(array.shape))
        fill_random(array, self.rng, "uniform", low=-s, high=s)


class LeCunUniform(_ScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(3 / fan_in)``.

    Reference: LeCun et al., Efficient BackProp, 1998.
    http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf

    Args:
        scale: A constant multiplying ``s``.
        dtype: Data type specifier.
        rng: Random generator, or ``None`` for the global ``xp.random``.
    """

    def _bound(self, fan_in: int, fan_out: int) -> float:
        return self.scale * math.sqrt(3.0 / fan_in)


class GlorotUniform(_ScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / (fan_in + fan_out))``.

    Reference: Glorot & Bengio, Understanding the difficulty of training deep feedforward neural
    networks, AISTATS 2010.

    Args:
        scale: A constant multiplying ``s``.
        dtype: Data type specifier.
        rng: Random generator, or ``None`` for the global ``xp.random``.
    """

    def _bound(self, fan_in: int, fan_out: int) -> float:
        return self.scale * math.sqrt(6.0 / (fan_in + fan_out))


class HeUniform(_ScaledUniform):
    """Uniform on ``[-s, s]`` with ``s = scale * sqrt(6 / fan_in)``.

    Reference: He et al., Delving Deep into Rectifiers, ICCV 2015. https://arxiv.org/abs/1502.01852

    Args:
        scale: A constant multiplying ``s``.
        dtype: Data type specifier.
        rng: Random generator, or ``None`` for the global ``xp.random``.
    """

    def _bound(self, fan_in: int, fan_out: int) -> float:
        return self.scale * math.sqrt(6.0 / fan_in)
