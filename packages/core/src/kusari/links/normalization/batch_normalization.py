"""Batch normalization with learned scale and shift (``chainer.links.BatchNormalization``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy

from kusari import initializers
from kusari.configuration import config
from kusari.functions.normalization.batch_normalization import (
    batch_normalization,
    fixed_batch_normalization,
)
from kusari.link import Link
from kusari.variable import Parameter, Variable

__all__ = ["BatchNormalization"]


class BatchNormalization(Link):
    """Batch normalization layer with a learned scale ``gamma`` and shift ``beta``.

    From Ioffe and Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by
    Reducing Internal Covariate Shift".

    In training mode (``kusari.config.train``) the input is normalized with the statistics of
    the batch, and the running averages are updated in place:
    ``avg_mean = decay * avg_mean + (1 - decay) * mean`` and
    ``avg_var = decay * avg_var + (1 - decay) * m / (m - 1) * var``, where ``m`` is the number
    of values averaged per channel (the unbiased variance). In test mode the running averages
    are used instead (:func:`kusari.functions.fixed_batch_normalization`).

    The statistics are taken over the axes ``axis`` of the input; by default over the first
    axis and every axis after the ``size`` ones, e.g. over ``(B, H, W)`` for ``x (B, C, H, W)``
    and ``size=C``.

    Args:
        size: Shape of ``gamma``, ``beta`` and the running statistics: an int (``C``) or a
            tuple; ``None`` infers it from the first input (``axis`` is then required).
        decay: Decay rate of the running averages.
        eps: Added to the variance before the square root, for stability.
        dtype: Data type of the parameters and running statistics (``None``:
            ``kusari.config.dtype``).
        use_gamma: Whether to learn a scale ``gamma`` (otherwise ``gamma`` is ``None`` and 1 is
            used).
        use_beta: Whether to learn a shift ``beta`` (otherwise ``beta`` is ``None`` and 0 is
            used).
        initial_gamma: Initializer of ``gamma``; ``None`` for ones.
        initial_beta: Initializer of ``beta``; ``None`` for zeros.
        axis: The axis or axes of the input to normalize over; ``None`` for the default above.
        initial_avg_mean: Initializer of ``avg_mean``; ``None`` for zeros.
        initial_avg_var: Initializer of ``avg_var``; ``None`` for ones.

    Attributes:
        gamma (~kusari.Parameter or None): The scale, of shape ``size``.
        beta (~kusari.Parameter or None): The shift, of shape ``size``.
        avg_mean (array or None): The running mean (a persistent value).
        avg_var (array or None): The running variance (a persistent value).
        N (int): Number of batches seen in fine-tuning mode (a persistent value).
        decay (float): The decay rate of the running averages.
        eps (float): The epsilon added to the variance.

    Raises:
        ValueError: Both ``size`` and ``axis`` are ``None``.

    Example:
        >>> bn = L.BatchNormalization(3)
        >>> y = bn(numpy.random.randn(4, 3, 2, 2).astype(numpy.float32))
        >>> bn.avg_mean.shape
        (3,)
    """

    def __init__(
        self,
        size: int | tuple[int, ...] | None = None,
        decay: float = 0.9,
        eps: float = 2e-5,
        dtype: Any = None,
        use_gamma: bool = True,
        use_beta: bool = True,
        initial_gamma: Any = None,
        initial_beta: Any = None,
        axis: int | tuple[int, ...] | None = None,
        initial_avg_mean: Any = None,
        initial_avg_var: Any = None,
    ) -> None:
        super().__init__()
        if size is None and axis is None:
            raise ValueError("BatchNormalization: size or axis is required, got neither")
        self._initial_avg_mean = initial_avg_mean
        self._initial_avg_var = initial_avg_var
        self.N = 0
        self.register_persistent("N")
        self.decay = decay
        self.eps = eps
        if isinstance(axis, int):
            axis = (axis,)
        self.axis = axis
        self._highprec_dtype = numpy.dtype(config.dtype if dtype is None else dtype)
        with self.init_scope():
            self.gamma = self._make_param(use_gamma, initial_gamma, 1)
            self.beta = self._make_param(use_beta, initial_beta, 0)
        # Registered while still None, so loading a file into a lazy link fills them.
        self.avg_mean = None
        self.register_persistent("avg_mean")
        self.avg_var = None
        self.register_persistent("avg_var")
        if size is not None:
            self._initialize_params(size)

    def _make_param(self, use: bool, initial: Any, default: float) -> Parameter | None:
        if not use:
            return None
        initializer = initializers._get_initializer(default if initial is None else initial)
        if hasattr(initializer, "dtype"):
            initializer = copy.copy(initializer)
            initializer.dtype = self._highprec_dtype
        return Parameter(initializer)

    def _init_array(self, initial: Any, default: float, shape: Any) -> Any:
        initializer = initializers._get_initializer(default if initial is None else initial)
        return initializers.generate_array(
            initializer, shape, self.xp, dtype=self._highprec_dtype, device=self.device
        )

    def _initialize_params(self, shape: Any) -> None:
        self.avg_mean = self._init_array(self._initial_avg_mean, 0, shape)
        self._initial_avg_mean = None
        self.avg_var = self._init_array(self._initial_avg_var, 1, shape)
        self._initial_avg_var = None
        if self.gamma is not None:
            self.gamma.initialize(shape)
        if self.beta is not None:
            self.beta.initialize(shape)

    def forward(self, x: Variable | Any, finetune: bool = False) -> Variable:
        """Normalize ``x`` with the batch statistics (training) or the running ones (test).

        Args:
            x: Input ``(B, C, ...)`` (or any shape matching ``size`` and ``axis``).
            finetune: In training mode, accumulate the population statistics instead of a
                decaying average: the ``N``-th batch gets weight ``1 / N`` (call
                :meth:`start_finetuning` to restart the count).

        Returns:
            A Variable of ``x``'s shape and dtype.
        """
        if self.avg_mean is None:
            axes = {a % x.ndim for a in self.axis}
            self._initialize_params(tuple(d for i, d in enumerate(x.shape) if i not in axes))
        xp = self.xp
        gamma = self.gamma
        if gamma is None:
            with self.device:
                gamma = xp.ones(self.avg_mean.shape, dtype=self._highprec_dtype)
        beta = self.beta
        if beta is None:
            with self.device:
                beta = xp.zeros(self.avg_mean.shape, dtype=self._highprec_dtype)
        if config.train:
            if finetune:
                self.N += 1
                decay = 1.0 - 1.0 / self.N
            else:
                decay = self.decay
            return batch_normalization(
                x,
                gamma,
                beta,
                eps=self.eps,
                running_mean=self.avg_mean,
                running_var=self.avg_var,
                decay=decay,
                axis=self.axis,
            )
        return fixed_batch_normalization(
            x, gamma, beta, self.avg_mean, self.avg_var, self.eps, axis=self.axis
        )

    def start_finetuning(self) -> None:
        """Reset the batch count ``N`` before collecting population statistics again."""
        self.N = 0
