"""The default updater: one minibatch, one optimizer step (``StandardUpdater``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari import backend
from kusari.dataset import convert
from kusari.dataset.iterator import Iterator
from kusari.training._converter import call_converter
from kusari.training.updater import Updater

__all__ = ["StandardUpdater"]


class StandardUpdater(Updater):
    """Updater that feeds one minibatch of the ``'main'`` iterator to the ``'main'`` optimizer.

    Each :meth:`update` takes a batch from the main iterator, converts it to arrays with
    ``converter(batch, input_device)``, and calls ``optimizer.update(loss_func, *arrays)``
    (``**arrays`` for a dict, ``arrays`` for a single array). Override :meth:`update_core` for
    other schemes (several iterators or optimizers, GANs ...).

    Args:
        iterator: The training iterator, or a dict from names to iterators (one named
            ``'main'``); a single iterator is registered as ``'main'``.
        optimizer: The optimizer, or a dict from names to optimizers (one named ``'main'``);
            a single optimizer is registered as ``'main'``. Each must already be set up with its
            target link.
        converter: ``converter(batch, device) -> arrays``; ``concat_examples`` by default. A
            function other than ``concat_examples`` receives the device as Chainer's legacy
            spec (``None``, ``-1`` for the host, or the GPU id).
        device: Device spec (``'@numpy'``, ``'@cupy:0'``, ``0``, ``-1`` ...) to which every
            optimizer's target link is sent, and the default of ``input_device``. ``None`` leaves
            the links where they are.
        loss_func: The function called as ``loss_func(*arrays)`` to get the loss; the main
            optimizer's target link by default.
        loss_scale (float): If given, passed to every optimizer's ``set_loss_scale`` (loss
            scaling for float16 training).
        auto_new_epoch (bool): Whether to call ``optimizer.new_epoch(auto=True)`` of the main
            optimizer when the main iterator finishes an epoch.
        input_device: Device spec to which the converted minibatch is sent; ``device`` by
            default.

    Attributes:
        converter: The converter function.
        loss_func: The loss function, or ``None`` for the main optimizer's target.
        device: The :class:`~kusari.backend.Device` of the links, or ``None``.
        input_device: The :class:`~kusari.backend.Device` of the inputs, or ``None``.
        iteration (int): The number of completed updates.
        auto_new_epoch (bool): See above.

    Raises:
        TypeError: ``iterator`` or ``optimizer`` is neither a single object nor a dict.
        ValueError: A dict lacks the ``'main'`` entry, or a device spec is invalid.

    Example:
        >>> train_iter = kusari.iterators.SerialIterator(train, 32)
        >>> optimizer = kusari.optimizers.SGD(lr=0.1).setup(model)
        >>> updater = training.updaters.StandardUpdater(train_iter, optimizer, device=-1)
        >>> trainer = training.Trainer(updater, (10, 'epoch'))
    """

    def __init__(
        self,
        iterator: Any,
        optimizer: Any,
        converter: Callable[..., Any] = convert.concat_examples,
        device: Any = None,
        loss_func: Callable[..., Any] | None = None,
        loss_scale: float | None = None,
        auto_new_epoch: bool = True,
        *,
        input_device: Any = None,
    ) -> None:
        if isinstance(iterator, Iterator):
            iterator = {"main": iterator}
        if not isinstance(iterator, dict):
            raise TypeError(
                "StandardUpdater: iterator must be a kusari.dataset.Iterator or a dict of them, "
                f"got {type(iterator).__name__}"
            )
        if "main" not in iterator:
            raise ValueError(
                f"StandardUpdater: the iterator dict needs a 'main' entry, got {sorted(iterator)}"
            )
        if not isinstance(optimizer, dict):
            optimizer = {"main": optimizer}
        if "main" not in optimizer:
            raise ValueError(
                f"StandardUpdater: the optimizer dict needs a 'main' entry, got {sorted(optimizer)}"
            )
        for name, opt in optimizer.items():
            if getattr(opt, "target", None) is None:
                raise ValueError(
                    f"StandardUpdater: optimizer {name!r} has no target link; call "
                    "optimizer.setup(model) first"
                )
        self._iterators: dict[str, Any] = iterator
        self._optimizers: dict[str, Any] = optimizer

        self.device = None if device is None else backend.get_device(device)
        if input_device is None:
            self.input_device = self.device
        else:
            self.input_device = backend.get_device(input_device)
        if self.device is not None:
            for opt in self._optimizers.values():
                opt.target.to_device(self.device)

        self.converter = converter
        self.loss_func = loss_func
        self.iteration = 0

        self.loss_scale = loss_scale
        if loss_scale is not None:
            for opt in self._optimizers.values():
                opt.set_loss_scale(loss_scale)

        self.auto_new_epoch = auto_new_epoch
        if auto_new_epoch:
            for opt in self._optimizers.values():
                opt.use_auto_new_epoch = True

    @property
    def epoch(self) -> int:
        """Number of epochs completed by the main iterator."""
        return self._iterators["main"].epoch

    @property
    def epoch_detail(self) -> float:
        """Epochs completed by the main iterator, with the fraction of the current one."""
        return self._iterators["main"].epoch_detail

    @property
    def previous_epoch_detail(self) -> float | None:
        """The main iterator's ``epoch_detail`` before its last batch (``None`` before any)."""
        return self._iterators["main"].previous_epoch_detail

    @property
    def is_new_epoch(self) -> bool:
        """Whether the main iterator's last batch finished an epoch."""
        return self._iterators["main"].is_new_epoch

    def finalize(self) -> None:
        """Finalize every iterator (called at the end of the training loop)."""
        for iterator in self._iterators.values():
            iterator.finalize()

    def get_optimizer(self, name: str) -> Any:
        """Return the optimizer registered under ``name``.

        Raises:
            KeyError: No optimizer has that name.
        """
        return self._optimizers[name]

    def get_all_optimizers(self) -> dict[str, Any]:
        """Return a new dict from names to optimizers."""
        return dict(self._optimizers)

    def get_iterator(self, name: str) -> Any:
        """Return the iterator registered under ``name``.

        Raises:
            KeyError: No iterator has that name.
        """
        return self._iterators[name]

    def update(self) -> None:
        """Run :meth:`update_core` and count the iteration."""
        self.update_core()
        self.iteration += 1

    def update_core(self) -> None:
        """Take one batch of the main iterator and run one step of the main optimizer."""
        iterator = self._iterators["main"]
        batch = iterator.next()
        in_arrays = call_converter(self.converter, batch, self.input_device)

        optimizer = self._optimizers["main"]
        loss_func = self.loss_func or optimizer.target
        if isinstance(in_arrays, tuple):
            optimizer.update(loss_func, *in_arrays)
        elif isinstance(in_arrays, dict):
            optimizer.update(loss_func, **in_arrays)
        else:
            optimizer.update(loss_func, in_arrays)

        if self.auto_new_epoch and iterator.is_new_epoch:
            optimizer.new_epoch(auto=True)

    def serialize(self, serializer: Any) -> None:
        """Save or load the iterators, the optimizers, their target links and the iteration.

        Entries: ``iterator:<name>/...`` for each iterator, ``optimizer:<name>/...`` and
        ``model:<name>/...`` for each optimizer and its target, and ``iteration``.

        Args:
            serializer: A serializer or deserializer.
        """
        for name, iterator in self._iterators.items():
            iterator.serialize(serializer["iterator:" + name])
        for name, optimizer in self._optimizers.items():
            optimizer.serialize(serializer["optimizer:" + name])
            optimizer.target.serialize(serializer["model:" + name])
        self.iteration = int(serializer("iteration", self.iteration))
