"""Helpers of the training loop: building triggers, saving a script's arguments."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from kusari.utils._atomic import write_text_atomically

__all__ = ["get_trigger", "save_args"]


def get_trigger(trigger: Any) -> Callable[[Any], bool]:
    """Return a trigger: a callable that takes the trainer and returns whether to fire.

    Args:
        trigger: A callable (returned as it is), ``None`` (a trigger that never fires), or a
            ``(period, unit)`` tuple such as ``(1, 'epoch')`` or ``(100, 'iteration')``, which
            builds an :class:`~kusari.training.triggers.IntervalTrigger`.

    Returns:
        The trigger.

    Raises:
        TypeError: ``trigger`` is neither callable, ``None``, nor a pair.
        ValueError: The unit is not ``'epoch'`` or ``'iteration'`` (from ``IntervalTrigger``).

    Example:
        >>> get_trigger((2, 'epoch'))
        IntervalTrigger(2, 'epoch')
    """
    if callable(trigger):
        return trigger
    if trigger is None:
        return _never_fire_trigger
    if not isinstance(trigger, (tuple, list)) or len(trigger) != 2:
        raise TypeError(
            "get_trigger: expected a callable, None or a (period, unit) pair such as "
            f"(1, 'epoch'), got {trigger!r}"
        )
    from kusari.training.triggers.interval_trigger import IntervalTrigger

    return IntervalTrigger(*trigger)


def _never_fire_trigger(trainer: Any) -> bool:
    return False


def save_args(args: argparse.Namespace | Mapping[str, Any], out: str) -> None:
    """Save a script's arguments as the JSON object ``<out>/args``, atomically.

    ``out`` is the result folder of a run (``trainer.out``); it is created if missing. Values
    JSON cannot hold (e.g. a path object) are written as their ``str``. See
    ``docs/result-format.md`` for the folder's layout.

    Args:
        args: The parsed arguments (what ``argparse.ArgumentParser.parse_args`` returns) or a
            mapping from names to values.
        out: The result folder.

    Raises:
        TypeError: ``args`` is neither a Namespace nor a mapping.

    Example:
        >>> args = parser.parse_args()
        >>> kusari.training.save_args(args, args.out)
    """
    if isinstance(args, argparse.Namespace):
        args = vars(args)
    if not isinstance(args, Mapping):
        raise TypeError(
            f"save_args: args must be an argparse.Namespace or a mapping, got {type(args).__name__}"
        )
    os.makedirs(out, exist_ok=True)
    text = json.dumps(dict(args), indent=4, default=str)
    write_text_atomically(os.path.join(out, "args"), text)
