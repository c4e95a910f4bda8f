"""Triggers that fire when an observed value reaches a new best (``MinValueTrigger`` ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari.reporter import DictSummary
from kusari.training.util import get_trigger

__all__ = ["BestValueTrigger", "MaxValueTrigger", "MinValueTrigger"]


class BestValueTrigger:
    """Trigger that fires when the mean of an observed value is the best so far.

    At every call the value ``trainer.observation[key]`` (if present) is added to a running mean.
    When the interval trigger fires, the mean is compared with the best mean seen at earlier
    checks; the trigger fires if it is better (or if it is the first), and the mean restarts.

    Args:
        key (str): The observation key, e.g. ``'validation/main/loss'``.
        compare: ``compare(best, new) -> bool``: whether ``new`` beats ``best``.
        trigger: When to check: a trigger or a ``(period, unit)`` pair.

    Example:
        >>> trainer.extend(extensions.snapshot_object(model, 'best_model'),
        ...                trigger=MinValueTrigger('validation/main/loss'))
    """

    def __init__(
        self, key: str, compare: Callable[[float, float], bool], trigger: Any = (1, "epoch")
    ) -> None:
        self._key = key
        self._compare = compare
        self._interval_trigger = get_trigger(trigger)
        self._best_value: float | None = None
        self._summary = DictSummary()

    def __call__(self, trainer: Any) -> bool:
        """Accumulate the value and, at a check, return whether its mean is a new best.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        observation = trainer.observation
        if self._key in observation:
            self._summary.add({self._key: observation[self._key]})
        if not self._interval_trigger(trainer):
            return False
        stats = self._summary.compute_mean()
        if self._key not in stats:
            return False
        value = float(stats[self._key])
        self._summary = DictSummary()
        if self._best_value is None or self._compare(self._best_value, value):
            self._best_value = value
            return True
        return False

    def serialize(self, serializer: Any) -> None:
        """Save or load the interval trigger, the running mean and ``best_value``.

        Args:
            serializer: A serializer or deserializer.
        """
        if hasattr(self._interval_trigger, "serialize"):
            self._interval_trigger.serialize(serializer["interval_trigger"])
        self._summary.serialize(serializer["summary"])
        best = serializer("best_value", self._best_value)
        self._best_value = None if best is None else float(best)


class MaxValueTrigger(BestValueTrigger):
    """Trigger that fires when the mean of an observed value reaches a new maximum.

    Args:
        key (str): The observation key, e.g. ``'validation/main/accuracy'``.
        trigger: When to check: a trigger or a ``(period, unit)`` pair.
    """

    def __init__(self, key: str, trigger: Any = (1, "epoch")) -> None:
        super().__init__(key, lambda best, new: new > best, trigger)


class MinValueTrigger(BestValueTrigger):
    """Trigger that fires when the mean of an observed value reaches a new minimum.

    Args:
        key (str): The observation key, e.g. ``'validation/main/loss'``.
        trigger: When to check: a trigger or a ``(period, unit)`` pair.
    """

    def __init__(self, key: str, trigger: Any = (1, "epoch")) -> None:
        super().__init__(key, lambda best, new: new < best, trigger)
