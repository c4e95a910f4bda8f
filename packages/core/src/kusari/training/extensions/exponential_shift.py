"""Multiplying an optimizer hyperparameter by a fixed rate (``ExponentialShift``)."""

from __future__ import annotations

from typing import Any

from kusari import serializer as serializer_module
from kusari.training import extension

__all__ = ["ExponentialShift"]


class ExponentialShift(extension.Extension):
    """Trainer extension that multiplies an optimizer hyperparameter by ``rate`` at each call.

    After ``t`` calls the attribute is ``init * rate ** t``, clipped at ``target`` if given
    (the value stops at ``target`` once it passes it). It is called every iteration by default;
    use e.g. ``trigger=(10, 'epoch')`` for a step schedule.

    Optimizers do not save their hyperparameters; this extension saves the step count and the
    last value, and puts the value back on the optimizer when a snapshot is loaded.

    Args:
        attr (str): Name of the optimizer attribute, e.g. ``'lr'``.
        rate (float): The factor applied at each call.
        init (float): Initial value; by default the attribute's value when training starts.
        target (float): The value at which to stop; ``None`` for no limit.
        optimizer (~kusari.Optimizer): The optimizer; by default the trainer's ``'main'`` one.

    Example:
        >>> trainer.extend(extensions.ExponentialShift('lr', 0.5), trigger=(10, 'epoch'))
    """

    def __init__(
        self,
        attr: str,
        rate: float,
        init: float | None = None,
        target: float | None = None,
        optimizer: Any = None,
    ) -> None:
        self._attr = attr
        self._rate = rate
        self._init = init
        self._target = target
        self._optimizer = optimizer
        self._t = 0
        self._last_value: float | None = None
        self._optimizer_in_use: Any = None

    def initialize(self, trainer: Any) -> None:
        """Set the attribute to its initial value, or to the last value of a loaded snapshot.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        optimizer = self._get_optimizer(trainer)
        self._optimizer_in_use = optimizer
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        if self._last_value is None:
            self._update_value(optimizer, self._init)
        else:
            self._update_value(optimizer, self._last_value)

    def __call__(self, trainer: Any) -> None:
        """Advance one step: set the attribute to ``init * rate ** t`` (clipped at ``target``).

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        self._t += 1
        optimizer = self._get_optimizer(trainer)
        value = self._init * self._rate**self._t
        if self._target is not None:
            # Compare ratios so that negative values clip the same way.
            ratio = value / self._target
            if (self._rate > 1 and ratio > 1) or (self._rate <= 1 and ratio < 1):
                value = self._target
        self._update_value(optimizer, value)

    def serialize(self, serializer: Any) -> None:
        """Save or load the step count ``_t`` and the last value ``_last_value``.

        When loading after :meth:`initialize` (``snapshot(autoload=True)`` loads the trainer
        while training starts), the loaded value is also set on the optimizer.

        Args:
            serializer: A serializer or deserializer.
        """
        self._t = int(serializer("_t", self._t))
        last_value = serializer("_last_value", self._last_value)
        self._last_value = None if last_value is None else float(last_value)
        loading = isinstance(serializer, serializer_module.Deserializer)
        if loading and self._optimizer_in_use is not None and self._last_value is not None:
            setattr(self._optimizer_in_use, self._attr, self._last_value)

    def _get_optimizer(self, trainer: Any) -> Any:
        return self._optimizer or trainer.updater.get_optimizer("main")

    def _update_value(self, optimizer: Any, value: float) -> None:
        setattr(optimizer, self._attr, value)
        self._last_value = value
