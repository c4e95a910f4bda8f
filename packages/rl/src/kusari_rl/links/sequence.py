"""A chain of layers and functions called in turn (ChainerRL's ``chainerrl.links.Sequence``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import kusari
from kusari.link import Link

__all__ = ["Sequence"]


def _signature_target(layer: Any) -> Callable[..., Any]:
    """What to read a layer's keyword arguments from: ``forward`` for links."""
    return layer.forward if isinstance(layer, Link) else layer


def _keyword_names(layer: Any) -> frozenset[str] | None:
    """The keyword names ``layer`` accepts, or ``None`` if it takes ``**kwargs`` (or is opaque)."""
    try:
        params = inspect.signature(_signature_target(layer)).parameters.values()
    except (TypeError, ValueError):
        return None
    names = set()
    for p in params:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.add(p.name)
    return frozenset(names)


class Sequence(kusari.ChainList):
    """Call links and plain functions one after the other: ``layers[-1](...(layers[0](x)))``.

    The links among ``layers`` are the children (their parameters are trained and saved); plain
    functions such as ``F.relu`` or lambdas are only called. Keyword arguments of a call are
    passed on to each layer that accepts them (all of them to layers taking ``**kwargs``).

    Args:
        layers: Links and callables, in calling order.

    Attributes:
        layers (list): The layers in calling order.

    Raises:
        TypeError: A layer is not callable.

    Example:
        >>> seq = Sequence(L.Linear(4, 8), F.relu, L.Linear(8, 2))
        >>> seq(numpy.zeros((3, 4), numpy.float32)).shape
        (3, 2)
    """

    def __init__(self, *layers: Any) -> None:
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(
                    f"Sequence: layer {i} must be a link or a callable, got {type(layer).__name__}"
                )
        super().__init__(*[layer for layer in layers if isinstance(layer, Link)])
        self.layers = list(layers)
        self._keyword_names = [_keyword_names(layer) for layer in layers]

    def forward(self, x: Any, **kwargs: Any) -> Any:
        """Pass ``x`` through every layer.

        Args:
            x: The input of the first layer.
            kwargs: Keyword arguments given to each layer that accepts them.

        Returns:
            What the last layer returns.
        """
        h = x
        if not kwargs:
            for layer in self.layers:
                h = layer(h)
            return h
        for layer, names in zip(self.layers, self._keyword_names, strict=True):
            if names is None:
                h = layer(h, **kwargs)
            else:
                h = layer(h, **{k: v for k, v in kwargs.items() if k in names})
        return h

    def _replace_layer(self, old: Link, new: Link) -> None:
        """Swap the child ``old`` for ``new`` in both the children and the calling order."""
        self[self._children.index(old)] = new
        i = next(i for i, layer in enumerate(self.layers) if layer is old)
        self.layers[i] = new
        self._keyword_names[i] = _keyword_names(new)
