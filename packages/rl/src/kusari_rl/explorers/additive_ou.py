"""Ornstein-Uhlenbeck noise added to continuous actions (Lillicrap et al. 2016, DDPG)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy

from kusari.backend import get_array_module
from kusari_rl.explorer import Explorer

_LOGGER = logging.getLogger(__name__)


class AdditiveOU(Explorer):
    """Add temporally correlated Ornstein-Uhlenbeck noise to the greedy action.

    The noise follows the discretized process ``x <- x + theta (mu - x) + sigma N(0, 1)``
    (Uhlenbeck & Ornstein 1930; used for exploration by Lillicrap et al. 2016). The first
    action draws ``x`` from the stationary distribution ``N(mu, sigma^2 / (2 theta -
    theta^2))``, or sets ``x = mu`` with ``start_with_mu``; later actions step the process once.
    The state persists across episodes, as in ChainerRL.

    Args:
        mu: The mean the noise is pulled towards.
        theta: The pull towards ``mu`` per step, in ``(0, 2)`` (``[0, 2)`` with
            ``start_with_mu``).
        sigma: The scale of the fresh noise per step, ``>= 0``.
        start_with_mu: Start the process at ``mu`` instead of a stationary draw.
        logger: Receives a debug line per action.

    Raises:
        ValueError: If ``theta`` or ``sigma`` is out of range.
    """

    def __init__(
        self,
        mu: float = 0.0,
        theta: float = 0.15,
        sigma: float = 0.3,
        start_with_mu: bool = False,
        logger: logging.Logger = _LOGGER,
    ) -> None:
        low = 0.0 if start_with_mu else numpy.nextafter(0.0, 1.0)
        if not low <= theta < 2.0:
            bounds = "[0, 2)" if start_with_mu else "(0, 2)"
            raise ValueError(f"AdditiveOU: theta must be in {bounds}, got {theta}")
        if not sigma >= 0:
            raise ValueError(f"AdditiveOU: sigma must be >= 0, got {sigma}")
        self.mu = mu
        self.theta = theta
        self.sigma = sigma
        self.start_with_mu = start_with_mu
        self.logger = logger
        self.ou_state: numpy.ndarray | None = None

    def evolve(self) -> None:
        """Step the process once: ``x <- x + theta (mu - x) + sigma N(0, 1)``."""
        noise = numpy.random.normal(scale=self.sigma, size=self.ou_state.shape)
        self.ou_state += (self.theta * (self.mu - self.ou_state) + noise).astype(numpy.float32)

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Return the greedy action (an array) plus the next OU noise value (float32).

        Args:
            t: The current time step (for the debug log).
            greedy_action_func: Returns the greedy action, a NumPy or CuPy array.
            action_value: Unused.

        Returns:
            The noisy action, on the greedy action's device.
        """
        action = greedy_action_func()
        shape = numpy.shape(action)
        if self.ou_state is None:
            if self.start_with_mu:
                self.ou_state = numpy.full(shape, self.mu, dtype=numpy.float32)
            else:
                stationary = self.sigma / numpy.sqrt(2 * self.theta - self.theta**2)
                self.ou_state = numpy.random.normal(
                    loc=self.mu, scale=stationary, size=shape
                ).astype(numpy.float32)
        else:
            self.evolve()
        self.logger.debug("t:%s noise:%s", t, self.ou_state)
        return action + get_array_module(action).asarray(self.ou_state)

    def __repr__(self) -> str:
        return f"AdditiveOU(mu={self.mu}, theta={self.theta}, sigma={self.sigma})"
