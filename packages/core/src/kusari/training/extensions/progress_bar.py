"""A progress bar of the training, with speed and time left (``ProgressBar``)."""

from __future__ import annotations

import collections
import datetime
import sys
import time
from typing import Any, TextIO

from kusari.training import extension

__all__ = ["ProgressBar"]


class ProgressBar(extension.Extension):
    """Trainer extension that shows the training's progress with :mod:`tqdm`.

    Every ``update_interval`` iterations it redraws one line (here ``bar_length=20``)::

        total [####................]  20.00%, 200 iter, epoch 1 / 5, 512.3 iters/sec, ETA 0:00:01

    The speed is measured over the last ten redraws, and the time left is estimated from it.
    The bar is closed (the line ends) when the training loop ends.

    Args:
        training_length (tuple): ``(length, unit)`` of the whole training, e.g.
            ``(20, 'epoch')``; by default the stop trigger's ``get_training_length()``.
        update_interval (int): Number of iterations between redraws.
        bar_length (int): Width of the bar in characters.
        out: The stream to draw on.

    Raises:
        ValueError: ``update_interval`` or ``bar_length`` is not a positive int.

    Example:
        >>> trainer.extend(extensions.ProgressBar(update_interval=10))
    """

    def __init__(
        self,
        training_length: tuple[float, str] | None = None,
        update_interval: int = 100,
        bar_length: int = 50,
        out: TextIO = sys.stdout,
    ) -> None:
        for name, value in (("update_interval", update_interval), ("bar_length", bar_length)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"ProgressBar: {name} must be a positive int, got {value!r}")
        self._training_length = training_length
        self._update_interval = update_interval
        self._bar_length = bar_length
        self._out = out
        self._bar: Any = None
        self._drawn_iteration = -1
        self._recent: collections.deque[tuple[int, float, float]] = collections.deque(maxlen=10)

    def __call__(self, trainer: Any) -> None:
        """Redraw the bar every ``update_interval`` iterations.

        Args:
            trainer (~kusari.training.Trainer): The trainer.

        Raises:
            ValueError: No ``training_length`` was given and the stop trigger has no
                ``get_training_length()``.
        """
        updater = trainer.updater
        if self._bar is None:
            self._open(trainer)
        if updater.iteration % self._update_interval == 0:
            self._redraw(updater)

    def finalize(self) -> None:
        """Draw the final state and close the bar."""
        if self._bar is None:
            return
        if self._updater.iteration != self._drawn_iteration:
            self._redraw(self._updater)
        self._bar.close()
        self._bar = None

    def _open(self, trainer: Any) -> None:
        from tqdm import tqdm

        length = self._training_length
        if length is None:
            get_length = getattr(trainer.stop_trigger, "get_training_length", None)
            if get_length is None:
                raise ValueError(
                    "ProgressBar: the stop trigger has no get_training_length(); pass "
                    "training_length=(length, 'epoch' or 'iteration')"
                )
            length = get_length()
        self._length, self._unit = length
        self._updater = trainer.updater
        self._bar = tqdm(
            total=self._length,
            file=self._out,
            desc="total ",
            bar_format=f"{{desc}}[{{bar:{self._bar_length}}}] {{percentage:6.2f}}%{{postfix}}",
            ascii=".#",
            mininterval=0,
        )

    def _redraw(self, updater: Any) -> None:
        iteration, epoch_detail, now = updater.iteration, updater.epoch_detail, time.perf_counter()
        self._recent.append((iteration, epoch_detail, now))
        old_iteration, old_epoch_detail, old_time = self._recent[0]
        span = now - old_time
        if self._unit == "epoch":
            status = f"{iteration} iter, epoch {updater.epoch} / {self._length:g}"
        else:
            status = f"{iteration} / {self._length:g} iter, epoch {updater.epoch}"
        if span > 0:
            iters_per_sec = (iteration - old_iteration) / span
            if self._unit == "epoch":
                done, speed = epoch_detail, (epoch_detail - old_epoch_detail) / span
            else:
                done, speed = iteration, iters_per_sec
            status += f", {iters_per_sec:.5g} iters/sec"
            if speed > 0:
                left = datetime.timedelta(seconds=round(max(self._length - done, 0) / speed))
                status += f", ETA {left}"
        self._bar.n = min(epoch_detail if self._unit == "epoch" else iteration, self._length)
        self._bar.set_postfix_str(status, refresh=False)
        self._bar.refresh()
        self._drawn_iteration = iteration
