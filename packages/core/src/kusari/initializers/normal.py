"""Initializers drawing from a zero-mean Gaussian: fixed, LeCun, Glorot and He scaling."""

from __future__ import annotations

import math
from typing import Any

from kusari.initializer import Initializer, get_fans
from kusari.initializers._sampling import fill_random

__all__ = ["GlorotNormal", "HeNormal", "LeCunNormal", "Normal"]


class Normal(Initializer):
    """Fills an array with samples of a Gaussian of mean 0 and standard deviation ``scale``.

    Args:
        scale: Standard deviation of the Gaussian.
        dtype: Data type specifier.
        rng: A ``numpy.random.RandomState`` (or CuPy's) to draw from; ``None`` uses the global
            ``xp.random`` of the array's device, seeded by ``numpy.random.seed``.

    Attributes:
        scale (float): Standard deviation of the Gaussian.
        rng: The random generator, or ``None``.
    """

    def __init__(self, scale: float = 0.05, dtype: Any = None, *, rng: Any = None) -> None:
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with Gaussian samples.

        Args:
            array: A floating-point NumPy or CuPy array ``(...)``.

        Raises:
            TypeError: ``array`` is not floating-point, or its dtype differs from ``dtype``.
        """
        self._check_array(array, floating=True)
        fill_random(array, self.rng, "normal", loc=0.0, scale=self.scale)


class _ScaledNormal(Initializer):
    """A Gaussian whose standard deviation depends on the fans of the filled array."""

    def __init__(self, scale: float = 1.0, dtype: Any = None, *, rng: Any = None) -> None:
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def _std(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with Gaussian samples of the scaled standard deviation.

        Args:
            array: A floating-point NumPy or CuPy array with at least 2 axes, e.g. a linear
                weight ``(out_size, in_size)`` or a convolution kernel ``(C_out, C_in, kH, kW)``.

        Raises:
            TypeError: ``array`` is not floating-point, or its dtype differs from ``dtype``.
            ValueError: ``array`` has fewer than 2 axes.
        """
        self._check_array(array, floating=True)
        std = self._std(*get_fans(array.shape))
        fill_random(array, self.rng, "normal", loc=0.0, scale=std)


class LeCunNormal(_ScaledNormal):
    """Gaussian of standard deviation ``scale * sqrt(1 / fan_in)``.

    Reference: LeCun et al., Efficient BackProp, 1998.
    http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf

    Args:
        scale: A constant multiplying the standard deviation.
        dtype: Data type specifier.
        rng: Random generator, or ``None`` for the global ``xp.random``.
    """

    def _std(self, fan_in: int, fan_out: int) -> float:
        return self.scale * math.sqrt(1.0 / fan_in)


class GlorotNormal(_ScaledNormal):
    """Gaussian of standard deviation ``scale * sqrt(2 / (fan_in + fan_out))``.

    Reference: Glorot & Bengio, Understanding the difficulty of training deep feedforward neural
    networks, AISTATS 2010.

    Args:
        scale: A constant multiplying the standard deviation.
        dtype: Data type specifier.
        rng: Random generator, or ``None`` for the global ``xp.random``.
    """

    def _std(self, fan_in: int, fan_out: int) -> float:
        return self.scale * math.sqrt(2.0 / (fan_in + fan_out))


class HeNormal(_ScaledNormal):
    """Gaussian of standard deviation ``scale * sqrt(2 / fan)``.

    ``fan`` is ``fan_in`` or ``fan_out`` as ``fan_option`` says.

    Reference: He et al., Delving Deep into Rectifiers, ICCV 2015. https://arxiv.org/abs/1502.01852

    Args:
        scale: A constant multiplying the standard deviation.
        dtype: Data type specifier.
        fan_option: ``'fan_in'`` (default) or ``'fan_out'``.
        rng: Random generator, or ``None`` for the global ``xp.random``.

    Raises:
        ValueError: ``fan_option`` is neither ``'fan_in'`` nor ``'fan_out'``.
    """

    def __init__(
        self, scale: float = 1.0, dtype: Any = None, fan_option: str = "fan_in", *, rng: Any = None
    ) -> None:
        if fan_option not in ("fan_in", "fan_out"):
            raise ValueError(
                f"HeNormal: fan_option must be 'fan_in' or 'fan_out', got {fan_option!r}"
            )
        self.fan_option = fan_option
        super().__init__(scale, dtype, rng=rng)

    def _std(self, fan_in: int, fan_out: int) -> float:
        fan = fan_in if self.fan_option == "fan_in" else fan_out
        return self.scale * math.sqrt(2.0 / fan)
