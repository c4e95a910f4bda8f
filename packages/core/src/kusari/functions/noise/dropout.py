"""dropout: zero random elements in training and rescale the rest."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.configuration import config
from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable, as_variable


class Dropout(FunctionNode):
    """``x * mask`` where ``mask`` is ``0`` or ``1 / (1 - ratio)`` per element."""

    def __init__(self, dropout_ratio: float, mask: Any = None) -> None:
        self.dropout_ratio = dropout_ratio
        self.mask = mask

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input, and that a given mask matches its shape and dtype."""
        type_check.expect_n_inputs("dropout", in_types, 1)
        x = in_types[0]
        type_check.expect_float("dropout", "x", x)
        if self.mask is not None:
            type_check.expect_shape("dropout", "mask", self.mask, x.shape)
            type_check.expect_dtype("dropout", "mask", self.mask, x.dtype)

    def forward(self, inputs: tuple) -> tuple:
        """Draw the mask from ``xp.random`` (unless given) and multiply."""
        x, = inputs
        if self.mask is None:
            xp = backend.get_array_module(x)
            mask = (xp.random.rand(*x.shape) >= self.dropout_ratio).astype(x.dtype)
            mask *= x.dtype.type(1.0 / (1.0 - self.dropout_ratio))
            self.mask = mask
        return (x * self.mask,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * mask``."""
        return DropoutGrad(self.mask).apply(grad_outputs)


class DropoutGrad(FunctionNode):
    """Multiply by a fixed mask; it is its own adjoint, so its backward is itself."""

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def forward(self, inputs: tuple) -> tuple:
        """``gy * mask``."""
        return (inputs[0] * self.mask,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``ggx * mask``."""
        return DropoutGrad(self.mask).apply(grad_outputs)


def dropout(x: Variable | Any, ratio: float = 0.5, *, mask: Any = None,
            return_mask: bool = False) -> Variable | tuple[Variable, Any]:
    """Drop elements at random with probability ``ratio`` and scale the rest by ``1/(1-ratio)``.

    Outside training (``kusari.config.train`` is ``False``) it returns ``x`` unchanged. The mask
    is drawn from ``xp.random`` (NumPy's global generator on the CPU), so ``numpy.random.seed``
    makes it reproducible. Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks
    from Overfitting", JMLR 2014.

    Args:
        x: Input of any shape, float16/32/64.
        ratio: Probability of dropping an element, in ``[0, 1)``.
        mask: A mask to use instead of a random one (``ratio`` is then ignored): an array of
            ``x``'s shape and dtype, usually ``0`` or ``1 / (1 - ratio)``, e.g. one returned by
            an earlier call with ``return_mask=True``.
        return_mask: Also return the mask used.

    Returns:
        A Variable of ``x``'s shape and dtype; with ``return_mask``, a tuple of it and the mask
        array (``None`` outside training).

    Raises:
        ValueError: ``ratio`` is not in ``[0, 1)``.
        InvalidType: ``x`` is not a float array, or ``mask`` does not match its shape or dtype.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"dropout: ratio must be in [0, 1), got {ratio!r}")
    if config.train:
        func = Dropout(ratio, mask)
        y = func.apply((x,))[0]
        mask = func.mask
    else:
        y = as_variable(x)
        mask = None
    if return_mask:
        return y, mask
    return y
