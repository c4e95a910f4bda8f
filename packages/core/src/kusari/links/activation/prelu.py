"""The parametric ReLU layer (``chainer.links.PReLU``)."""

from __future__ import annotations

from typing import Any

from kusari.functions.activation.prelu import prelu
from kusari.link import Link
from kusari.variable import Parameter, Variable

__all__ = ["PReLU"]


class PReLU(Link):
    """Parametric ReLU with a learned slope ``W``, wrapping :func:`kusari.functions.prelu`.

    From He et al., "Delving Deep into Rectifiers: Surpassing Human-Level Performance on
    ImageNet Classification", ICCV 2015 (arXiv:1502.01852).

    Args:
        shape: Shape of ``W``: ``()`` shares one slope over all entries, ``(C,)`` gives one per
            channel of ``x (B, C, ...)``; in general ``x.shape[1:1 + len(shape)] == shape``.
        init: Initial value of ``W``: a scalar, an array, or an initializer.

    Attributes:
        W (~kusari.Parameter): The slopes, of shape ``shape``.

    Example:
        >>> act = L.PReLU((3,))
        >>> act(numpy.full((2, 3, 4, 4), -1, numpy.float32)).array[0, :, 0, 0]
        array([-0.25, -0.25, -0.25], dtype=float32)
    """

    def __init__(self, shape: tuple[int, ...] = (), init: Any = 0.25) -> None:
        super().__init__()
        with self.init_scope():
            self.W = Parameter(init, tuple(shape))

    def forward(self, x: Variable | Any) -> Variable:
        """Apply the parametric ReLU.

        Args:
            x: Input ``(B, *shape, S_1, ..., S_N)`` of ``W``'s dtype.

        Returns:
            A Variable of ``x``'s shape.
        """
        return prelu(x, self.W)
