#!/usr/bin/env python
"""Train a multi-layer perceptron on MNIST with the Trainer (the classic Chainer example).

Written against Chainer v7's API: only the import lines name Kusari. By default it trains on the
5,000-image MNIST subset bundled in ``data/`` (4,000 for training, 1,000 for validation), offline;
``--dataset mnist`` uses the full set through ``get_mnist()`` (downloaded once).

Examples:
    python examples/mnist/train_mnist.py                  # 20 epochs on the bundled subset
    python examples/mnist/train_mnist.py --resume result/snapshot_iter_400
"""

import argparse
import os

import numpy

import kusari as chainer
import kusari.functions as F
import kusari.links as L
from kusari import training
from kusari.training import extensions

try:
    from kusari_ui.extensions import CommandsExtension
except ImportError:  # the dashboard is optional: without it the run cannot be steered
    CommandsExtension = None

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mnist_5k.npz")


class MLP(chainer.Chain):
    """Two hidden ReLU layers of ``n_units`` and a linear output of ``n_out`` logits."""

    def __init__(self, n_units, n_out):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_units)
            self.l3 = L.Linear(None, n_out)

    def forward(self, x):
        h1 = F.relu(self.l1(x))
        h2 = F.relu(self.l2(h1))
        return self.l3(h2)


def load_subset(path=DATA, n_train=4000, seed=0):
    """The bundled 5,000-image subset as (train, validation) TupleDatasets of (784,) floats."""
    with numpy.load(path) as f:
        x = f["x"].reshape(len(f["x"]), -1).astype(numpy.float32) / 255.0
        y = f["y"].astype(numpy.int32)
    dataset = chainer.datasets.TupleDataset(x, y)
    return chainer.datasets.split_dataset_random(dataset, n_train, seed=seed)


def parse_args(argv=None):
    """The command-line options of the classic Chainer MNIST example, plus ``--dataset``."""
    parser = argparse.ArgumentParser(description="Kusari example: MNIST")
    parser.add_argument("--batchsize", "-b", type=int, default=100,
                        help="Number of images in each mini-batch")
    parser.add_argument("--epoch", "-e", type=int, default=20,
                        help="Number of sweeps over the dataset to train")
    parser.add_argument("--frequency", "-f", type=int, default=-1,
                        help="Frequency of taking a snapshot (-1: only at the end)")
    parser.add_argument("--device", "-d", type=str, default="-1",
                        help="Device specifier: '@numpy', '@cupy:0', or an integer "
                             "(negative for the CPU)")
    parser.add_argument("--out", "-o", default="result", help="Directory to output the result")
    parser.add_argument("--resume", "-r", type=str, default="",
                        help="Resume the training from this snapshot")
    parser.add_argument("--autoload", action="store_true",
                        help="Automatically load the latest snapshot in --out")
    parser.add_argument("--unit", "-u", type=int, default=1000, help="Number of units")
    parser.add_argument("--dataset", choices=("mnist5k", "mnist"), default="mnist5k",
                        help="mnist5k: the bundled 5,000-image subset; mnist: the full set")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")
    return parser.parse_args(argv)


def main(argv=None):
    """Build the model, the Trainer and its extensions, and train."""
    args = parse_args(argv)
    device = chainer.get_device(args.device)
    numpy.random.seed(args.seed)

    print(f"Device: {device}")
    print(f"# unit: {args.unit}")
    print(f"# Minibatch-size: {args.batchsize}")
    print(f"# epoch: {args.epoch}")
    print(f"# dataset: {args.dataset}")
    print("")

    model = L.Classifier(MLP(args.unit, 10))
    model.to_device(device)
    device.use()

    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)

    if args.dataset == "mnist":
        train, test = chainer.datasets.get_mnist()
    else:
        train, test = load_subset(seed=args.seed)

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False,
                                                 shuffle=False)

    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)

    trainer.extend(extensions.Evaluator(test_iter, model, device=device),
                   call_before_training=True)
    frequency = args.epoch if args.frequency == -1 else max(1, args.frequency)
    trainer.extend(extensions.snapshot(n_retains=1, autoload=args.autoload),
                   trigger=(frequency, "epoch"))
    trainer.extend(extensions.LogReport(), call_before_training=True)
    trainer.extend(extensions.PrintReport(
        ["epoch", "main/loss", "validation/main/loss",
         "main/accuracy", "validation/main/accuracy", "elapsed_time"]),
        call_before_training=True)
    if not args.no_progress:
        trainer.extend(extensions.ProgressBar())
    if CommandsExtension is not None:
        trainer.extend(CommandsExtension())

    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)

    training.save_args(args, args.out)
    trainer.run()
    return trainer


if __name__ == "__main__":
    main()
