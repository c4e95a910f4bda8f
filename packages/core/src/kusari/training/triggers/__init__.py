"""Triggers: callables that decide when an extension runs (``chainer.training.triggers``).

A trigger takes the trainer and returns a bool; ``(period, unit)`` pairs are turned into an
:class:`IntervalTrigger` by :func:`get_trigger`.
"""

from kusari.training.triggers.interval_trigger import IntervalTrigger
from kusari.training.triggers.manual_schedule_trigger import ManualScheduleTrigger
from kusari.training.triggers.minmax_value_trigger import (
    BestValueTrigger,
    MaxValueTrigger,
    MinValueTrigger,
)
from kusari.training.util import get_trigger

__all__ = [
    "BestValueTrigger",
    "IntervalTrigger",
    "ManualScheduleTrigger",
    "MaxValueTrigger",
    "MinValueTrigger",
    "get_trigger",
]
