"""Serializers and deserializers (``chainer.serializers``): saving and loading object trees.

Example:
    >>> kusari.serializers.save_npz('model.npz', model)
    >>> kusari.serializers.load_npz('model.npz', model)
"""

from kusari.serializers.npz import DictionarySerializer, NpzDeserializer, load_npz, save_npz

__all__ = ["DictionarySerializer", "NpzDeserializer", "load_npz", "save_npz"]
