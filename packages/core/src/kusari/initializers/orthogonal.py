"""The orthogonal initializer of Saxe et al."""

from __future__ import annotations

import math
from typing import Any

import numpy

from kusari import backend
from kusari.initializer import Initializer

__all__ = ["Orthogonal"]

# mode -> (rows must not outnumber columns, columns must not outnumber rows)
_MODES = {
    "auto": (False, False),
    "projection": (True, False),
    "embedding": (False, True),
    "basis": (True, True),
}


class Orthogonal(Initializer):
    """Fills an array with a scaled (semi-)orthogonal matrix.

    The array is viewed as a matrix of ``shape[0]`` rows and ``prod(shape[1:])`` columns. A matrix
    of that shape is drawn from a standard Gaussian and QR-decomposed (its transpose when it has
    more columns than rows), the signs of ``Q``'s columns are fixed so that ``R`` has a
    non-negative diagonal (which makes ``Q`` Haar-distributed, Edelman & Rao 2005), and ``Q``
    times ``scale`` fills the array. So the rows are orthogonal when there are no more rows than
    columns (``W @ W.T == scale**2 * I``), and the columns otherwise (``W.T @ W == scale**2 * I``).
    A 0-d array gets ``+scale`` or ``-scale`` at random.

    The samples come from ``numpy.random`` (the decomposition runs on the host), or from ``rng``.

    Reference: Saxe et al., Exact solutions to the nonlinear dynamics of learning in deep linear
    neural networks, ICLR 2014. https://arxiv.org/abs/1312.6120

    Args:
        scale: The norm of every orthogonal row (or column).
        dtype: Data type specifier.
        mode: What shapes to accept: ``'auto'`` (any), ``'projection'`` (no more rows than
            columns, the only choice before Chainer v7), ``'embedding'`` (no more columns than
            rows) or ``'basis'`` (square).
        rng: A ``RandomState``-like generator, or ``None`` for ``numpy.random``.

    Attributes:
        scale (float): The norm of every orthogonal row (or column).
        mode (str): The accepted shapes.
        rng: The random generator, or ``None``.

    Raises:
        ValueError: ``mode`` is not one of the four above.
    """

    def __init__(
        self, scale: float = 1.1, dtype: Any = None, mode: str = "auto", *, rng: Any = None
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"Orthogonal: mode must be one of {sorted(_MODES)}, got {mode!r}")
        self.scale = scale
        self.mode = mode
        self.rng = rng
        super().__init__(dtype)

    def _sample(self, method: str, *args: Any, **params: Any) -> Any:
        source = numpy.random if self.rng is None else self.rng
        return backend.get_device("@numpy").send(getattr(source, method)(*args, **params))

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with a scaled orthogonal system.

        Args:
            array: A floating-point NumPy or CuPy array: a 0-d array, a matrix
                ``(out_size, in_size)`` or a kernel ``(C_out, C_in, kH, kW)`` (flattened to
                ``(C_out, C_in * kH * kW)``).

        Raises:
            TypeError: ``array`` is not floating-point, or its dtype differs from ``dtype``.
            ValueError: ``array`` is empty, or its shape does not fit ``mode``.
        """
        self._check_array(array, floating=True)
        if array.ndim == 0:
            sign = 2 * int(self._sample("randint", 2)) - 1
            backend.copyto(array, numpy.asarray(self.scale * sign))
            return
        if array.size == 0:
            raise ValueError(f"Orthogonal: cannot fill an empty array (shape {array.shape})")
        rows, cols = array.shape[0], math.prod(array.shape[1:])
        rows_le_cols, cols_le_rows = _MODES[self.mode]
        if (rows_le_cols and rows > cols) or (cols_le_rows and cols > rows):
            raise ValueError(
                f"Orthogonal: mode {self.mode!r} cannot fill shape {array.shape}, seen as "
                f"{rows} rows of {cols} columns; use mode='auto' or transpose the weight"
            )
        a = self._sample("normal", size=(rows, cols))
        transpose = cols > rows
        if transpose:
            a = a.T
        q, r = numpy.linalg.qr(a)
        q *= numpy.copysign(self.scale, numpy.diag(r))
        if transpose:
            q = q.T
        backend.copyto(array, q.reshape(array.shape))
