"""copy: copy an array to a device (host or GPU), differentiably."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.variable import Variable


class Copy(FunctionNode):
    """Copy the input from ``in_device`` to ``out_device``; the gradient travels back.

    Args:
        in_device: The :class:`~kusari.backend.Device` holding the input.
        out_device: The :class:`~kusari.backend.Device` to copy to.
    """

    def __init__(self, in_device: backend.Device, out_device: backend.Device) -> None:
        self._in_device = in_device
        self._out_device = out_device

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Send the array to the output device; copy it when it is already there."""
        x, = inputs
        y = self._out_device.send(x)
        if y is x:
            y = x.copy()
        return y,

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Copy the gradient back to the input's device."""
        return Copy(self._out_device, self._in_device).apply(grad_outputs)


def copy(x: Variable | Any, dst: Any) -> Variable:
    """Copy ``x`` to the device ``dst``; gradients flow back to ``x``'s device.

    Args:
        x: Input of any shape, on any device.
        dst: The target device: ``'@numpy'``, ``'@cupy:N'``, an int (negative for the host,
            ``N >= 0`` for GPU ``N``) or a :class:`~kusari.backend.Device`.

    Returns:
        A Variable holding a new array on ``dst`` (never sharing memory with ``x``).

    Raises:
        ValueError: ``dst`` is not a device specifier.
        RuntimeError: A GPU is asked for and CuPy or CUDA is unavailable.

    Example:
        >>> y = F.copy(numpy.ones(3, "f"), -1)
        >>> y.device
        <CpuDevice @numpy>
    """
    out_device = backend.get_device(dst)
    return Copy(backend.get_device_from_array(x), out_device).apply((x,))[0]
