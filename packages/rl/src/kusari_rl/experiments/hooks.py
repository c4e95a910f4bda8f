"""Step hooks: callables the training loops call after every step (ChainerRL's ``hooks``)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import numpy

__all__ = ["LinearInterpolationHook", "StepHook"]


class StepHook(abc.ABC):
    """The interface of a step hook.

    Any callable taking ``(env, agent, step)`` works as a hook; subclassing this only documents
    the intent. The training loops call every hook after each step, with the step count so far.
    """

    @abc.abstractmethod
    def __call__(self, env: Any, agent: Any, step: int) -> None:
        """Run the hook.

        Args:
            env: The training environment.
            agent: The agent being trained.
            step: Steps taken so far (including a resumed run's ``step_offset``).
        """


class LinearInterpolationHook(StepHook):
    """Set a value that moves linearly from ``start_value`` to ``stop_value`` over the run.

    At step ``s`` the value is ``start_value`` interpolated towards ``stop_value`` by
    ``(s - 1) / (total_steps - 1)``: ``start_value`` at step 1, ``stop_value`` from step
    ``total_steps`` on. It is passed to ``setter(env, agent, value)`` after every step, e.g. to
    decay a learning rate::

        def lr_setter(env, agent, value):
            agent.optimizer.lr = value

        hook = LinearInterpolationHook(10**6, 1e-3, 0.0, lr_setter)

    Args:
        total_steps: The step at which ``stop_value`` is reached (at least 1).
        start_value: The value at step 1.
        stop_value: The value at ``total_steps`` and after.
        setter: Called as ``setter(env, agent, value)`` with a Python float.

    Raises:
        ValueError: If ``total_steps`` is not a positive integer.
    """

    def __init__(
        self,
        total_steps: int,
        start_value: float,
        stop_value: float,
        setter: Callable[[Any, Any, float], None],
    ) -> None:
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(
                f"LinearInterpolationHook: total_steps must be a positive integer, got "
                f"{total_steps!r}"
            )
        self.total_steps = total_steps
        self.start_value = start_value
        self.stop_value = stop_value
        self.setter = setter

    def __call__(self, env: Any, agent: Any, step: int) -> None:
        """Compute the value for ``step`` and pass it to the setter."""
        value = numpy.interp(step, [1, self.total_steps], [self.start_value, self.stop_value])
        self.setter(env, agent, float(value))
