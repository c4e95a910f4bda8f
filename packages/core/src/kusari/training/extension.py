"""Trainer extensions: the base class and the decorator (``chainer.training.extension``).

An extension is any callable taking the :class:`~kusari.training.Trainer`. The trainer reads a
few optional attributes of it: ``trigger`` (when to call it), ``priority`` (the order among
extensions called at the same iteration, highest first), ``name``/``default_name``, and the hooks
``initialize(trainer)``, ``finalize()``, ``on_error(trainer, exc, tb)`` and
``serialize(serializer)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "PRIORITY_EDITOR",
    "PRIORITY_READER",
    "PRIORITY_WRITER",
    "Extension",
    "make_extension",
]

#: Priority of extensions that write records to the observation (e.g. ``Evaluator``).
PRIORITY_WRITER = 300
#: Priority of extensions that edit records already in the observation.
PRIORITY_EDITOR = 200
#: Priority of extensions that only read the observation (e.g. ``LogReport``); the default.
PRIORITY_READER = 100


class Extension:
    """Base class of trainer extensions.

    Subclasses implement :meth:`__call__` and, where they need them, the hooks below. The class
    attributes are defaults that :meth:`Trainer.extend <kusari.training.Trainer.extend>` uses
    when it is not told otherwise.

    Attributes:
        trigger: Default trigger, ``(1, 'iteration')``: called after every update.
        priority (int): Default priority, :data:`PRIORITY_READER`.
        name (str): The name the extension is registered under; set by ``Trainer.extend``.

    Example:
        >>> class CountUpdates(Extension):
        ...     def __init__(self):
        ...         self.count = 0
        ...     def __call__(self, trainer):
        ...         self.count += 1
        ...     def serialize(self, serializer):
        ...         self.count = serializer('count', self.count)
    """

    trigger: Any = (1, "iteration")
    priority: int = PRIORITY_READER
    name: str | None = None

    @property
    def default_name(self) -> str:
        """Name used when ``Trainer.extend`` is given none: the class name."""
        return type(self).__name__

    def __call__(self, trainer: Any) -> None:
        """Run the extension; called at the iterations its trigger accepts.

        Args:
            trainer (~kusari.training.Trainer): The trainer calling the extension.
        """
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented")

    def initialize(self, trainer: Any) -> None:
        """Prepare the extension (and the trainer state it changes) before the training loop.

        After a trainer is restored from a snapshot, this is where an extension puts back the
        state it keeps outside the snapshot (e.g. an optimizer's hyperparameter).

        Args:
            trainer (~kusari.training.Trainer): The trainer about to run.
        """

    def finalize(self) -> None:
        """Release resources at the end of the training loop (also after an error)."""

    def on_error(self, trainer: Any, exc: BaseException, tb: Any) -> None:
        """Handle an exception raised in the training loop, before it propagates.

        Args:
            trainer (~kusari.training.Trainer): The trainer that failed.
            exc: The exception.
            tb: Its traceback.
        """

    def serialize(self, serializer: Any) -> None:
        """Save or load the extension's state (nothing in the base class).

        Args:
            serializer: A serializer or deserializer (``value = serializer(key, value)``).
        """


def make_extension(
    trigger: Any = None,
    default_name: str | None = None,
    priority: int | None = None,
    finalizer: Callable[[], None] | None = None,
    initializer: Callable[[Any], None] | None = None,
    on_error: Callable[[Any, BaseException, Any], None] | None = None,
    **kwargs: Any,
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Decorator that turns a function of the trainer into an extension.

    It only sets the attributes the trainer looks for on the function.

    Args:
        trigger: Default trigger; ``None`` means ``(1, 'iteration')``.
        default_name (str): Default name; ``None`` means the function's ``__name__``.
        priority (int): Default priority; ``None`` means :data:`PRIORITY_READER`.
        finalizer: Called with no argument at the end of the training loop.
        initializer: Called with the trainer before the training loop.
        on_error: Called with ``(trainer, exc, tb)`` when the training loop raises.
        **kwargs: Nothing else is accepted (Chainer's removed ``invoke_before_training``
            raises with a hint).

    Returns:
        The decorator.

    Raises:
        TypeError: An unexpected keyword argument is given.

    Example:
        >>> @make_extension(trigger=(10, 'epoch'))
        ... def lr_drop(trainer):
        ...     trainer.updater.get_optimizer('main').lr *= 0.1
    """
    _check_no_kwargs("make_extension", kwargs)
    if trigger is None:
        trigger = Extension.trigger
    if priority is None:
        priority = Extension.priority

    def decorator(ext: Callable[[Any], None]) -> Callable[[Any], None]:
        ext.trigger = trigger  # type: ignore[attr-defined]
        ext.default_name = default_name or ext.__name__  # type: ignore[attr-defined]
        ext.priority = priority  # type: ignore[attr-defined]
        ext.finalize = finalizer  # type: ignore[attr-defined]
        ext.initialize = initializer  # type: ignore[attr-defined]
        ext.on_error = on_error  # type: ignore[attr-defined]
        return ext

    return decorator


def _check_no_kwargs(where: str, kwargs: dict[str, Any]) -> None:
    if "invoke_before_training" in kwargs:
        raise TypeError(
            f"{where}: invoke_before_training was removed in Chainer v2; use "
            "initializer= (make_extension) or call_before_training=True (Trainer.extend)"
        )
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
