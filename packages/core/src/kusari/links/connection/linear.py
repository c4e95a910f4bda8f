"""The fully connected layer (``chainer.links.Linear``)."""

from __future__ import annotations

from typing import Any

from kusari import initializers
from kusari.functions.connection.linear import linear
from kusari.link import Link
from kusari.utils import size_of_shape
from kusari.variable import Parameter, Variable

__all__ = ["Linear"]


class Linear(Link):
    """Fully connected layer: ``y = x W^T + b``, wrapping :func:`kusari.functions.linear`.

    ``Linear(out_size)`` and ``Linear(None, out_size)`` leave the input size open: ``W`` is
    created at the first call, with ``in_size = x.size // prod(x.shape[:n_batch_axes])``.

    Args:
        in_size: Size of an input vector, or ``None`` to infer it at the first call. Given
            alone, it is taken as ``out_size`` (and the input size is inferred).
        out_size: Size of an output vector.
        nobias: If ``True``, the layer has no bias (``b`` is ``None``).
        initialW: Initializer of ``W (out_size, in_size)``: an initializer, a scalar, an array
            or ``None`` for :class:`~kusari.initializers.LeCunNormal` (variance ``1 / in_size``,
            LeCun et al. 1998, "Efficient BackProp").
        initial_bias: Initializer of ``b (out_size,)``: an initializer, a scalar, an array or
            ``None`` for zeros.

    Attributes:
        W (~kusari.Parameter): The weight ``(out_size, in_size)``.
        b (~kusari.Parameter or None): The bias ``(out_size,)``.
        in_size (int or None): The input size given at construction.
        out_size (int): The output size.

    Example:
        >>> layer = L.Linear(3, 2)
        >>> layer(numpy.ones((4, 3), numpy.float32)).shape
        (4, 2)
        >>> lazy = L.Linear(2)
        >>> lazy(numpy.ones((4, 5, 6), numpy.float32)).shape, lazy.W.shape
        ((4, 2), (2, 30))
    """

    def __init__(
        self,
        in_size: int | None,
        out_size: int | None = None,
        nobias: bool = False,
        initialW: Any = None,
        initial_bias: Any = None,
    ) -> None:
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        if out_size is None:
            raise ValueError("Linear: out_size is required, got None")
        self.in_size = in_size
        self.out_size = out_size
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_size is not None:
                self._initialize_params(in_size)
            if nobias:
                self.b = None
            else:
                if initial_bias is None:
                    initial_bias = 0
                self.b = Parameter(initializers._get_initializer(initial_bias), out_size)

    def _initialize_params(self, in_size: int) -> None:
        self.W.initialize((self.out_size, in_size))

    def forward(self, x: Variable | Any, n_batch_axes: int = 1) -> Variable:
        """Apply the layer.

        Args:
            x: Input ``(B, in_size)``, or ``(*batch, *features)`` whose feature axes are
                flattened (``prod(features) == in_size``).
            n_batch_axes: Number of leading batch axes of ``x`` kept in the output.

        Returns:
            A Variable ``(B, out_size)`` (``(*batch, out_size)`` when ``n_batch_axes > 1``).
        """
        if self.W.array is None:
            self._initialize_params(size_of_shape(x.shape[n_batch_axes:]))
        return linear(x, self.W, self.b, n_batch_axes=n_batch_axes)
