"""Base classes of serializers and deserializers (``chainer.serializer``).

A stateful object implements one ``serialize(serializer)`` method that both saves and loads::

    def serialize(self, serializer):
        self.count = serializer('count', self.count)
        self.model.serialize(serializer['model'])

A :class:`Serializer` stores the value and returns it unchanged; a :class:`Deserializer` returns the
stored value (copied into the given array, or converted to the type of the given scalar).
"""

from __future__ import annotations

from typing import Any

__all__ = ["AbstractSerializer", "Deserializer", "Serializer"]


class AbstractSerializer:
    """The interface shared by serializers and deserializers."""

    def __getitem__(self, key: str) -> AbstractSerializer:
        """Return the child (de)serializer for the sub-tree named ``key``.

        Args:
            key: Name of the child, e.g. ``'predictor'``; nested children are joined with ``'/'``.
        """
        raise NotImplementedError

    def __call__(self, key: str, value: Any) -> Any:
        """Save or load one value under ``key``.

        A serializer saves ``value`` and returns it. A deserializer loads the stored value: it is
        copied into ``value`` when that is an array, converted to ``type(value)`` when that is a
        scalar or a string, and returned as an array when ``value`` is ``None``. A stored ``None``
        is returned as ``None`` and leaves ``value`` untouched.

        Args:
            key: Name of the entry inside this (de)serializer's path.
            value: A scalar, ``str``, ``numpy.ndarray``, ``cupy.ndarray`` or ``None``.

        Returns:
            The saved value (serializer) or the loaded value (deserializer).
        """
        raise NotImplementedError


class Serializer(AbstractSerializer):
    """Base class of serializers (the saving side)."""

    def save(self, obj: Any) -> None:
        """Save ``obj`` by calling ``obj.serialize(self)``.

        Args:
            obj: An object with a ``serialize(serializer)`` method.
        """
        obj.serialize(self)


class Deserializer(AbstractSerializer):
    """Base class of deserializers (the loading side)."""

    def load(self, obj: Any) -> None:
        """Load ``obj`` by calling ``obj.serialize(self)``.

        Args:
            obj: An object with a ``serialize(serializer)`` method.
        """
        obj.serialize(self)
