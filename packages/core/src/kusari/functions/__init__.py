"""Differentiable functions (Chainer's ``chainer.functions``, imported as ``F``)."""

from kusari.functions._variable_methods import install as _install_variable_methods
from kusari.functions.activation.elu import elu
from kusari.functions.activation.leaky_relu import leaky_relu
from kusari.functions.activation.log_softmax import log_softmax
from kusari.functions.activation.prelu import prelu
from kusari.functions.activation.relu import relu
from kusari.functions.activation.sigmoid import sigmoid
from kusari.functions.activation.softmax import softmax
from kusari.functions.activation.softplus import softplus
from kusari.functions.activation.tanh import tanh
from kusari.functions.array.broadcast import broadcast, broadcast_to
from kusari.functions.array.cast import cast
from kusari.functions.array.concat import concat
from kusari.functions.array.copy import copy
from kusari.functions.array.depth2space import depth2space
from kusari.functions.array.expand_dims import expand_dims
from kusari.functions.array.flatten import flatten
from kusari.functions.array.get_item import get_item
from kusari.functions.array.hstack import hstack
from kusari.functions.array.pad import pad
from kusari.functions.array.reshape import reshape
from kusari.functions.array.resize_images import resize_images
from kusari.functions.array.select_item import select_item
from kusari.functions.array.separate import separate
from kusari.functions.array.space2depth import space2depth
from kusari.functions.array.split_axis import split_axis
from kusari.functions.array.squeeze import squeeze
from kusari.functions.array.stack import stack
from kusari.functions.array.swapaxes import swapaxes
from kusari.functions.array.transpose import transpose
from kusari.functions.array.vstack import vstack
from kusari.functions.array.where import where
from kusari.functions.connection.convolution_2d import convolution_2d
from kusari.functions.connection.deconvolution_2d import deconvolution_2d
from kusari.functions.connection.dilated_convolution_2d import dilated_convolution_2d
from kusari.functions.connection.linear import linear
from kusari.functions.evaluation.accuracy import accuracy
from kusari.functions.loss.huber_loss import huber_loss
from kusari.functions.loss.mean_squared_error import mean_squared_error
from kusari.functions.loss.softmax_cross_entropy import softmax_cross_entropy
from kusari.functions.loss.squared_error import squared_error
from kusari.functions.math.absolute import absolute
from kusari.functions.math.arctanh import arctanh
from kusari.functions.math.average import average, mean
from kusari.functions.math.clip import clip
from kusari.functions.math.exponential import exp, log, log2, log10
from kusari.functions.math.exponential_m1 import expm1
from kusari.functions.math.identity import identity
from kusari.functions.math.logarithm_1p import log1p
from kusari.functions.math.logsumexp import logsumexp
from kusari.functions.math.matmul import matmul
from kusari.functions.math.maximum import maximum
from kusari.functions.math.minimum import minimum
from kusari.functions.math.minmax import max, min
from kusari.functions.math.sign import sign
from kusari.functions.math.sqrt import rsqrt, sqrt
from kusari.functions.math.square import square
from kusari.functions.math.squared_difference import squared_difference
from kusari.functions.math.sum import sum
from kusari.functions.math.sum_to import sum_to
from kusari.functions.noise.dropout import dropout
from kusari.functions.noise.gaussian import gaussian
from kusari.functions.normalization.batch_normalization import (
    batch_normalization,
    fixed_batch_normalization,
)
from kusari.functions.normalization.l2_normalization import normalize
from kusari.functions.pooling.average_pooling_2d import average_pooling_2d
from kusari.functions.pooling.max_pooling_2d import max_pooling_2d
from kusari.functions.pooling.roi_average_align_2d import roi_average_align_2d
from kusari.functions.pooling.roi_max_pooling_2d import roi_max_pooling_2d
from kusari.functions.pooling.roi_pooling_2d import roi_pooling_2d
from kusari.functions.pooling.unpooling_2d import unpooling_2d

_install_variable_methods()

__all__ = [
    "absolute",
    "accuracy",
    "arctanh",
    "average",
    "average_pooling_2d",
    "batch_normalization",
    "broadcast",
    "broadcast_to",
    "cast",
    "clip",
    "concat",
    "convolution_2d",
    "copy",
    "deconvolution_2d",
    "depth2space",
    "dilated_convolution_2d",
    "dropout",
    "elu",
    "exp",
    "expand_dims",
    "expm1",
    "fixed_batch_normalization",
    "flatten",
    "gaussian",
    "get_item",
    "hstack",
    "huber_loss",
    "identity",
    "leaky_relu",
    "linear",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "max_pooling_2d",
    "maximum",
    "mean",
    "mean_squared_error",
    "min",
    "minimum",
    "normalize",
    "pad",
    "prelu",
    "relu",
    "reshape",
    "resize_images",
    "roi_average_align_2d",
    "roi_max_pooling_2d",
    "roi_pooling_2d",
    "rsqrt",
    "select_item",
    "separate",
    "sigmoid",
    "sign",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
    "space2depth",
    "split_axis",
    "sqrt",
    "square",
    "squared_difference",
    "squared_error",
    "squeeze",
    "stack",
    "sum",
    "sum_to",
    "swapaxes",
    "tanh",
    "transpose",
    "unpooling_2d",
    "vstack",
    "where",
]
