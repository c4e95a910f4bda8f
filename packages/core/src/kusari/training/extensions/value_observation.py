"""Recording a value (e.g. the learning rate) in the observation (``observe_value``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari.training import extension

__all__ = ["observe_lr", "observe_value"]


def observe_value(observation_key: str, target_func: Callable[[Any], Any]) -> Callable[[Any], None]:
    """Return a trainer extension that stores ``target_func(trainer)`` in the observation.

    It runs once per epoch by default, with priority ``PRIORITY_WRITER`` so that ``LogReport``
    sees the value in the same iteration.

    Args:
        observation_key (str): The key to store the value under.
        target_func: A function of the trainer returning the value.

    Returns:
        The extension.

    Example:
        >>> trainer.extend(extensions.observe_value(
        ...     'alpha', lambda t: t.updater.get_optimizer('main').alpha))
    """

    @extension.make_extension(trigger=(1, "epoch"), priority=extension.PRIORITY_WRITER)
    def _observe_value(trainer: Any) -> None:
        trainer.observation[observation_key] = target_func(trainer)

    return _observe_value


def observe_lr(optimizer_name: str = "main", observation_key: str = "lr") -> Callable[[Any], None]:
    """Return a trainer extension that records an optimizer's ``lr`` in the observation.

    Args:
        optimizer_name (str): The name of the optimizer in the updater.
        observation_key (str): The key to store the value under.

    Returns:
        The extension (see :func:`observe_value`).

    Example:
        >>> trainer.extend(extensions.observe_lr())
        >>> trainer.extend(extensions.LogReport())   # the log gets an 'lr' entry
    """
    return observe_value(
        observation_key, lambda trainer: trainer.updater.get_optimizer(optimizer_name).lr
    )
