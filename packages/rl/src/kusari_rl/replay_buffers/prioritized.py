"""Prioritized experience replay, proportional variant (Schaul et al. 2016, Sec. 3.3 and 3.4)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari_rl.misc.prioritized import PrioritizedBuffer
from kusari_rl.replay_buffers.replay_buffer import ReplayBuffer


class PriorityWeightError:
    """Priorities from TD errors and importance-sampling weights from probabilities.

    A mixin of the prioritized buffers (ChainerRL's name). The priority of an experience is
    ``p = (clip(|delta|, error_min, error_max) + eps) ** alpha``; sampled with probability
    ``P``, its weight is ``w = (N P) ** -beta`` (Schaul et al. 2016, Eq. 1 and Sec. 3.4),
    optionally divided by the largest weight. ``beta`` grows linearly from ``beta0`` to 1 by
    ``(1 - beta0) / betasteps`` per call of :meth:`weights_from_probabilities`.

    Args:
        alpha: How much prioritization is used (0: uniform), ``>= 0``.
        beta0: The initial ``beta``, in ``[0, 1]``.
        betasteps: The number of samplings until ``beta`` reaches 1; ``None`` keeps ``beta0``.
        eps: Added to every error so that experiences with error 0 are still revisited.
        normalize_by_max: ``True`` or ``'batch'``: divide by the largest weight in the batch;
            ``'memory'``: divide by the largest possible weight in the buffer (from its smallest
            probability); ``False``: no division.
        error_min: Errors are clipped from below to this value (``None``: no clipping).
        error_max: Errors are clipped from above to this value (``None``: no clipping).

    Raises:
        ValueError: If an argument is out of range.
    """

    def __init__(
        self,
        alpha: float,
        beta0: float,
        betasteps: float | None,
        eps: float,
        normalize_by_max: bool | str,
        error_min: float | None,
        error_max: float | None,
    ) -> None:
        what = type(self).__name__
        if not alpha >= 0:
            raise ValueError(f"{what}: alpha must be >= 0, got {alpha}")
        if not 0 <= beta0 <= 1:
            raise ValueError(f"{what}: beta0 must be in [0, 1], got {beta0}")
        if betasteps is not None and not betasteps > 0:
            raise ValueError(f"{what}: betasteps must be > 0 or None, got {betasteps}")
        if not eps >= 0:
            raise ValueError(f"{what}: eps must be >= 0, got {eps}")
        if normalize_by_max is True:
            normalize_by_max = "batch"
        if normalize_by_max not in (False, "batch", "memory"):
            raise ValueError(
                f"{what}: normalize_by_max must be True, False, 'batch' or 'memory', got "
                f"{normalize_by_max!r}"
            )
        if error_min is not None and error_max is not None and error_min > error_max:
            raise ValueError(f"{what}: error_min ({error_min}) > error_max ({error_max})")
        self.alpha = alpha
        self.beta = beta0
        self.beta_add = 0.0 if betasteps is None else (1.0 - beta0) / betasteps
        self.eps = eps
        self.normalize_by_max = normalize_by_max
        self.error_min = error_min
        self.error_max = error_max

    def priority_from_errors(self, errors: Any) -> numpy.ndarray:
        """Return the priorities ``(clip(error) + eps) ** alpha`` of ``errors``.

        Args:
            errors: ``n`` non-negative errors (e.g. ``|delta|``), a sequence or array.

        Returns:
            A float64 array of shape ``(n,)``.
        """
        errors = numpy.asarray(errors, dtype=numpy.float64).reshape(-1)
        if self.error_min is not None or self.error_max is not None:
            errors = numpy.clip(errors, self.error_min, self.error_max)
        return (errors + self.eps) ** self.alpha

    def weights_from_probabilities(
        self, probabilities: Any, min_probability: float
    ) -> numpy.ndarray:
        """Return the importance-sampling weights of sampled experiences and anneal ``beta``.

        Args:
            probabilities: The ``n`` sampling probabilities of the sampled experiences.
            min_probability: The smallest sampling probability in the buffer.

        Returns:
            A float64 array of shape ``(n,)``.
        """
        probabilities = numpy.asarray(probabilities, dtype=numpy.float64)
        if self.normalize_by_max == "batch":
            weights = (probabilities / probabilities.min()) ** -self.beta
        elif self.normalize_by_max == "memory":
            weights = (probabilities / min_probability) ** -self.beta
        else:
            weights = (self._population() * probabilities) ** -self.beta
        self.beta = min(1.0, self.beta + self.beta_add)
        return weights

    def _population(self) -> int:
        # N of the weight formula: the number of items the probabilities are over.
        return len(self.memory)


class PrioritizedReplayBuffer(ReplayBuffer, PriorityWeightError):
    """Experience replay sampling in proportion to priorities (Schaul et al. 2016, Sec. 3.3).

    New experiences get the largest priority seen so far. :meth:`sample` stores each sampled
    experience's importance-sampling weight under the key ``'weight'`` of its first
    transition; the agent then passes the new TD errors of the batch to
    :meth:`update_errors` (in the order of the sample) before sampling again.

    Args:
        capacity: The largest number of experiences kept; ``None`` for no limit.
        alpha: How much prioritization is used (0: uniform).
        beta0: The initial importance-sampling exponent.
        betasteps: The number of :meth:`sample` calls until beta reaches 1.
        eps: Added to every error before the exponent.
        normalize_by_max: See :class:`PriorityWeightError`.
        error_min: Errors are clipped from below to this value.
        error_max: Errors are clipped from above to this value.
        num_steps: ``n`` of the n-step experiences (see :class:`ReplayBuffer`).

    Raises:
        ValueError: If an argument is out of range.
    """

    def __init__(
        self,
        capacity: int | None = None,
        alpha: float = 0.6,
        beta0: float = 0.4,
        betasteps: float | None = 2e5,
        eps: float = 0.01,
        normalize_by_max: bool | str = True,
        error_min: float | None = 0,
        error_max: float | None = 1,
        num_steps: int = 1,
    ) -> None:
        ReplayBuffer.__init__(self, capacity, num_steps)
        PriorityWeightError.__init__(
            self, alpha, beta0, betasteps, eps, normalize_by_max, error_min, error_max
        )

    def _new_memory(self) -> PrioritizedBuffer:
        return PrioritizedBuffer(capacity=self.capacity)

    def sample(self, n: int) -> list[list[dict]]:
        """Return ``n`` distinct experiences drawn in proportion to their priorities.

        Each experience's first transition gets the key ``'weight'`` (a float).

        Raises:
            ValueError: If the buffer holds fewer than ``n`` experiences.
            RuntimeError: If the errors of the last sample were not given to
                :meth:`update_errors`.
        """
        if not 0 <= n <= len(self.memory):
            raise ValueError(
                f"PrioritizedReplayBuffer.sample: asked for {n} experiences but the buffer "
                f"holds {len(self.memory)}"
            )
        sampled, probabilities, min_prob = self.memory.sample(n)
        weights = self.weights_from_probabilities(probabilities, min_prob)
        for experience, weight in zip(sampled, weights.tolist(), strict=True):
            experience[0]["weight"] = weight
        return sampled

    def update_errors(self, errors: Any) -> None:
        """Set the priorities of the last sampled experiences from their new errors.

        Args:
            errors: ``n`` absolute TD errors, in the order of the last :meth:`sample`.

        Raises:
            RuntimeError: If there was no sample since the last call.
            ValueError: If the count differs from the sample or a priority is not positive.
        """
        self.memory.set_last_priority(self.priority_from_errors(errors))
