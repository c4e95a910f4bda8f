"""Small, deterministic training set-ups shared by the trainer and extension tests."""

import numpy

import kusari
import kusari.links as L
from kusari import training
from kusari.datasets import TupleDataset
from kusari.iterators import SerialIterator


def make_dataset(n=10, seed=0):
    """A 3-feature, 2-class toy dataset (x float32 (n, 3), t int32 (n,))."""
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 3).astype(numpy.float32)
    t = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(numpy.int32)
    return TupleDataset(x, t)


def make_model(seed=0):
    """A Classifier over one Linear layer with fixed initial weights."""
    rng = numpy.random.RandomState(seed)
    w = rng.uniform(-0.5, 0.5, (2, 3)).astype(numpy.float32)
    return L.Classifier(L.Linear(3, 2, initialW=w, initial_bias=0))


def make_trainer(out, stop=(3, "epoch"), n=10, batch_size=4, optimizer=None, seed=0):
    """A trainer over make_dataset/make_model with an unshuffled iterator (deterministic)."""
    model = make_model(seed)
    if optimizer is None:
        optimizer = kusari.optimizers.MomentumSGD(lr=0.1)
    optimizer.setup(model)
    iterator = SerialIterator(make_dataset(n, seed), batch_size, shuffle=False)
    updater = training.updaters.StandardUpdater(iterator, optimizer)
    return training.Trainer(updater, stop, out=str(out))


class FakeUpdater:
    """Just the progress counters a trigger reads, advanced by hand."""

    def __init__(self, epoch_size, batch_size):
        self.epoch_size = epoch_size
        self.batch_size = batch_size
        self.iteration = 0
        self.previous_epoch_detail = None

    @property
    def epoch_detail(self):
        return self.iteration * self.batch_size / self.epoch_size

    @property
    def epoch(self):
        return int(self.epoch_detail)

    def update(self):
        self.previous_epoch_detail = self.epoch_detail
        self.iteration += 1


class FakeTrainer:
    def __init__(self, updater, observation=None):
        self.updater = updater
        self.observation = {} if observation is None else observation
