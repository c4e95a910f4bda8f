"""lower_triangular_matrix: build a batch of lower triangular matrices from their entries."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable

__all__ = ["lower_triangular_matrix"]

_FNAME = "lower_triangular_matrix"


def _indices(xp: Any, n: int) -> tuple[Any, Any, Any]:
    """Diagonal indices, then the row and column indices of the strictly lower triangle."""
    rows, cols = xp.tril_indices(n, -1)
    return xp.arange(n), rows, cols


class LowerTriangularMatrix(FunctionNode):
    """Scatter ``diag (B, n)`` and ``non_diag (B, n(n-1)/2)`` into ``(B, n, n)`` zeros."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check both inputs are 2-D floats of one dtype with matching sizes."""
        type_check.expect_n_inputs(_FNAME, in_types, 2)
        diag, non_diag = in_types
        type_check.expect_ndim(_FNAME, "diag", diag, 2)
        type_check.expect_ndim(_FNAME, "non_diag", non_diag, 2)
        type_check.expect_float(_FNAME, "diag", diag)
        type_check.expect_same_dtype(_FNAME, ("diag", "non_diag"), in_types)
        type_check.expect_equal(
            _FNAME, "diag.shape[0]", diag.shape[0], "non_diag.shape[0]", non_diag.shape[0]
        )
        n = diag.shape[1]
        type_check.expect_equal(
            _FNAME,
            "non_diag.shape[1]",
            non_diag.shape[1],
            f"n (n - 1) / 2 with n = diag.shape[1] = {n}",
            n * (n - 1) // 2,
        )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Write the entries into a zero matrix."""
        diag, non_diag = inputs
        xp = backend.get_array_module(diag)
        batch_size, n = diag.shape
        d, rows, cols = _indices(xp, n)
        y = xp.zeros((batch_size, n, n), dtype=diag.dtype)
        y[:, rows, cols] = non_diag
        y[:, d, d] = diag
        return (y,)

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Gather the gradient's diagonal and strictly lower entries."""
        gdiag, gnon_diag = LowerTriangularMatrixGrad().apply(grad_outputs)
        return tuple((gdiag, gnon_diag)[i] for i in indexes)


class LowerTriangularMatrixGrad(FunctionNode):
    """The adjoint of :class:`LowerTriangularMatrix`: read the entries back from ``(B, n, n)``."""

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Gather the diagonal and the strictly lower triangle."""
        (gy,) = inputs
        xp = backend.get_array_module(gy)
        d, rows, cols = _indices(xp, gy.shape[1])
        return gy[:, d, d], gy[:, rows, cols]

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Scatter the two gradients back into a matrix (missing ones count as zeros)."""
        gdiag, gnon_diag = grad_outputs
        if gdiag is None or gnon_diag is None:
            ref = gnon_diag if gdiag is None else gdiag
            xp = ref.xp
            batch_size = ref.shape[0]
            n = self.inputs[0].shape[1]
            if gdiag is None:
                gdiag = xp.zeros((batch_size, n), dtype=ref.dtype)
            else:
                gnon_diag = xp.zeros((batch_size, n * (n - 1) // 2), dtype=ref.dtype)
        return LowerTriangularMatrix().apply((gdiag, gnon_diag))


def lower_triangular_matrix(diag: Variable | Any, non_diag: Variable | Any) -> Variable:
    """Build lower triangular matrices from their diagonal and strictly lower entries.

    ``y[b, i, i] = diag[b, i]``; the strictly lower entries are filled row by row
    (``numpy.tril_indices(n, -1)`` order) from ``non_diag[b]``; the upper triangle is zero.
    Used for the Cholesky factor ``L`` of NAF's ``P = L L^T`` (Gu et al. 2016).

    Args:
        diag: The diagonals, shape ``(B, n)``.
        non_diag: The strictly lower entries, shape ``(B, n (n - 1) / 2)``.

    Returns:
        A Variable of shape ``(B, n, n)``.

    Raises:
        InvalidType: The shapes or dtypes do not fit (a TypeError and ValueError).

    Example:
        >>> diag = numpy.array([[1, 2, 3]], "f")
        >>> non_diag = numpy.array([[4, 5, 6]], "f")
        >>> lower_triangular_matrix(diag, non_diag).array[0]
        array([[1., 0., 0.],
               [4., 2., 0.],
               [5., 6., 3.]], dtype=float32)
    """
    return LowerTriangularMatrix().apply((diag, non_diag))[0]
