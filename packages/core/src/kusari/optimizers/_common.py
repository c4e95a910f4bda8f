"""Pieces the adaptive optimizers (RMSprop, RMSpropGraves, Adam) share."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend, optimizer

# below this an eps may round to zero in float32 (checked only then, to keep the step lean)
EPS_CHECK_BELOW = 1e-30


def proxies(*names: str) -> tuple[optimizer.HyperparameterProxy, ...]:
    """One :class:`~kusari.optimizer.HyperparameterProxy` per name, in order."""
    return tuple(optimizer.HyperparameterProxy(name) for name in names)


def set_hyperparams(hyperparam: optimizer.Hyperparameter, **values: Any) -> None:
    """Set every given entry of ``hyperparam``."""
    for name, value in values.items():
        setattr(hyperparam, name, value)


def override_hyperparams(hyperparam: optimizer.Hyperparameter, **given: Any) -> None:
    """Set the entries of ``hyperparam`` given as non-``None`` (the others stay inherited)."""
    for name, value in given.items():
        if value is not None:
            setattr(hyperparam, name, value)


def zeros_state(rule: optimizer.UpdateRule, param: Any, *keys: str) -> None:
    """Put zeros like ``param.array`` in ``rule.state`` under each key."""
    data = param.array
    xp = backend.get_array_module(data)
    for key in keys:
        rule.state[key] = xp.zeros_like(data)


def float_grad(param: Any) -> tuple[Any, Any, Any]:
    """``(data, grad, xp)`` of ``param``, with a float16 gradient cast to float32."""
    data = param.array
    grad = param.grad
    xp = numpy if type(data) is numpy.ndarray else backend.get_array_module(data)
    if grad.dtype == numpy.float16:
        grad = grad.astype(numpy.float32)
    return data, grad, xp


def check_eps(name: str, eps: float, dtype: Any) -> None:
    """Raise if a nonzero ``eps`` rounds to zero in ``dtype``.

    Raises:
        ValueError: ``eps`` is 0 in ``dtype``.
    """
    if numpy.dtype(dtype).type(eps) == 0:
        raise ValueError(
            f"{name}: eps ({eps}) is too small for {numpy.dtype(dtype).name}: it rounds to 0"
        )


def sqrt_into(xp: Any, x: Any, out: Any) -> None:
    """``out = sqrt(x)``, taking the root in ``out``'s dtype when ``x`` is float16 state."""
    if x.dtype == out.dtype:
        xp.sqrt(x, out=out)
    else:
        xp.copyto(out, x)
        xp.sqrt(out, out=out)
