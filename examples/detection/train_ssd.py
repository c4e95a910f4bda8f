#!/usr/bin/env python
"""Train an SSD detector with ChainerCV's recipe (examples/ssd/train.py of ChainerCV 0.13).

The loss is ``multibox_loss`` (alpha 1, k 3); the training images go through colour
distortion, random expansion, a crop that keeps boxes, a resize with a random interpolation and a
random flip before the coder encodes their boxes. Momentum SGD, weight decay 0.0005 on the
weights and a doubled gradient on the biases, lr 1e-3 divided by 10 at each ``--step``.

``--dataset voc`` trains SSD300/SSD512 (ImageNet VGG16 start) on VOC2007+2012 trainval and scores
VOC2007 test (local copies, see ``VOCBboxDataset``). ``--dataset synthetic`` draws coloured
rectangles, ellipses and triangles on noise, offline; with ``--model tiny`` (a four-map SSD on
64x64 inputs) it trains in seconds on a CPU.

Examples:
    python examples/detection/train_ssd.py --dataset voc --gpu 0
    python examples/detection/train_ssd.py --dataset synthetic --model tiny --iteration 200
"""

import argparse
import copy

import numpy as np
from PIL import Image, ImageDraw

import kusari as chainer
import kusari.functions as F
import kusari.links as L
from kusari import training
from kusari.datasets import ConcatenatedDataset, TransformDataset
from kusari.optimizer_hooks import WeightDecay
from kusari.training import extensions, triggers
from kusari_cv import transforms
from kusari_cv.datasets import VOCBboxDataset, voc_bbox_label_names
from kusari_cv.extensions import DetectionVOCEvaluator
from kusari_cv.links.model.ssd import (
    SSD,
    SSD300,
    SSD512,
    GradientScaling,
    Multibox,
    multibox_loss,
    random_crop_with_bbox_constraints,
    random_distort,
    resize_with_random_interpolation,
)

SYNTHETIC_LABEL_NAMES = ("rectangle", "ellipse", "triangle")


class SyntheticShapesDataset(chainer.dataset.DatasetMixin):
    """Coloured shapes on noise: example ``i`` is drawn from a generator seeded with ``seed + i``.

    Each image holds one to three shapes (a class each: rectangle, ellipse or triangle) of a
    random colour; their boxes are the shapes' extents.

    Args:
        n: Number of examples.
        size: ``(H, W)`` of the images.
        seed: Seed of the first example.
    """

    def __init__(self, n, size=(128, 128), seed=0):
        self.n = n
        self.size = size
        self.seed = seed

    def __len__(self):
        return self.n

    def get_example(self, i):
        rng = np.random.default_rng(self.seed + i)
        height, width = self.size
        noise = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
        image = Image.fromarray(noise).resize((width, height), Image.BILINEAR)
        draw = ImageDraw.Draw(image)
        n_shape = int(rng.integers(1, 4))
        bbox = np.zeros((n_shape, 4), np.float32)
        label = rng.integers(0, len(SYNTHETIC_LABEL_NAMES), n_shape).astype(np.int32)
        for j in range(n_shape):
            h, w = rng.integers(min(height, width) // 5, min(height, width) // 2, 2)
            y0 = int(rng.integers(0, height - h))
            x0 = int(rng.integers(0, width - w))
            corners = (x0, y0, x0 + w - 1, y0 + h - 1)
            color = tuple(int(c) for c in rng.integers(0, 256, 3))
            if label[j] == 0:
                draw.rectangle(corners, fill=color)
            elif label[j] == 1:
                draw.ellipse(corners, fill=color)
            else:
                draw.polygon([(x0, y0 + h - 1), (x0 + w - 1, y0 + h - 1), (x0 + w // 2, y0)], color)
            bbox[j] = (y0, x0, y0 + h, x0 + w)
        img = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
        return img, bbox, label


class TinyExtractor(chainer.Chain):
    """A small SSD extractor for 64x64 inputs: maps of 8, 4, 2 and 1 cells."""

    insize = 64
    grids = (8, 4, 2, 1)

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(8, 3, pad=1)
            self.conv2 = L.Convolution2D(16, 3, pad=1)
            self.conv3 = L.Convolution2D(32, 3, pad=1)
            self.conv4 = L.Convolution2D(32, 3, stride=2, pad=1)
            self.conv5 = L.Convolution2D(32, 3, stride=2, pad=1)
            self.conv6 = L.Convolution2D(32, 2)

    def forward(self, x):
        h = x
        for conv in (self.conv1, self.conv2, self.conv3):
            h = F.max_pooling_2d(F.relu(conv(h)), 2)
        ys = [h]
        for conv in (self.conv4, self.conv5, self.conv6):
            ys.append(F.relu(conv(ys[-1])))
        return ys


def tiny_ssd(n_fg_class):
    """An SSD on :class:`TinyExtractor`, for quick runs on synthetic data."""
    return SSD(
        extractor=TinyExtractor(),
        multibox=Multibox(n_class=n_fg_class + 1, aspect_ratios=((2,), (2, 3), (2, 3), (2,))),
        steps=(8, 16, 32, 64),
        sizes=(8, 16, 30, 46, 64),
        mean=np.array((123, 117, 104), np.float32).reshape((-1, 1, 1)),
    )


class MultiboxTrainChain(chainer.Chain):
    """The SSD training loss, ``alpha * loc_loss + conf_loss``, reported as main/loss/..."""

    def __init__(self, model, alpha=1, k=3):
        super().__init__()
        with self.init_scope():
            self.model = model
        self.alpha = alpha
        self.k = k

    def forward(self, imgs, gt_mb_locs, gt_mb_labels):
        mb_locs, mb_confs = self.model(imgs)
        loc_loss, conf_loss = multibox_loss(mb_locs, mb_confs, gt_mb_locs, gt_mb_labels, self.k)
        loss = loc_loss * self.alpha + conf_loss
        chainer.reporter.report({"loss": loss, "loss/loc": loc_loss, "loss/conf": conf_loss}, self)
        return loss


class Transform:
    """SSD's augmentation, then mean subtraction and encoding for the multibox loss."""

    def __init__(self, coder, size, mean):
        # The transform runs on the CPU: keep a copy of the coder there.
        self.coder = copy.copy(coder)
        self.coder.to_device("@numpy")
        self.size = size
        self.mean = mean

    def __call__(self, in_data):
        img, bbox, label = in_data
        # 1. Colour distortion.
        img = random_distort(img)
        # 2. Random expansion, filled with the mean.
        if np.random.randint(2):
            img, param = transforms.random_expand(img, fill=self.mean, return_param=True)
            bbox = transforms.translate_bbox(
                bbox, y_offset=param["y_offset"], x_offset=param["x_offset"]
            )
        # 3. Random crop that keeps enough of the boxes.
        img, param = random_crop_with_bbox_constraints(img, bbox, return_param=True)
        bbox, param = transforms.crop_bbox(
            bbox,
            y_slice=param["y_slice"],
            x_slice=param["x_slice"],
            allow_outside_center=False,
            return_param=True,
        )
        label = label[param["index"]]
        # 4. Resize with a random interpolation.
        _, height, width = img.shape
        img = resize_with_random_interpolation(img, (self.size, self.size))
        bbox = transforms.resize_bbox(bbox, (height, width), (self.size, self.size))
        # 5. Random horizontal flip.
        img, param = transforms.random_flip(img, x_random=True, return_param=True)
        bbox = transforms.flip_bbox(bbox, (self.size, self.size), x_flip=param["x_flip"])

        img -= self.mean
        mb_loc, mb_label = self.coder.encode(bbox, label)
        return img, mb_loc, mb_label


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Kusari-CV example: train SSD")
    parser.add_argument("--dataset", choices=("voc", "synthetic"), default="voc")
    parser.add_argument("--model", choices=("ssd300", "ssd512", "tiny"), default="ssd300")
    parser.add_argument("--batchsize", type=int, default=32)
    parser.add_argument("--iteration", type=int, default=120000)
    parser.add_argument("--step", type=int, nargs="*", default=[80000, 100000])
    parser.add_argument("--n-train", type=int, default=1000, help="synthetic training images")
    parser.add_argument("--n-test", type=int, default=100, help="synthetic test images")
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gpu", type=int, default=-1)
    parser.add_argument("--out", default="result")
    parser.add_argument("--resume")
    return parser.parse_args(argv)


def build_datasets(args):
    """Return ``(train, test, label_names)``: test examples carry ``difficult`` for VOC."""
    if args.dataset == "voc":
        train = ConcatenatedDataset(
            VOCBboxDataset(year="2007", split="trainval"),
            VOCBboxDataset(year="2012", split="trainval"),
        )
        test = VOCBboxDataset(year="2007", split="test", use_difficult=True, return_difficult=True)
        return train, test, voc_bbox_label_names
    train = SyntheticShapesDataset(args.n_train, seed=args.seed)
    test = SyntheticShapesDataset(args.n_test, seed=args.seed + args.n_train)
    return train, test, SYNTHETIC_LABEL_NAMES


def build_model(args, n_fg_class):
    if args.model == "tiny":
        return tiny_ssd(n_fg_class)
    # The VGG16 start is downloaded for VOC; synthetic runs stay offline.
    pretrained_model = "imagenet" if args.dataset == "voc" else None
    model_class = SSD300 if args.model == "ssd300" else SSD512
    return model_class(n_fg_class=n_fg_class, pretrained_model=pretrained_model)


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(args.seed)
    train, test, label_names = build_datasets(args)
    model = build_model(args, len(label_names))
    model.use_preset("evaluate")
    train_chain = MultiboxTrainChain(model)
    if args.gpu >= 0:
        chainer.cuda.get_device_from_id(args.gpu).use()
        model.to_gpu()

    train = TransformDataset(train, Transform(model.coder, model.insize, model.mean))
    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    # The initial lr (1e-3) is set by ExponentialShift.
    optimizer = chainer.optimizers.MomentumSGD()
    optimizer.setup(train_chain)
    for param in train_chain.params():
        if param.name == "b":
            param.update_rule.add_hook(GradientScaling(2))
        else:
            param.update_rule.add_hook(WeightDecay(0.0005))

    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=args.gpu)
    trainer = training.Trainer(updater, (args.iteration, "iteration"), args.out)
    trainer.extend(
        extensions.ExponentialShift("lr", 0.1, init=1e-3),
        trigger=triggers.ManualScheduleTrigger(args.step, "iteration"),
    )
    trainer.extend(
        DetectionVOCEvaluator(test_iter, model, use_07_metric=True, label_names=label_names),
        trigger=triggers.ManualScheduleTrigger(args.step + [args.iteration], "iteration"),
    )

    log_interval = args.log_interval, "iteration"
    trainer.extend(extensions.LogReport(trigger=log_interval))
    trainer.extend(extensions.observe_lr(), trigger=log_interval)
    trainer.extend(
        extensions.PrintReport(
            [
                "epoch",
                "iteration",
                "lr",
                "main/loss",
                "main/loss/loc",
                "main/loss/conf",
                "validation/main/map",
            ]
        ),
        trigger=log_interval,
    )
    trainer.extend(extensions.ProgressBar(update_interval=10))
    trainer.extend(
        extensions.snapshot(),
        trigger=triggers.ManualScheduleTrigger(args.step + [args.iteration], "iteration"),
    )
    trainer.extend(
        extensions.snapshot_object(model, "model_iter_{.updater.iteration}"),
        trigger=(args.iteration, "iteration"),
    )

    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)

    trainer.run()
    return trainer


if __name__ == "__main__":
    main()
