"""Links: layers with parameters (Chainer's ``chainer.links``, imported as ``L``)."""

from kusari.links.activation.prelu import PReLU
from kusari.links.connection.convolution_2d import Convolution2D
from kusari.links.connection.dilated_convolution_2d import DilatedConvolution2D
from kusari.links.connection.linear import Linear
from kusari.links.model.classifier import Classifier
from kusari.links.normalization.batch_normalization import BatchNormalization

__all__ = [
    "BatchNormalization",
    "Classifier",
    "Convolution2D",
    "DilatedConvolution2D",
    "Linear",
    "PReLU",
]
