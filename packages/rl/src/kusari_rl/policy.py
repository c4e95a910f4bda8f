"""The policy interface (ChainerRL's ``chainerrl.policy``)."""

from __future__ import annotations

import abc
from typing import Any

from kusari_rl.distribution import Distribution

__all__ = ["Policy"]


class Policy(abc.ABC):
    """A policy: maps a batch of observations to a batch of action distributions.

    Concrete policies are also :class:`kusari.Link` objects; calling the link runs its
    ``forward``, which returns a :class:`~kusari_rl.distribution.Distribution`.
    """

    @abc.abstractmethod
    def __call__(self, x: Any) -> Distribution:
        """Evaluate the policy.

        Args:
            x: A batch of observations ``(B, ...)``.

        Returns:
            The distribution of actions for each observation.
        """
