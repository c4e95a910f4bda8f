"""A trigger that fires at a fixed interval of iterations or epochs (``IntervalTrigger``)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

__all__ = ["IntervalTrigger"]

_UNITS = ("epoch", "iteration")


def _check_unit(where: str, unit: Any) -> None:
    if unit not in _UNITS:
        raise ValueError(f"{where}: unit must be 'epoch' or 'iteration', got {unit!r}")


class IntervalTrigger:
    """Trigger that fires every ``period`` iterations or epochs.

    With the unit ``'iteration'`` it fires after updates number ``period``, ``2 * period``, ...
    With ``'epoch'`` the period may be fractional: the trigger fires after the update during which
    ``updater.epoch_detail`` crossed a multiple of ``period`` (e.g. ``(0.5, 'epoch')`` fires at
    the middle and at the end of every epoch, at the first update that reaches them).

    The trigger remembers the iteration and epoch detail it last saw, so it also works when it
    is not called at every iteration, and it saves them in snapshots.

    Args:
        period (int or float): Length of the interval; an integer for ``'iteration'``.
        unit (str): ``'iteration'`` or ``'epoch'``.

    Raises:
        ValueError: ``unit`` is neither, ``period`` is not positive, or it is not an integer
            while the unit is ``'iteration'``.

    Example:
        >>> trainer.extend(extensions.LogReport(trigger=IntervalTrigger(100, 'iteration')))
    """

    def __init__(self, period: float, unit: str) -> None:
        _check_unit("IntervalTrigger", unit)
        if not isinstance(period, numbers.Real) or isinstance(period, bool) or period <= 0:
            raise ValueError(f"IntervalTrigger: period must be a positive number, got {period!r}")
        if unit == "iteration" and int(period) != period:
            raise ValueError(
                f"IntervalTrigger: period must be an integer for unit 'iteration', got {period!r}"
            )
        self.period = period
        self.unit = unit
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0

    def __repr__(self) -> str:
        return f"IntervalTrigger({self.period!r}, {self.unit!r})"

    def __call__(self, trainer: Any) -> bool:
        """Return whether the interval boundary was crossed since the previous call.

        Args:
            trainer (~kusari.training.Trainer): The trainer; its updater's ``iteration`` and
                ``epoch_detail`` are read.
        """
        updater = trainer.updater
        if self.unit == "epoch":
            epoch_detail = updater.epoch_detail
            previous = self._previous_epoch_detail
            if previous < 0:
                # Unknown (old snapshot): ask the updater instead.
                previous = updater.previous_epoch_detail or 0.0
            fire = previous // self.period != epoch_detail // self.period
        else:
            iteration = updater.iteration
            previous = self._previous_iteration
            if previous < 0:
                previous = iteration - 1
            fire = previous // self.period != iteration // self.period
        self._previous_iteration = updater.iteration
        if hasattr(updater, "epoch_detail"):
            self._previous_epoch_detail = updater.epoch_detail
        return fire

    def serialize(self, serializer: Any) -> None:
        """Save or load the last seen iteration and epoch detail.

        Entries ``previous_iteration`` and ``previous_epoch_detail``. Loading a snapshot that
        lacks them warns, and the trigger then assumes it is called at every iteration.

        Args:
            serializer: A serializer or deserializer.
        """
        try:
            self._previous_iteration = int(
                serializer("previous_iteration", self._previous_iteration)
            )
        except KeyError:
            warnings.warn(
                "IntervalTrigger: the previous iteration was not saved; guessing it from the "
                "current one (correct only if the trigger is called at every iteration)",
                stacklevel=2,
            )
            self._previous_iteration = -1
        try:
            self._previous_epoch_detail = float(
                serializer("previous_epoch_detail", self._previous_epoch_detail)
            )
        except KeyError:
            warnings.warn(
                "IntervalTrigger: the previous epoch detail was not saved; using the updater's "
                "previous_epoch_detail (correct only if the trigger is called at every "
                "iteration)",
                stacklevel=2,
            )
            self._previous_epoch_detail = -1.0

    def get_training_length(self) -> tuple[float, str]:
        """Return ``(period, unit)``, read by ``ProgressBar`` when this is the stop trigger."""
        return self.period, self.unit
