"""Normalizing inputs with running statistics (``chainerrl.links.EmpiricalNormalization``)."""

from __future__ import annotations

from typing import Any

import numpy

import kusari.functions as F
from kusari.link import Link
from kusari.variable import Variable

__all__ = ["EmpiricalNormalization"]


class EmpiricalNormalization(Link):
    """Normalize values to zero mean and unit variance with statistics of all values seen.

    ``y = (x - mean) / sqrt(var + eps)``, optionally clipped to ``[-clip_threshold,
    clip_threshold]``. Each batch updates the running mean and variance (Chan et al. 1979's
    parallel update, exact for the union of all batches) unless ``update=False`` or ``until``
    values were seen. The statistics are persistent values: they are saved and loaded with the
    link and moved with :meth:`~kusari.Link.to_device`; they are not trained.

    Args:
        shape: Shape of one value (without the batch axis): an int or a tuple.
        batch_axis: The batch axis of the inputs.
        eps: Added to the variance before the square root.
        dtype: Data type of the statistics.
        until: Stop updating after this many values; ``None`` never stops.
        clip_threshold: Clip normalized values to ``[-clip_threshold, clip_threshold]``;
            ``None`` does not clip.

    Attributes:
        count (int): Number of values seen so far.

    Raises:
        ValueError: ``clip_threshold`` is not positive.

    Example:
        >>> norm = EmpiricalNormalization(2)
        >>> y = norm(numpy.array([[0, 10], [2, 30]], numpy.float32))
        >>> norm.mean, norm.count
        (array([ 1., 20.], dtype=float32), 2)
    """

    def __init__(
        self,
        shape: int | tuple[int, ...],
        batch_axis: int = 0,
        eps: float = 1e-2,
        dtype: Any = numpy.float32,
        until: int | None = None,
        clip_threshold: float | None = None,
    ) -> None:
        super().__init__()
        if clip_threshold is not None and not clip_threshold > 0:
            raise ValueError(
                f"EmpiricalNormalization: clip_threshold must be positive or None, got "
                f"{clip_threshold}"
            )
        dtype = numpy.dtype(dtype)
        self.shape = (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
        self.batch_axis = batch_axis
        self.eps = dtype.type(eps)
        self.until = until
        self.clip_threshold = clip_threshold
        self.add_persistent("_mean", numpy.expand_dims(numpy.zeros(self.shape, dtype), batch_axis))
        self.add_persistent("_var", numpy.expand_dims(numpy.ones(self.shape, dtype), batch_axis))
        self.add_persistent("count", 0)

    @property
    def mean(self) -> Any:
        """A copy of the running mean, of shape ``shape``."""
        return self.xp.squeeze(self._mean, self.batch_axis).copy()

    @property
    def std(self) -> Any:
        """The running standard deviation ``sqrt(var)`` (without ``eps``), shape ``shape``."""
        return self.xp.sqrt(self.xp.squeeze(self._var, self.batch_axis))

    def _check_shape(self, what: str, x: Any) -> None:
        shape = x.shape
        axis = self.batch_axis % len(shape) if shape else 0
        if shape[:axis] + shape[axis + 1 :] != self.shape:
            raise ValueError(
                f"EmpiricalNormalization.{what}: expected values of shape {self.shape} along "
                f"batch axis {self.batch_axis}, got an input of shape {shape}"
            )

    def experience(self, x: Variable | Any) -> None:
        """Update the running statistics with the batch ``x`` (nothing once ``until`` is met).

        Args:
            x: A batch of values: ``shape`` with the batch axis inserted at ``batch_axis``.

        Raises:
            ValueError: ``x`` has the wrong shape.
        """
        if isinstance(x, Variable):
            x = x.array
        self._check_shape("experience", x)
        if self.until is not None and self.count >= self.until:
            return
        count_x = x.shape[self.batch_axis]
        if count_x == 0:
            return
        xp = self.xp
        self.count += count_x
        rate = self._mean.dtype.type(count_x / self.count)
        mean_x = xp.mean(x, axis=self.batch_axis, keepdims=True)
        var_x = xp.var(x, axis=self.batch_axis, keepdims=True)
        delta_mean = mean_x - self._mean
        self._mean += rate * delta_mean
        self._var += rate * (var_x - self._var + delta_mean * (mean_x - self._mean))

    def forward(self, x: Variable | Any, update: bool = True) -> Any:
        """Normalize ``x``, first adding it to the statistics when ``update``.

        Args:
            x: A batch of values (an array, or a Variable to get a Variable back).
            update: Whether to update the statistics with ``x`` first.

        Returns:
            The normalized values, of ``x``'s shape (an array for an array input).

        Raises:
            ValueError: ``x`` has the wrong shape.
        """
        if update:
            self.experience(x)
        else:
            self._check_shape("__call__", x)
        std_inv = (self._var + self.eps) ** -0.5
        y = (x - self._mean) * std_inv
        if self.clip_threshold is None:
            return y
        if isinstance(y, Variable):
            return F.clip(y, -self.clip_threshold, self.clip_threshold)
        return self.xp.clip(y, -self.clip_threshold, self.clip_threshold)

    def inverse(self, y: Variable | Any) -> Any:
        """Undo the normalization (not the clipping): ``y sqrt(var + eps) + mean``.

        Args:
            y: Normalized values (an array or a Variable).

        Returns:
            The values in the original scale, of ``y``'s shape.
        """
        std = (self._var + self.eps) ** 0.5
        return y * std + self._mean
