"""Numerical gradient checks (Chainer's ``chainer.gradient_check``).

:func:`check_backward` compares the gradient that backprop computes with a central finite
difference along one random direction of all inputs at once: ``<grad, d>`` against
``(f(x + eps d) - f(x - eps d)) / (2 eps)``. One direction tests every input element with two
forward evaluations, which keeps the check cheap on large inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import grad
from kusari.variable import Variable


class NondifferentiableError(Exception):
    """The function is not differentiable at the point checked (its one-sided slopes differ)."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _to_numpy(x: Any) -> numpy.ndarray:
    return backend.CpuDevice().send(x)


def numerical_grad(
    f: Callable[[], Any],
    inputs: Sequence[Any],
    grad_outputs: Sequence[Any],
    eps: float = 1e-3,
    detect_nondifferentiable: bool = False,
    diff_atol: float = 0,
    diff_rtol: float = 1e-2,
    center_outputs: Any = None,
) -> tuple[Any, ...]:
    """Gradients of ``sum_j <f()_j, grad_outputs_j>`` w.r.t. each array of ``inputs``.

    ``f`` takes no arguments and reads ``inputs``, which are perturbed in place one element at a
    time (central differences) and restored afterwards.

    Args:
        f: A callable returning an array or a tuple of arrays.
        inputs: Arrays that ``f`` reads; they are modified temporarily.
        grad_outputs: Weights of each output (``None`` entries are skipped).
        eps: The step of the finite difference.
        detect_nondifferentiable: Raise :class:`NondifferentiableError` when the left and right
            slopes disagree beyond ``diff_atol + diff_rtol * |slope|``.
        diff_atol: Absolute tolerance of that test.
        diff_rtol: Relative tolerance of that test.
        center_outputs: Outputs of ``f`` at the unperturbed point (computed when ``None``).

    Returns:
        One gradient array per input, of the input's shape and dtype.
    """

    def value() -> float:
        total = 0.0
        for y, gy in zip(_as_tuple(f()), grad_outputs, strict=True):
            if gy is not None:
                total += float((_to_numpy(y).astype(numpy.float64) * _to_numpy(gy)).sum())
        return total

    center = None
    if detect_nondifferentiable:
        if center_outputs is None:
            center = value()
        else:
            center = sum(
                float((_to_numpy(y).astype(numpy.float64) * _to_numpy(gy)).sum())
                for y, gy in zip(_as_tuple(center_outputs), grad_outputs, strict=True)
                if gy is not None
            )
    grads = []
    for x in inputs:
        gx = numpy.zeros(x.shape, numpy.float64)
        flat = x.reshape(-1) if x.flags.c_contiguous else None
        for k in range(x.size):
            idx = numpy.unravel_index(k, x.shape)
            orig = x[idx].copy() if flat is None else flat[k].copy()
            x[idx] = orig + eps
            plus = value()
            x[idx] = orig - eps
            minus = value()
            x[idx] = orig
            gx[idx] = (plus - minus) / (2 * eps)
            if center is not None:
                _check_one_sided(plus, center, minus, eps, diff_atol, diff_rtol)
        grads.append(backend.get_device_from_array(x).send(gx.astype(x.dtype)))
    return tuple(grads)


def _check_one_sided(
    plus: float, center: float, minus: float, eps: float, atol: float, rtol: float
) -> None:
    right = (plus - center) / eps
    left = (center - minus) / eps
    if abs(right - left) > atol + rtol * max(abs(right), abs(left)):
        raise NondifferentiableError(
            f"the slopes on the two sides differ: left {left:.6g}, right {right:.6g}"
        )


def check_backward(
    func: Callable[..., Any],
    x_data: Any,
    y_grad: Any,
    params: Sequence[Variable] = (),
    eps: float = 1e-3,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    no_grads: Sequence[bool] | None = None,
    dtype: Any = None,
    detect_nondifferentiable: bool = False,
) -> None:
    """Check backprop of ``func`` against a finite difference along a random direction.

    Args:
        func: Takes Variables made from ``x_data`` and returns a Variable or a tuple of them.
        x_data: An array or a tuple of arrays: the point where gradients are checked.
        y_grad: The gradient of each output (an array or a tuple); ``None`` for a single-element
            output (taken as 1).
        params: Extra Variables (e.g. a link's parameters) whose gradients are checked too.
        eps: Step of the finite difference.
        atol: Absolute tolerance.
        rtol: Relative tolerance.
        no_grads: For each input, ``True`` to treat it as a constant (``requires_grad=False``)
            whose gradient is not checked; by default the inputs of non-float dtype.
        dtype: If given, inputs and parameters are cast to it for the finite difference
            (e.g. ``numpy.float64`` to check float16 functions).
        detect_nondifferentiable: Fail with :class:`NondifferentiableError` when the point is
            a kink of ``func``.

    Raises:
        AssertionError: The gradients disagree.
        NondifferentiableError: See ``detect_nondifferentiable``.
    """
    xs_data = _as_tuple(x_data)
    if no_grads is None:
        no_grads = [x.dtype.kind != "f" for x in xs_data]
    if len(no_grads) != len(xs_data):
        raise ValueError(
            f"check_backward: len(no_grads) ({len(no_grads)}) != {len(xs_data)} inputs"
        )
    xs = [Variable(x, requires_grad=not ng) for x, ng in zip(xs_data, no_grads, strict=True)]
    ys = _as_tuple(func(*xs))
    y_grads = _initial_grads(ys, y_grad)
    targets = [x for x, ng in zip(xs, no_grads, strict=True) if not ng] + list(params)
    gxs = grad(list(ys), xs + list(params), [Variable(g) for g in y_grads]) if ys else []
    analytic = [gxs[i] for i, ng in enumerate(no_grads) if not ng] + list(gxs[len(xs):])
    if not targets:
        return
    xp = backend.get_array_module(*xs_data)
    directions = [xp.asarray(numpy.random.normal(size=t.shape)) for t in targets]
    norm = float(numpy.sqrt(sum(float((_to_numpy(d) ** 2).sum()) for d in directions)))
    if norm == 0:
        return
    directions = [d / norm for d in directions]
    expected = 0.0
    for g, d, t in zip(analytic, directions, targets, strict=True):
        if g is not None:
            _check_grad_shape(g, t)
            expected += float((_to_numpy(g.array).astype(numpy.float64) * _to_numpy(d)).sum())
    actual = _directional_difference(
        func, xs_data, no_grads, params, directions, y_grads, eps, dtype, detect_nondifferentiable
    )
    if not abs(actual - expected) <= atol + rtol * abs(expected):
        raise AssertionError(
            "check_backward: gradients differ along a random direction: "
            f"backprop {expected!r}, finite difference {actual!r} "
            f"(atol={atol}, rtol={rtol}, eps={eps})"
        )


def _initial_grads(ys: tuple, y_grad: Any) -> tuple:
    if y_grad is None:
        for y in ys:
            if y.size != 1:
                raise ValueError(
                    f"check_backward: y_grad is None but an output has shape {y.shape}"
                )
        return tuple(y.xp.ones_like(y.array) for y in ys)
    y_grads = _as_tuple(y_grad)
    if len(y_grads) != len(ys):
        raise ValueError(f"check_backward: {len(y_grads)} y_grad for {len(ys)} outputs")
    return y_grads


def _check_grad_shape(g: Variable, target: Variable) -> None:
    if g.shape != target.shape or g.dtype != target.dtype:
        raise AssertionError(
            f"check_backward: a gradient has shape {g.shape} and dtype {g.dtype}; its "
            f"variable has shape {target.shape} and dtype {target.dtype}"
        )


def _directional_difference(
    func: Callable[..., Any],
    xs_data: tuple,
    no_grads: Sequence[bool],
    params: Sequence[Variable],
    directions: list,
    y_grads: tuple,
    eps: float,
    dtype: Any,
    detect_nondifferentiable: bool,
) -> float:
    def cast(a: Any) -> Any:
        return a.astype(dtype) if dtype is not None else a.copy()

    base = [cast(x) if not ng else x for x, ng in zip(xs_data, no_grads, strict=True)]
    param_orig = [p.array for p in params]
    param_base = [cast(a) for a in param_orig]

    xp = backend.get_array_module(*xs_data)

    def evaluate(t: float) -> float:
        it = iter(directions)
        args = []
        for x, ng in zip(base, no_grads, strict=True):
            args.append(x if ng else xp.asarray(x + t * next(it), dtype=x.dtype))
        for p, a in zip(params, param_base, strict=True):
            p.array = xp.asarray(a + t * next(it), dtype=a.dtype)
        ys = _as_tuple(func(*[Variable(a) for a in args]))
        total = 0.0
        for y, gy in zip(ys, y_grads, strict=True):
            total += float((_to_numpy(y.array).astype(numpy.float64) * _to_numpy(gy)).sum())
        return total

    try:
        plus, minus = evaluate(eps), evaluate(-eps)
        if detect_nondifferentiable:
            _check_one_sided(plus, evaluate(0.0), minus, eps, 0.0, 1e-2)
    finally:
        for p, a in zip(params, param_orig, strict=True):
            p.array = a
    return (plus - minus) / (2 * eps)


def check_double_backward(
    func: Callable[..., Any],
    x_data: Any,
    y_grad: Any,
    x_grad_grad: Any,
    params: Sequence[Variable] = (),
    params_grad_grad: Any = (),
    eps: float = 1e-3,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    no_grads: Sequence[bool] | None = None,
    dtype: Any = None,
    detect_nondifferentiable: bool = False,
) -> None:
    """Check the gradient of the gradient of ``func`` (double backprop).

    The function checked is ``(x, gy) -> grad(func(x), x, gy)``; its gradient is compared with a
    finite difference by :func:`check_backward` with ``x_grad_grad`` as the output gradients.

    Args:
        func: As in :func:`check_backward`.
        x_data: An array or a tuple of arrays.
        y_grad: Gradients of the outputs of ``func``.
        x_grad_grad: Gradients of the first-order gradients (one per differentiable input).
        params: Extra Variables differentiated as in :func:`check_backward`.
        params_grad_grad: Gradients of the first-order gradients of ``params``.
        eps: Step of the finite difference.
        atol: Absolute tolerance.
        rtol: Relative tolerance.
        no_grads: As in :func:`check_backward`.
        dtype: As in :func:`check_backward`.
        detect_nondifferentiable: As in :func:`check_backward`.

    Raises:
        AssertionError: The second-order gradients disagree.
    """
    xs_data = _as_tuple(x_data)
    n_x = len(xs_data)
    y_grads = _as_tuple(y_grad)
    if no_grads is None:
        no_grads = [x.dtype.kind != "f" for x in xs_data]
    params = tuple(params)

    def first_order(*args: Variable) -> tuple:
        xs, gys = args[:n_x], args[n_x:]
        ys = _as_tuple(func(*xs))
        wrt = [x for x, ng in zip(xs, no_grads, strict=True) if not ng] + list(params)
        gxs = grad(list(ys), wrt, list(gys), enable_double_backprop=True)
        return tuple(
            g if g is not None else Variable(w.xp.zeros_like(w.array))
            for g, w in zip(gxs, wrt, strict=True)
        )

    check_backward(
        first_order,
        xs_data + y_grads,
        _as_tuple(x_grad_grad) + _as_tuple(params_grad_grad),
        params=params,
        eps=eps,
        atol=atol,
        rtol=rtol,
        no_grads=list(no_grads) + [False] * len(y_grads),
        dtype=dtype,
        detect_nondifferentiable=detect_nondifferentiable,
    )
