"""Iterators over datasets and the order samplers they use (Chainer v7's ``chainer.iterators``)."""

from kusari.iterators.order_samplers import OrderSampler, ShuffleOrderSampler
from kusari.iterators.serial_iterator import SerialIterator

__all__ = [
    "OrderSampler",
    "SerialIterator",
    "ShuffleOrderSampler",
]
