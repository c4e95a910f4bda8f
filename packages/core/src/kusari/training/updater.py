"""The interface of updaters (``chainer.training.Updater``).

An updater runs one step of training per :meth:`Updater.update` call and tells the trainer how
far the training has come (``iteration``, ``epoch``, ``epoch_detail``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Updater"]


class Updater:
    """Interface of the objects a :class:`~kusari.training.Trainer` calls to update models.

    Subclasses implement :meth:`update`, :meth:`get_optimizer`, :meth:`get_all_optimizers`,
    :meth:`finalize` and :meth:`serialize`, and provide ``iteration``, ``epoch``,
    ``epoch_detail``, ``previous_epoch_detail`` and ``is_new_epoch``.
    """

    def connect_trainer(self, trainer: Any) -> None:
        """Connect to the trainer that will call the updater (does nothing by default).

        Called at the end of ``Trainer.__init__``; an updater may register observers with
        ``trainer.reporter`` here.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """

    def finalize(self) -> None:
        """Release resources (e.g. iterator workers) at the end of the training loop."""
        raise NotImplementedError(f"{type(self).__name__}: finalize is not implemented")

    def get_optimizer(self, name: str) -> Any:
        """Return the optimizer registered under ``name``.

        Args:
            name: The optimizer's name, e.g. ``'main'``.
        """
        raise NotImplementedError(f"{type(self).__name__}: get_optimizer is not implemented")

    def get_all_optimizers(self) -> dict[str, Any]:
        """Return a dictionary from names to optimizers."""
        raise NotImplementedError(f"{type(self).__name__}: get_all_optimizers is not implemented")

    def update(self) -> None:
        """Run one update step: load a minibatch, compute the loss and its gradients, update."""
        raise NotImplementedError(f"{type(self).__name__}: update is not implemented")

    def serialize(self, serializer: Any) -> None:
        """Save or load the updater's state.

        Args:
            serializer: A serializer or deserializer.
        """
        raise NotImplementedError(f"{type(self).__name__}: serialize is not implemented")
