"""A trigger that fires at given iterations or epochs (``ManualScheduleTrigger``)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from kusari.training.triggers.interval_trigger import _check_unit

__all__ = ["ManualScheduleTrigger"]


class ManualScheduleTrigger:
    """Trigger that fires when the training reaches each of the given points.

    It fires after the update during which the iteration count (``'iteration'``) or
    ``updater.epoch_detail`` (``'epoch'``; fractional points allowed) reached a point. After the
    last point it sets :attr:`finished`, and the trainer then skips the extension's
    ``initialize`` when a finished run is resumed.

    Args:
        points (int, float or list of them): The points.
        unit (str): ``'iteration'`` or ``'epoch'``.

    Attributes:
        finished (bool): Whether the last point has been reached.

    Raises:
        ValueError: ``unit`` is neither, or ``points`` is empty or holds a non-number.

    Example:
        >>> trainer.extend(extensions.ExponentialShift('lr', 0.1),
        ...                trigger=ManualScheduleTrigger([10, 15], 'epoch'))
    """

    def __init__(self, points: float | Sequence[float], unit: str) -> None:
        _check_unit("ManualScheduleTrigger", unit)
        points = list(points) if isinstance(points, Sequence) else [points]
        if not points or not all(
            isinstance(p, numbers.Real) and not isinstance(p, bool) for p in points
        ):
            raise ValueError(
                f"ManualScheduleTrigger: points must be a number or a non-empty list of "
                f"numbers, got {points!r}"
            )
        self.points = points
        self.unit = unit
        self.finished = False
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0

    def __call__(self, trainer: Any) -> bool:
        """Return whether a point was reached since the previous call.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        updater = trainer.updater
        if self.unit == "epoch":
            current = updater.epoch_detail
            previous = self._previous_epoch_detail
            if previous < 0:
                previous = updater.previous_epoch_detail or 0.0
        else:
            current = updater.iteration
            previous = self._previous_iteration
            if previous < 0:
                previous = current - 1
        fire = any(previous < point <= current for point in self.points)
        if fire and current >= max(self.points):
            self.finished = True
        self._previous_iteration = updater.iteration
        if hasattr(updater, "epoch_detail"):
            self._previous_epoch_detail = updater.epoch_detail
        return fire

    def serialize(self, serializer: Any) -> None:
        """Save or load ``previous_iteration``, ``previous_epoch_detail`` and ``finished``.

        Args:
            serializer: A serializer or deserializer.
        """
        self._previous_iteration = int(serializer("previous_iteration", self._previous_iteration))
        self._previous_epoch_detail = float(
            serializer("previous_epoch_detail", self._previous_epoch_detail)
        )
        self.finished = bool(serializer("finished", self.finished))
