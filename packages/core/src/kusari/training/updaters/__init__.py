"""Updaters: one training step per call (``chainer.training.updaters``)."""

from kusari.training.updaters.standard_updater import StandardUpdater

__all__ = ["StandardUpdater"]
