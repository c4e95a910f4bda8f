"""Links with learnable connections: fully connected and convolution layers."""

from kusari.links.connection.convolution_2d import Convolution2D
from kusari.links.connection.dilated_convolution_2d import DilatedConvolution2D
from kusari.links.connection.linear import Linear

__all__ = ["Convolution2D", "DilatedConvolution2D", "Linear"]
