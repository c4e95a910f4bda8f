"""Reporting observed values during training, and summarizing them (``chainer.reporter``).

A :class:`Reporter` collects values into an *observation* dictionary. Each thread has a stack of
current reporters; :func:`report` writes to the top one, so a link can report its loss without
knowing who listens::

    kusari.report({'loss': loss}, self)   # stored as '<name of self>/loss'

:class:`Summary` and :class:`DictSummary` average the reported scalars over many iterations, as
``LogReport`` does.
"""

from __future__ import annotations

import collections
import contextlib
import json
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy

from kusari import backend
from kusari import serializer as serializer_module
from kusari.configuration import config

__all__ = [
    "DictSummary",
    "Reporter",
    "Summary",
    "get_current_reporter",
    "report",
    "report_scope",
]

_thread_local = threading.local()


def _get_reporters() -> list[Reporter]:
    reporters = getattr(_thread_local, "reporters", None)
    if reporters is None:
        reporters = _thread_local.reporters = []
    return reporters


def _detach(value: Any) -> Any:
    """Return a Variable cut from its graph (same array), or any other value unchanged."""
    from kusari.variable import Variable

    if isinstance(value, Variable):
        return Variable(value.array, name=value.name, requires_grad=value.requires_grad)
    return value


class Reporter:
    """Collects observed values into the dictionary :attr:`observation`.

    Values may be reported with an *observer*, an object registered under a name beforehand;
    the name then prefixes the key as ``'<observer name>/<key>'``. Observers are told apart by
    ``id()``, not by equality.

    Unless ``kusari.config.keep_graph_on_report`` is ``True``, a reported
    :class:`~kusari.Variable` is stored as a new Variable holding the same array but no graph,
    so keeping observations does not keep the computational graph alive.

    Attributes:
        observation (dict): The dictionary the reported values go to.

    Example:
        >>> reporter = kusari.Reporter()
        >>> observer = object()
        >>> reporter.add_observer('my_observer', observer)
        >>> observation = {}
        >>> with reporter.scope(observation):
        ...     kusari.report({'x': 1}, observer)
        >>> observation
        {'my_observer/x': 1}
    """

    def __init__(self) -> None:
        self._observer_names: dict[int, str] = {}
        self.observation: dict[str, Any] = {}

    def __enter__(self) -> Reporter:
        """Make this reporter the current one of this thread."""
        _get_reporters().append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        """Make the previous reporter current again."""
        _get_reporters().pop()

    @contextlib.contextmanager
    def scope(self, observation: dict[str, Any]) -> Iterator[None]:
        """Make this reporter current and report into ``observation`` inside a ``with`` block.

        Args:
            observation: The dictionary that receives the values reported inside the block.
        """
        old = self.observation
        self.observation = observation
        self.__enter__()
        try:
            yield
        finally:
            self.__exit__(None, None, None)
            self.observation = old

    def add_observer(self, name: str, observer: Any) -> None:
        """Register ``observer`` under ``name``.

        Args:
            name: The prefix of the keys reported with this observer.
            observer: Any object (usually a link); it is identified by ``id(observer)``.
        """
        self._observer_names[id(observer)] = name

    def add_observers(self, prefix: str, observers: Iterable[tuple[str, Any]]) -> None:
        """Register many observers, each under ``prefix + name``.

        Args:
            prefix: A string prepended to every name, e.g. ``'main/'``.
            observers: ``(name, observer)`` pairs, e.g. ``link.namedlinks(skipself=True)``.
        """
        for name, observer in observers:
            self._observer_names[id(observer)] = prefix + name

    def report(self, values: dict[str, Any], observer: Any = None) -> None:
        """Write ``values`` into :attr:`observation`.

        Args:
            values: Names and observed values (scalars, arrays or Variables).
            observer: A registered observer whose name prefixes the keys, or ``None``.

        Raises:
            KeyError: ``observer`` was not registered with :meth:`add_observer`.
        """
        if not config.keep_graph_on_report:
            values = {key: _detach(value) for key, value in values.items()}
        if observer is None:
            self.observation.update(values)
            return
        name = self._observer_names.get(id(observer))
        if name is None:
            raise KeyError(
                f"Reporter.report: the observer {type(observer).__name__} is not registered; "
                "call add_observer(name, observer) first"
            )
        for key, value in values.items():
            self.observation[f"{name}/{key}"] = value


def get_current_reporter() -> Reporter:
    """Return the current reporter of this thread.

    Raises:
        RuntimeError: No reporter is current (none is inside ``with reporter:`` or
            ``reporter.scope(...)``).
    """
    reporters = _get_reporters()
    if not reporters:
        raise RuntimeError(
            "get_current_reporter: no reporter is current; use `with reporter:` or "
            "`with reporter.scope(observation):`"
        )
    return reporters[-1]


def report(values: dict[str, Any], observer: Any = None) -> None:
    """Report values to the current reporter; does nothing when no reporter is current.

    Args:
        values: Names and observed values (scalars, arrays or Variables).
        observer: A registered observer whose name prefixes the keys, or ``None``.

    Raises:
        KeyError: ``observer`` is not registered with the current reporter.

    Example:
        >>> class Classifier(kusari.Chain):
        ...     def forward(self, x, t):
        ...         loss = F.softmax_cross_entropy(self.predictor(x), t)
        ...         kusari.report({'loss': loss}, self)   # 'main/loss' in a Trainer
        ...         return loss
    """
    reporters = _get_reporters()
    if reporters:
        reporters[-1].report(values, observer)


@contextlib.contextmanager
def report_scope(observation: dict[str, Any]) -> Iterator[None]:
    """Make the current reporter write into ``observation`` inside a ``with`` block.

    Args:
        observation: The dictionary that receives the values reported inside the block.

    Raises:
        RuntimeError: No reporter is current.
    """
    current = get_current_reporter()
    old = current.observation
    current.observation = observation
    try:
        yield
    finally:
        current.observation = old


class Summary:
    """Online weighted mean and standard deviation of a sequence of scalars.

    Values may be NumPy/Python scalars or 0-d NumPy/CuPy arrays; CuPy values are accumulated on
    their GPU without synchronizing until the statistics are read. A NaN makes the statistics NaN.
    """

    def __init__(self) -> None:
        self._x: Any = 0.0
        self._x2: Any = 0.0
        self._n: Any = 0

    def add(self, value: Any, weight: Any = 1) -> None:
        """Add a scalar value.

        Args:
            value: A scalar or a 0-d array (on the host or a GPU).
            weight: The weight of ``value``: a scalar or a 0-d array.
        """
        with backend.get_device_from_array(value):
            self._x += weight * value
            self._x2 += weight * value * value
            self._n += weight

    def compute_mean(self) -> Any:
        """Return the weighted mean (a scalar or a 0-d array on the values' device)."""
        with backend.get_device_from_array(self._x):
            return self._x / self._n

    def make_statistics(self) -> tuple[Any, Any]:
        """Return the weighted mean and standard deviation.

        Returns:
            ``(mean, std)``, each a scalar or a 0-d array on the values' device.
        """
        x, n = self._x, self._n
        xp = backend.get_array_module(x)
        with backend.get_device_from_array(x):
            mean = x / n
            # Rounding can make the variance slightly negative; NaN still propagates.
            var = xp.maximum(self._x2 / n - mean * mean, 0.0)
            return mean, xp.sqrt(var)

    def serialize(self, serializer: serializer_module.AbstractSerializer) -> None:
        """Save or load the running sums.

        Args:
            serializer: A serializer or deserializer; loading from one that lacks the sums warns
                and keeps the current ones.
        """
        loading = isinstance(serializer, serializer_module.Deserializer)
        try:
            self._x = serializer("_x", self._x)
            self._x2 = serializer("_x2", self._x2)
            # The total weight is an int for unit weights and a float otherwise: when loading,
            # take it as stored instead of converting it to the type of the current one.
            n = serializer("_n", None if loading else self._n)
            if n is not None:
                self._n = n.item() if loading else n
        except KeyError:
            warnings.warn("Summary: the previous statistics were not saved", stacklevel=2)


def _is_scalar(value: Any) -> bool:
    return numpy.isscalar(value) or getattr(value, "ndim", -1) == 0


class DictSummary:
    """Online weighted means and standard deviations of a sequence of dictionaries.

    Only scalar entries are summarized: numbers, 0-d arrays and Variables holding 0-d arrays.
    Anything else (a vector, a string, ``None``) is skipped. A tuple ``(value, weight)`` adds
    ``value`` with that weight.

    Example:
        >>> summary = kusari.DictSummary()
        >>> summary.add({'loss': 1.0, 'accuracy': (0.5, 10)})
        >>> summary.add({'loss': 3.0, 'accuracy': (1.0, 30)})
        >>> summary.compute_mean()
        {'loss': 2.0, 'accuracy': 0.875}
    """

    def __init__(self) -> None:
        self._summaries: collections.defaultdict[str, Summary] = collections.defaultdict(Summary)

    def add(self, d: dict[str, Any]) -> None:
        """Add a dictionary of scalars.

        Args:
            d: Names and values; a value may be a ``(value, weight)`` tuple.

        Raises:
            ValueError: A weight is not a scalar.
        """
        from kusari.variable import Variable

        for key, value in d.items():
            weight = 1
            if isinstance(value, tuple):
                value, weight = value
                if isinstance(weight, Variable):
                    weight = weight.array
                if not _is_scalar(weight):
                    raise ValueError(
                        f"DictSummary.add: the weight of {key!r} must be a scalar or a 0-d "
                        f"array, got {type(weight).__name__} of shape {numpy.shape(weight)}"
                    )
            if isinstance(value, Variable):
                value = value.array
            if _is_scalar(value) and not isinstance(value, (str, bytes)):
                self._summaries[key].add(value, weight=weight)

    def compute_mean(self) -> dict[str, float]:
        """Return the mean of every entry as a Python float (this synchronizes with a GPU).

        Returns:
            ``{name: mean}``.
        """
        return {name: float(summary.compute_mean()) for name, summary in self._summaries.items()}

    def make_statistics(self) -> dict[str, float]:
        """Return the mean and standard deviation of every entry as Python floats.

        Returns:
            ``{name: mean, name + '.std': std}`` for every entry ``name``.
        """
        stats = {}
        for name, summary in self._summaries.items():
            mean, std = summary.make_statistics()
            stats[name] = float(mean)
            stats[name + ".std"] = float(std)
        return stats

    def serialize(self, serializer: serializer_module.AbstractSerializer) -> None:
        """Save or load the entry names and the running sums of every entry.

        Args:
            serializer: A serializer or deserializer; loading from one that lacks the names
                warns and leaves the summary empty.
        """
        if isinstance(serializer, serializer_module.Serializer):
            names = list(self._summaries)
            serializer("_names", json.dumps(names))
            for index, name in enumerate(names):
                self._summaries[name].serialize(serializer["_summaries"][str(index)])
            return
        self._summaries.clear()
        try:
            names = json.loads(serializer("_names", ""))
        except KeyError:
            warnings.warn("DictSummary: the names of the statistics were not saved", stacklevel=2)
            return
        for index, name in enumerate(names):
            self._summaries[name].serialize(serializer["_summaries"][str(index)])
