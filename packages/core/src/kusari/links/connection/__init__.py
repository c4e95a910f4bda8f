"""Links with learnable connections: fully connected and convolution layers."""

from kusari.links.connection.convolution_2d import Convolution2D
from kusari.links.connection.linear import Linear

__all__ = ["Convolution2D", "Linear"]
