"""Evaluating a model on a validation set during training (``Evaluator``)."""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

from kusari import backend
from kusari import reporter as reporter_module
from kusari.configuration import no_backprop_mode, using_config
from kusari.dataset import convert
from kusari.training import extension
from kusari.training._converter import call_converter

__all__ = ["Evaluator"]


class Evaluator(extension.Extension):
    """Trainer extension that evaluates the model on a validation iterator.

    Each call runs over the whole ``'main'`` iterator (after ``iterator.reset()``; an iterator
    without ``reset`` is copied instead) with ``kusari.config.train`` set to ``False`` and
    backprop disabled. For every batch it calls ``eval_func(*arrays)`` (by default the
    ``'main'`` target link) inside a fresh observation, and averages what is reported over the
    batches (each batch weighs the same). The target's reports are prefixed with the
    extension's name, so a ``Classifier`` reporting ``loss`` yields
    ``'validation/main/loss'``. The means are reported to the trainer's observation (so
    ``LogReport`` logs them) and returned.

    The iterator must not repeat (``repeat=False``), or the evaluation never ends.

    Args:
        iterator: The validation iterator, or a dict of iterators with a ``'main'`` entry.
        target: The link to evaluate, or a dict of links with a ``'main'`` entry.
        converter: ``converter(batch, device) -> arrays``; ``concat_examples`` by default.
        device: Device spec to which each converted batch is sent (``None``: left as built).
        eval_hook: A function called with the evaluator at the start of each evaluation.
        eval_func: The function called with each batch's arrays; the ``'main'`` target by
            default.
        progress_bar (bool): Show a progress bar of the evaluation on stderr.

    Attributes:
        converter: The converter.
        device: The :class:`~kusari.backend.Device`, or ``None``.
        eval_hook: The hook.
        eval_func: The evaluation function.

    Raises:
        ValueError: A dict lacks the ``'main'`` entry.

    Example:
        >>> test_iter = kusari.iterators.SerialIterator(test, 100, repeat=False, shuffle=False)
        >>> trainer.extend(extensions.Evaluator(test_iter, model))
    """

    trigger: Any = (1, "epoch")
    priority: int = extension.PRIORITY_WRITER
    default_name: str = "validation"  # type: ignore[assignment]

    def __init__(
        self,
        iterator: Any,
        target: Any,
        converter: Callable[..., Any] = convert.concat_examples,
        device: Any = None,
        eval_hook: Callable[[Evaluator], None] | None = None,
        eval_func: Callable[..., Any] | None = None,
        *,
        progress_bar: bool = False,
    ) -> None:
        if not isinstance(iterator, dict):
            iterator = {"main": iterator}
        if not isinstance(target, dict):
            target = {"main": target}
        for kind, entries in (("iterator", iterator), ("target", target)):
            if "main" not in entries:
                raise ValueError(
                    f"Evaluator: the {kind} dict needs a 'main' entry, got {sorted(entries)}"
                )
        self._iterators: dict[str, Any] = iterator
        self._targets: dict[str, Any] = target
        self.converter = converter
        self.device = None if device is None else backend.get_device(device)
        self.eval_hook = eval_hook
        self.eval_func = eval_func
        self._progress_bar = progress_bar

    def get_iterator(self, name: str) -> Any:
        """Return the iterator registered under ``name``."""
        return self._iterators[name]

    def get_all_iterators(self) -> dict[str, Any]:
        """Return a new dict from names to iterators."""
        return dict(self._iterators)

    def get_target(self, name: str) -> Any:
        """Return the target link registered under ``name``."""
        return self._targets[name]

    def get_all_targets(self) -> dict[str, Any]:
        """Return a new dict from names to target links."""
        return dict(self._targets)

    def __call__(self, trainer: Any = None) -> dict[str, float]:
        """Evaluate, report the means to the current reporter, and return them.

        Args:
            trainer (~kusari.training.Trainer): The trainer (unused; may be omitted to
                evaluate outside a trainer).

        Returns:
            dict: The mean of every reported value, e.g.
            ``{'validation/main/loss': 0.31, 'validation/main/accuracy': 0.9}``.
        """
        reporter = reporter_module.Reporter()
        prefix = "" if self.name is None else self.name + "/"
        for name, target in self._targets.items():
            reporter.add_observer(prefix + name, target)
            namedlinks = getattr(target, "namedlinks", None)
            if namedlinks is not None:
                reporter.add_observers(prefix + name, namedlinks(skipself=True))
        with reporter, using_config("train", False):
            result = self.evaluate()
        reporter_module.report(result)
        return result

    def evaluate(self) -> dict[str, float]:
        """Run over the main iterator and return the means of the reported values.

        Called by :meth:`__call__` inside the evaluator's reporter with ``train=False``;
        override it for a custom evaluation loop.

        Returns:
            dict: The mean of every reported value.
        """
        iterator = self._iterators["main"]
        eval_func = self.eval_func or self._targets["main"]
        if self.eval_hook is not None:
            self.eval_hook(self)
        if hasattr(iterator, "reset"):
            iterator.reset()
            it = iterator
        else:
            warnings.warn(
                f"Evaluator: the iterator {type(iterator).__name__} has no reset(); copying it "
                "instead",
                stacklevel=2,
            )
            it = copy.copy(iterator)

        summary = reporter_module.DictSummary()
        for batch in self._with_progress_bar(it):
            observation: dict[str, Any] = {}
            with reporter_module.report_scope(observation):
                in_arrays = call_converter(self.converter, batch, self.device)
                with no_backprop_mode():
                    if isinstance(in_arrays, tuple):
                        eval_func(*in_arrays)
                    elif isinstance(in_arrays, dict):
                        eval_func(**in_arrays)
                    else:
                        eval_func(in_arrays)
            summary.add(observation)
        return summary.compute_mean()

    def _with_progress_bar(self, it: Any) -> Any:
        if not self._progress_bar:
            return it
        from tqdm import tqdm

        dataset = getattr(it, "dataset", None)
        batch_size = getattr(it, "batch_size", None)
        total = None
        if dataset is not None and batch_size:
            total = math.ceil(len(dataset) / batch_size)
        return tqdm(it, total=total, desc=self.name or "evaluation", unit="batch", leave=False)

    def finalize(self) -> None:
        """Finalize every iterator."""
        for iterator in self._iterators.values():
            iterator.finalize()
