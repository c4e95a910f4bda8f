"""A sequential chain whose intermediate outputs can be picked (ChainerCV's)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import kusari

__all__ = ["PickableSequentialChain"]


class PickableSequentialChain(kusari.Chain):
    """A chain that calls its layers in registration order and returns the picked outputs.

    Every callable (a link or a function such as :func:`kusari.functions.relu`) assigned to an
    attribute inside :meth:`init_scope` becomes a layer; its name is appended to
    :attr:`layer_names`. Calling the chain feeds the input through the layers in that order,
    stopping after the last picked layer.

    :attr:`pick` selects what a call returns:

    - ``None`` (default): the output of the last layer;
    - a name: the output of that layer;
    - an iterable of names: a tuple of those layers' outputs, in the order of the names.

    Attributes:
        layer_names (list of str): Names of the layers, in the order of computation.

    Example:
        >>> model = PickableSequentialChain()
        >>> with model.init_scope():
        ...     model.l1 = L.Linear(None, 5)
        ...     model.l1_relu = F.relu
        ...     model.l2 = L.Linear(None, 2)
        >>> model.pick = ("l1_relu", "l2")
        >>> h1, h2 = model(numpy.zeros((1, 3), numpy.float32))
        >>> h1.shape, h2.shape
        ((1, 5), (1, 2))
    """

    def __init__(self) -> None:
        super().__init__()
        self.layer_names: list[str] = []
        self.pick = None

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if self.within_init_scope and callable(value) and name not in self.layer_names:
            self.layer_names.append(name)

    def __delattr__(self, name: str) -> None:
        if self._pick is not None and name in self._pick:
            raise AttributeError(
                f"{type(self).__name__}: cannot delete layer {name!r}: it is in pick "
                f"{self._pick}; change pick first"
            )
        super().__delattr__(name)
        if name in self.layer_names:
            self.layer_names.remove(name)

    @property
    def pick(self) -> str | tuple[str, ...] | None:
        """The layer name(s) whose outputs a call returns (``None``: the last layer)."""
        if self._pick is None:
            return None
        if self._return_tuple:
            return self._pick
        return self._pick[0]

    @pick.setter
    def pick(self, pick: str | Iterable[str] | None) -> None:
        if pick is None:
            self._pick = None
            self._return_tuple = False
            return
        if isinstance(pick, str):
            names, return_tuple = (pick,), False
        else:
            try:
                names = tuple(pick)
            except TypeError:
                raise TypeError(
                    f"{type(self).__name__}.pick: expected None, a layer name or an iterable "
                    f"of layer names, got {type(pick).__name__}"
                ) from None
            return_tuple = True
            if not names:
                raise ValueError(f"{type(self).__name__}.pick: got an empty iterable of names")
            if not all(isinstance(name, str) for name in names):
                raise TypeError(
                    f"{type(self).__name__}.pick: layer names must be str, got {names!r}"
                )
        unknown = [name for name in names if name not in self.layer_names]
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.pick: invalid layer name(s) {unknown}; the layers are "
                f"{self.layer_names}"
            )
        self._pick = names
        self._return_tuple = return_tuple

    def remove_unused(self) -> None:
        """Delete the layers after the last picked one (they are never computed).

        Does nothing while :attr:`pick` is ``None``. Deleted links are no longer children, so
        they are neither saved nor loaded by the serializers.
        """
        if self._pick is None:
            return
        last = max(self.layer_names.index(name) for name in self._pick)
        for name in self.layer_names[last + 1 :]:
            delattr(self, name)

    def forward(self, x: kusari.Variable | Any) -> kusari.Variable | tuple[kusari.Variable, ...]:
        """Run the layers up to the last picked one.

        Args:
            x: Input of the first layer.

        Returns:
            The output of the picked layer, or a tuple of the picked layers' outputs when
            :attr:`pick` is an iterable (see the class docstring).

        Raises:
            ValueError: The chain has no layers.
        """
        if not self.layer_names:
            raise ValueError(f"{type(self).__name__}: the chain has no layers to call")
        pick = (self.layer_names[-1],) if self._pick is None else self._pick
        last = max(self.layer_names.index(name) for name in pick)
        outputs = {}
        h = x
        for name in self.layer_names[: last + 1]:
            h = self[name](h)
            if name in pick:
                outputs[name] = h
        if self._return_tuple:
            return tuple(outputs[name] for name in pick)
        return outputs[pick[0]]
