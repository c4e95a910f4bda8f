"""A hook for ``apply_to_iterator`` that prints throughput."""

from __future__ import annotations

import sys
import time
from typing import Any


class ProgressHook:
    """Print how many samples have been processed and how fast, on one updating line.

    Pass it as ``hook`` to :func:`~kusari_cv.utils.apply_to_iterator`. Each call writes a
    carriage return and ``"{n} of {n_total} samples, {rate:.2f} samples/sec,"`` (without
    ``of {n_total}`` when ``n_total`` is ``None``) to standard output.

    Args:
        n_total (int, optional): The number of samples expected in all.
    """

    def __init__(self, n_total: int | None = None) -> None:
        self.n_total = n_total
        self.start = time.time()
        self.n_processed = 0

    def __call__(self, in_values: Any, out_values: Any, rest_values: Any) -> None:
        """Count the samples of one batch and print the progress line.

        Args:
            in_values (tuple of lists): The batch's inputs; ``len(in_values[0])`` samples.
            out_values (tuple of lists): The batch's outputs (unused).
            rest_values (tuple of lists): The batch's other values (unused).
        """
        self.n_processed += len(in_values[0])
        rate = self.n_processed / max(time.time() - self.start, 1e-9)
        total = "" if self.n_total is None else f" of {self.n_total:d}"
        sys.stdout.write(f"\r{self.n_processed:d}{total} samples, {rate:.2f} samples/sec,")
        sys.stdout.flush()
