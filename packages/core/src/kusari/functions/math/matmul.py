"""matmul: matrix product of two arrays, batched over leading axes like ``numpy.matmul``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.reshape import reshape
from kusari.utils import force_array, type_check
from kusari.variable import Variable


def _t(x: Any) -> Any:
    return x.swapaxes(-1, -2)


class MatMul(FunctionNode):
    """``op(a) @ op(b)`` where ``op`` transposes the last two axes when asked."""

    def __init__(self, transa: bool = False, transb: bool = False) -> None:
        self.transa = transa
        self.transb = transb

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ranks, dtypes and that the contracted dimensions agree."""
        type_check.expect_n_inputs("matmul", in_types, 2)
        a, b = in_types
        type_check.expect_ndim("matmul", "a", a, 2, at_least=True)
        type_check.expect_ndim("matmul", "b", b, 2, at_least=True)
        type_check.expect_same_dtype("matmul", ("a", "b"), (a, b))
        ka = a.shape[-2] if self.transa else a.shape[-1]
        kb = b.shape[-1] if self.transb else b.shape[-2]
        a_ax = "a.shape[-2]" if self.transa else "a.shape[-1]"
        b_ax = "b.shape[-1]" if self.transb else "b.shape[-2]"
        type_check.expect_equal("matmul", a_ax, ka, b_ax, kb)

    def forward(self, inputs: tuple) -> tuple:
        """Compute the product."""
        self.retain_inputs((0, 1))
        a, b = inputs
        xp = backend.get_array_module(a)
        return force_array(xp.matmul(_t(a) if self.transa else a, _t(b) if self.transb else b)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients with the transposes swapped, summed over broadcast batch axes."""
        from kusari.functions.math.sum_to import sum_to

        a, b = self.get_retained_inputs()
        gy = grad_outputs[0]
        out = []
        for i in indexes:
            if i == 0:
                g = matmul(b, gy, transa=self.transb, transb=True) if self.transa else matmul(
                    gy, b, transb=not self.transb
                )
            else:
                g = matmul(gy, a, transa=True, transb=self.transa) if self.transb else matmul(
                    a, gy, transa=not self.transa
                )
            target = (a, b)[i].shape
            out.append(g if g.shape == target else sum_to(g, target))
        return tuple(out)


def matmul(a: Variable | Any, b: Variable | Any, transa: bool = False,
           transb: bool = False) -> Variable:
    """Matrix product ``op(a) @ op(b)``, batched over leading axes with broadcasting.

    Args:
        a: Array of shape ``(..., N, K)`` (``(..., K, N)`` with ``transa``); a 1-D ``a`` of
            shape ``(K,)`` is treated as ``(1, K)`` and the result squeezed back.
        b: Array of shape ``(..., K, M)`` (``(..., M, K)`` with ``transb``); a 1-D ``b`` is
            treated as ``(K, 1)``.
        transa: Transpose the last two axes of ``a`` first (ignored for a 1-D ``a``).
        transb: Transpose the last two axes of ``b`` first (ignored for a 1-D ``b``).

    Returns:
        A Variable of shape ``(..., N, M)``.

    Raises:
        InvalidType: Dtypes differ or the contracted dimensions do not match.
    """
    a_1d = a.ndim == 1
    b_1d = b.ndim == 1
    if a_1d:
        a = reshape(a, (1, -1))
        transa = False
    if b_1d:
        b = reshape(b, (-1, 1))
        transb = False
    y = MatMul(transa, transb).apply((a, b))[0]
    if a_1d or b_1d:
        shape = y.shape[:-2] + (() if a_1d else y.shape[-2:-1]) + (() if b_1d else y.shape[-1:])
        y = reshape(y, shape)
    return y
