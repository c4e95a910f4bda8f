"""Stopping the training when a parameter becomes NaN or infinite (``FailOnNonNumber``)."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.training import extension

__all__ = ["FailOnNonNumber"]


class FailOnNonNumber(extension.Extension):
    """Trainer extension that raises when a parameter of any optimizer holds NaN or infinity.

    Training goes on after parameters diverge, wasting time; this stops it at the first
    iteration where it happens (it runs every iteration by default).

    Raises:
        RuntimeError: (when called) A parameter of an optimizer's target holds a NaN or an
            infinity; the message names the optimizer and the parameter.

    Example:
        >>> trainer.extend(extensions.FailOnNonNumber())
    """

    def __call__(self, trainer: Any) -> None:
        """Check every parameter of every optimizer's target link.

        Args:
            trainer (~kusari.training.Trainer): The trainer.

        Raises:
            RuntimeError: A parameter is not finite.
        """
        for name, optimizer in trainer.updater.get_all_optimizers().items():
            for path, param in optimizer.target.namedparams():
                data = param.array
                if data is None:
                    continue
                xp = backend.get_array_module(data)
                if not bool(xp.isfinite(data).all()):
                    raise RuntimeError(
                        f"FailOnNonNumber: parameter {path!r} of the target of optimizer "
                        f"{name!r} holds NaN or inf at iteration {trainer.updater.iteration}; "
                        "the training diverged (try a smaller learning rate)"
                    )
