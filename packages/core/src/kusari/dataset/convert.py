"""Turn a minibatch (a list of examples) into batched arrays (Chainer v7's ``concat_examples``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.backend import get_array_module, get_device, get_device_from_array


def to_device(device: Any, x: Any) -> Any:
    """Send an array, or a (nested) tuple/list/dict of arrays, to a device.

    Args:
        device: ``None`` to leave ``x`` where it is, a negative ``int`` or ``'@numpy'`` for the
            host, a non-negative ``int`` or ``'@cupy:N'`` for GPU ``N``, or a
            :class:`kusari.backend.Device`.
        x: An array (NumPy or CuPy) or a structure of arrays.

    Returns:
        ``x`` itself when ``device`` is ``None``; otherwise ``x`` with every array on ``device``.

    Raises:
        ValueError: ``device`` is not a device spec.
    """
    if device is None:
        return x
    return get_device(device).send(x)


def concat_examples(batch: list[Any], device: Any = None, padding: Any = None) -> Any:
    """Stack the examples of a minibatch into batched arrays and send them to a device.

    Each example is an array, a tuple of arrays, or a dict of arrays; all examples have the same
    form as ``batch[0]``. Arrays (or scalars) in the same position are stacked along a new first
    axis, so ``B`` examples of shape ``S`` give one array of shape ``(B,) + S``:

    * array examples give one array;
    * tuple examples give a tuple of arrays, the ``i``-th stacked from every example's ``i``-th
      entry;
    * dict examples give a dict of arrays, one per key of ``batch[0]``.

    Args:
        batch: The examples, e.g. the list returned by an iterator.
        device: Where to send the result: see :func:`to_device` (``None`` leaves the arrays on
            the device they were built on).
        padding: ``None`` to require equal shapes; otherwise the value to fill with when the
            arrays differ in shape: each result then has, on every axis, the largest size among
            the examples, and each example is written to the start of its row. A tuple (for tuple
            examples) or a dict (for dict examples) gives one padding value per entry.

    Returns:
        An array of shape ``(B, ...)``, a tuple of them, or a dict of them, following ``batch[0]``.

    Raises:
        ValueError: ``batch`` is empty, or arrays of different shapes are stacked with
            ``padding=None``.

    Example:
        >>> concat_examples([(numpy.zeros(3), 0), (numpy.ones(3), 1)])
        (array([[0., 0., 0.],
               [1., 1., 1.]]), array([0, 1]))
    """
    if len(batch) == 0:
        raise ValueError("concat_examples: batch is empty; expected at least one example")
    first = batch[0]
    if isinstance(first, tuple):
        if not isinstance(padding, tuple):
            padding = (padding,) * len(first)
        return tuple(
            to_device(device, _concat_arrays([example[i] for example in batch], padding[i]))
            for i in range(len(first))
        )
    if isinstance(first, dict):
        if not isinstance(padding, dict):
            padding = {key: padding for key in first}
        return {
            key: to_device(device, _concat_arrays([example[key] for example in batch],
                                                  padding[key]))
            for key in first
        }
    return to_device(device, _concat_arrays(batch, padding))


def _is_array(x: Any) -> bool:
    return isinstance(x, numpy.ndarray) or type(x).__module__.startswith("cupy")


def _concat_arrays(arrays: Any, padding: Any) -> Any:
    if not _is_array(arrays[0]):
        arrays = numpy.asarray(arrays)
    if padding is not None:
        return _concat_arrays_with_padding(arrays, padding)
    shape = arrays[0].shape
    for array in arrays[1:]:
        if array.shape != shape:
            raise ValueError(
                f"concat_examples: examples have different shapes ({shape} and {array.shape}); "
                "pass padding=<fill value> to pad them to a common shape"
            )
    xp = get_array_module(arrays[0])
    with get_device_from_array(arrays[0]):
        return xp.concatenate([array[None] for array in arrays])


def _concat_arrays_with_padding(arrays: Any, padding: Any) -> Any:
    ndim = arrays[0].ndim
    shape = list(arrays[0].shape)
    for array in arrays[1:]:
        if array.ndim != ndim:
            raise ValueError(
                f"concat_examples: examples have different numbers of dimensions ({ndim} and "
                f"{array.ndim}); padding only fills along existing axes"
            )
        shape = [max(a, b) for a, b in zip(shape, array.shape, strict=True)]
    xp = get_array_module(arrays[0])
    with get_device_from_array(arrays[0]):
        result = xp.full((len(arrays), *shape), padding, dtype=arrays[0].dtype)
        for i, array in enumerate(arrays):
            result[(i, *(slice(n) for n in array.shape))] = array
    return result
