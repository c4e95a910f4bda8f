"""One call that checks a function's forward, backward and double backward.

Example:
    >>> @pytest.mark.parametrize("dtype", FLOAT_DTYPES)
    ... def test_tanh(dtype):
    ...     x = numpy.random.uniform(-1, 1, (3, 4)).astype(dtype)
    ...     check_function(F.tanh, (x,), lambda x: numpy.tanh(x))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from kusari import gradient_check
from kusari.variable import Variable

FLOAT_DTYPES = (numpy.float16, numpy.float32, numpy.float64)

_TOLERANCES = {
    # kind -> dtype -> (atol, rtol)
    "forward": {
        numpy.float16: (1e-3, 1e-2),
        numpy.float32: (1e-5, 1e-4),
        numpy.float64: (1e-10, 1e-8),
    },
    "backward": {
        numpy.float16: (5e-2, 5e-2),
        numpy.float32: (1e-4, 1e-3),
        numpy.float64: (1e-5, 1e-4),
    },
}


def tolerance(dtype: Any, kind: str = "forward") -> dict[str, float]:
    """Default ``{'atol': ..., 'rtol': ...}`` for ``kind`` ('forward' or 'backward') and dtype."""
    atol, rtol = _TOLERANCES[kind][numpy.dtype(dtype).type]
    return {"atol": atol, "rtol": rtol}


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _random_like(a: Any, rng: numpy.random.Generator) -> numpy.ndarray:
    return numpy.asarray(rng.uniform(-1, 1, a.shape), dtype=a.dtype)


def check_function(
    func: Callable[..., Any],
    inputs: Sequence[numpy.ndarray],
    expected: Callable[..., Any] | None,
    *,
    backward: bool = True,
    double_backward: bool = True,
    no_grads: Sequence[bool] | None = None,
    forward_tol: dict[str, float] | None = None,
    backward_tol: dict[str, float] | None = None,
    double_backward_tol: dict[str, float] | None = None,
    eps: float = 1e-3,
    seed: int = 0,
) -> None:
    """Check ``func`` on ``inputs``: forward against ``expected``, backward, double backward.

    Args:
        func: Takes Variables and returns a Variable or a tuple of Variables.
        inputs: Input arrays. The dtype of the first float input picks the tolerances.
        expected: NumPy reference taking the input arrays and returning the expected output
            array(s); ``None`` skips the forward comparison.
        backward: Run :func:`~kusari.gradient_check.check_backward`.
        double_backward: Run :func:`~kusari.gradient_check.check_double_backward`.
        no_grads: Inputs that must get no gradient (default: the non-float ones).
        forward_tol: ``{'atol', 'rtol'}`` overriding the forward default for the dtype.
        backward_tol: The same for the backward check.
        double_backward_tol: The same for the double-backward check (default: backward's).
        eps: Finite-difference step; the finite difference runs in float64.
        seed: Seed of the output gradients and directions.

    Raises:
        AssertionError: A check fails.
    """
    inputs = tuple(inputs)
    dtype = next((a.dtype for a in inputs if a.dtype.kind == "f"), numpy.dtype(numpy.float64))
    outputs = _as_tuple(func(*[Variable(a) for a in inputs]))
    if expected is not None:
        _check_forward(outputs, _as_tuple(expected(*inputs)), forward_tol or tolerance(dtype))
    rng = numpy.random.default_rng(seed)
    numpy.random.seed(seed)
    y_grad = tuple(_random_like(y.array, rng) for y in outputs)
    btol = backward_tol or tolerance(dtype, "backward")
    if backward:
        gradient_check.check_backward(
            func, inputs, y_grad, eps=eps, no_grads=no_grads, dtype=numpy.float64, **btol
        )
    if double_backward:
        grad_inputs = [
            a for i, a in enumerate(inputs)
            if not (no_grads[i] if no_grads is not None else a.dtype.kind != "f")
        ]
        ggx = tuple(_random_like(a, rng) for a in grad_inputs)
        gradient_check.check_double_backward(
            func, inputs, y_grad, ggx, eps=eps, no_grads=no_grads, dtype=numpy.float64,
            **(double_backward_tol or btol),
        )


def _check_forward(outputs: tuple, expected: tuple, tol: dict[str, float]) -> None:
    if len(outputs) != len(expected):
        raise AssertionError(f"forward: {len(outputs)} outputs, expected {len(expected)}")
    for i, (y, e) in enumerate(zip(outputs, expected, strict=True)):
        e = numpy.asarray(e)
        if y.shape != e.shape:
            raise AssertionError(f"forward: output {i} has shape {y.shape}, expected {e.shape}")
        if y.dtype != e.dtype:
            raise AssertionError(f"forward: output {i} has dtype {y.dtype}, expected {e.dtype}")
        numpy.testing.assert_allclose(
            y.array.astype(numpy.float64), e.astype(numpy.float64),
            err_msg=f"forward: output {i}", **tol,
        )
