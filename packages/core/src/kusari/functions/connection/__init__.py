"""Connection functions."""

from kusari.functions.connection.dilated_convolution_2d import dilated_convolution_2d

__all__ = ["dilated_convolution_2d"]
