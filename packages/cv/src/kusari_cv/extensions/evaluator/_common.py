"""Helpers shared by the detection evaluators."""

import copy
from typing import Any

from kusari import reporter as reporter_module
from kusari_cv.utils import apply_to_iterator


def _check_comm(name: str, comm: Any) -> None:
    """Raise for a communicator: multi-process evaluation is not supported yet."""
    if comm is not None:
        raise NotImplementedError(
            f"{name}: evaluation with a communicator (comm) is not supported yet; pass "
            "comm=None and evaluate in a single process"
        )


def _predict_all(iterator: Any, target: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Reset (or copy) ``iterator`` and run ``target.predict`` over it.

    Returns:
        tuple: ``(out_values, rest_values)`` of :func:`~kusari_cv.utils.apply_to_iterator`.
    """
    if hasattr(iterator, "reset"):
        iterator.reset()
        it = iterator
    else:
        it = copy.copy(iterator)
    in_values, out_values, rest_values = apply_to_iterator(target.predict, it)
    del in_values
    return out_values, rest_values


def _report(values: dict[str, Any], target: Any) -> dict[str, Any]:
    """Report ``values`` as observed by ``target`` in a fresh observation and return it."""
    observation: dict[str, Any] = {}
    with reporter_module.report_scope(observation):
        reporter_module.report(values, target)
    return observation
