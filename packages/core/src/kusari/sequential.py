"""Sequential: a model that applies its layers one after another (``chainer.Sequential``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kusari.link import ChainList, Link

__all__ = ["Sequential"]


def _layer_type_name(layer: Any) -> str:
    if isinstance(layer, Link):
        return type(layer).__name__
    return getattr(layer, "__name__", type(layer).__name__)


class Sequential(ChainList):
    """A model whose forward pass calls its layers in order, each on the previous one's output.

    Layers may be links or any other callables (``F.relu``, a ``functools.partial``, a
    ``lambda``). The links among them are the children of this :class:`~kusari.ChainList`,
    named ``'0'``, ``'1'``, ... in the order of the links alone, so
    ``Sequential(L.Linear(3, 4), F.relu, L.Linear(4, 2))`` saves ``'0/W'`` and ``'1/W'``.

    A layer that returns a tuple has it unpacked into the arguments of the next layer.

    The layers behave like a list: indexing, ``len``, iteration, ``in``, :meth:`append`,
    :meth:`insert`, ``del``, ``pop``, ``remove``, ``+`` and ``+=`` with another Sequential.
    Indexing returns layers (a list of them for a slice).

    Args:
        layers: The callables to apply, in order.

    Raises:
        ValueError: A layer is not callable.

    Example:
        >>> model = kusari.Sequential(L.Linear(3, 4), F.relu, L.Linear(4, 2))
        >>> model(numpy.zeros((5, 3), numpy.float32)).shape
        (5, 2)
        >>> [path for path, _ in model.namedparams()]
        ['/0/W', '/0/b', '/1/W', '/1/b']
    """

    def __init__(self, *layers: Any) -> None:
        super().__init__()
        self._layers: list[Any] = []
        for layer in layers:
            self.append(layer)

    def _check_layer(self, layer: Any) -> None:
        if not callable(layer):
            raise ValueError(
                f"Sequential: every layer must be callable, got {type(layer).__name__} {layer!r}"
            )

    def _sync_children(self) -> None:
        """Make the children the links among the layers, named by their order."""
        self._children = [layer for layer in self._layers if isinstance(layer, Link)]
        self._rename_children()

    def forward(self, *x: Any) -> Any:
        """Apply the layers in order.

        Args:
            x: The inputs of the first layer.

        Returns:
            The output of the last layer.

        Raises:
            RuntimeError: The Sequential has no layer.
        """
        if not self._layers:
            raise RuntimeError("Sequential: the model has no layer; append() some first")
        for layer in self._layers:
            x = layer(*x) if isinstance(x, tuple) else layer(x)
        return x

    # -- list interface -----------------------------------------------------------------------
    def __len__(self) -> int:
        """Return the number of layers."""
        return len(self._layers)

    def __getitem__(self, index: Any) -> Any:
        """Return the layer at ``index`` (a list of layers for a slice)."""
        return self._layers[index]

    def __setitem__(self, index: Any, layer: Any) -> None:
        """Replace the layer at ``index`` (or the layers of a slice)."""
        if isinstance(index, slice):
            layer = list(layer)
            for item in layer:
                self._check_layer(item)
        else:
            self._check_layer(layer)
        self._layers[index] = layer
        self._sync_children()

    def __delitem__(self, index: Any) -> None:
        """Remove the layer at ``index`` (or the layers of a slice)."""
        del self._layers[index]
        self._sync_children()

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the layers."""
        return iter(self._layers)

    def __reversed__(self) -> Iterator[Any]:
        """Iterate over the layers from the last."""
        return reversed(self._layers)

    def __contains__(self, layer: Any) -> bool:
        """Whether ``layer`` is one of the layers."""
        return layer in self._layers

    def __add__(self, other: Sequential) -> Sequential:
        """Return a new Sequential with the layers of this one, then those of ``other``."""
        if not isinstance(other, Sequential):
            raise ValueError(
                f"Sequential: '+' needs another Sequential, got {type(other).__name__}"
            )
        return Sequential(*self._layers, *other._layers)

    def __iadd__(self, other: Sequential) -> Sequential:
        """Append the layers of ``other`` to this Sequential."""
        if not isinstance(other, Sequential):
            raise ValueError(
                f"Sequential: '+=' needs another Sequential, got {type(other).__name__}"
            )
        self.extend(other)
        return self

    def insert(self, index: int, layer: Any) -> None:
        """Insert ``layer`` before position ``index``.

        Raises:
            ValueError: ``layer`` is not callable.
        """
        self._check_layer(layer)
        self._layers.insert(index, layer)
        self._sync_children()

    def append(self, layer: Any) -> None:
        """Append ``layer`` as the last layer.

        Raises:
            ValueError: ``layer`` is not callable.
        """
        self._check_layer(layer)
        self._layers.append(layer)
        if isinstance(layer, Link):
            layer.name = str(len(self._children))
            self._children.append(layer)

    def add_link(self, link: Link) -> None:
        """Append the link ``link`` as the last layer.

        Raises:
            TypeError: ``link`` is not a Link.
        """
        self._check_link(link)
        self.append(link)

    def extend(self, layers: Iterable[Any]) -> None:
        """Append each of ``layers`` (e.g. another Sequential).

        Raises:
            ValueError: A layer is not callable.
        """
        for layer in list(layers):
            self.append(layer)

    def clear(self) -> None:
        """Remove every layer."""
        self._layers = []
        self._children = []

    def remove_by_layer_type(self, type_name: str) -> None:
        """Remove every layer of a type: a link's class name or a function's name.

        Args:
            type_name: E.g. ``'Linear'`` or ``'relu'``.
        """
        self._layers = [layer for layer in self._layers if _layer_type_name(layer) != type_name]
        self._sync_children()

    def count_by_layer_type(self, type_name: str) -> int:
        """Return the number of layers of a type: a link's class name or a function's name.

        Args:
            type_name: E.g. ``'Linear'`` or ``'relu'``.
        """
        return sum(_layer_type_name(layer) == type_name for layer in self._layers)

    def flatten(self) -> Sequential:
        """Return a new Sequential with the layers of nested Sequentials spliced in place."""
        ret = Sequential()
        for layer in self._layers:
            if isinstance(layer, Sequential):
                ret.extend(layer.flatten())
            else:
                ret.append(layer)
        return ret

    def copy(self, mode: str = "share") -> Sequential:
        """Return a new Sequential of copies of the links (see :meth:`Link.copy`).

        Functions and other callables that are not links are reused as they are.

        Args:
            mode: ``'share'``, ``'copy'`` or ``'init'``, as in :meth:`Link.copy`.

        Raises:
            ValueError: ``mode`` is not one of the three above.
        """
        if mode not in ("init", "copy", "share"):
            raise ValueError(
                f"Sequential.copy: mode must be 'init', 'copy' or 'share', got {mode!r}"
            )
        ret = Sequential()
        for layer in self._layers:
            ret.append(layer.copy(mode) if isinstance(layer, Link) else layer)
        ret._device = self._device
        return ret
