"""The training loop and its parts (``chainer.training``).

A :class:`Trainer` repeats ``updater.update()`` and calls its extensions at the iterations
their triggers choose::

    updater = training.updaters.StandardUpdater(train_iter, optimizer)
    trainer = training.Trainer(updater, (20, 'epoch'), out='result')
    trainer.extend(training.extensions.LogReport())
    trainer.run()
"""

from kusari.training import extension, extensions, trainer, triggers, updater, updaters, util
from kusari.training.extension import (
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    Extension,
    make_extension,
)
from kusari.training.trainer import Trainer
from kusari.training.triggers import IntervalTrigger
from kusari.training.updater import Updater
from kusari.training.updaters import StandardUpdater
from kusari.training.util import get_trigger, save_args

__all__ = [
    "PRIORITY_EDITOR",
    "PRIORITY_READER",
    "PRIORITY_WRITER",
    "Extension",
    "IntervalTrigger",
    "StandardUpdater",
    "Trainer",
    "Updater",
    "extension",
    "extensions",
    "get_trigger",
    "make_extension",
    "save_args",
    "trainer",
    "triggers",
    "updater",
    "updaters",
    "util",
]
