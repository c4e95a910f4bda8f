"""Checks of a FunctionNode's inputs, run before ``forward`` while ``config.type_check`` is on.

``FunctionNode.check_type_forward(in_types)`` receives a :class:`TypeInfoTuple` whose entries have
``shape``, ``dtype``, ``ndim`` and ``size`` of the input arrays. Kusari's functions use the
``expect_*`` helpers below, whose messages name the function, what was expected and what came::

    linear: x.shape[1] (3) != W.shape[1] (4)

Code written for Chainer's ``type_check.expect(...)`` also runs: conditions are evaluated eagerly
(plain booleans), and a failing one raises :class:`InvalidType` that says which one failed.
"""

from __future__ import annotations

from typing import Any

import numpy


class InvalidType(TypeError, ValueError):  # noqa: N818 (Chainer's public name)
    """An input of a function has the wrong shape, dtype or rank.

    It subclasses both :class:`TypeError` and :class:`ValueError` (see ``docs/compat.md``).
    """

    def __init__(self, expect: str, actual: str = "", msg: str | None = None) -> None:
        self.expect = expect
        self.actual = actual
        super().__init__(msg if msg is not None else f"{expect}{actual}")


class TypeInfoTuple(tuple):
    """The input arrays of a function, seen through ``shape``, ``dtype``, ``ndim`` and ``size``."""

    names: tuple[str, ...] = ()

    def size(self) -> int:  # type: ignore[override]
        """Number of inputs (Chainer's ``in_types.size()``)."""
        return len(self)


def argname(in_types: TypeInfoTuple, names: tuple[str, ...]) -> None:
    """Name the inputs for error messages (Chainer compatible; names are used by ``expect_*``)."""
    in_types.names = tuple(names)


def expect(*conditions: Any) -> None:
    """Raise :class:`InvalidType` unless every condition is true (Chainer's ``expect``)."""
    for i, cond in enumerate(conditions):
        if not bool(cond):
            raise InvalidType(f"Expect: condition #{i} of {len(conditions)}", " is False")


def eval(x: Any) -> Any:  # noqa: A001 (Chainer's public name)
    """Return ``x``: types here are concrete values already (Chainer's ``type_check.eval``)."""
    return x


def prod(xs: Any) -> int:
    """Product of the integers in ``xs``."""
    out = 1
    for x in xs:
        out *= int(x)
    return out


def _fail(fname: str, text: str) -> None:
    raise InvalidType(f"{fname}: {text}")


def expect_n_inputs(fname: str, in_types: tuple, n: int | tuple[int, int]) -> None:
    """Check the number of inputs: ``n`` exactly, or ``(lo, hi)`` inclusive."""
    lo, hi = (n, n) if isinstance(n, int) else n
    if not lo <= len(in_types) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        _fail(fname, f"expected {want} inputs, got {len(in_types)}")


def expect_ndim(fname: str, name: str, x: Any, ndim: int, *, at_least: bool = False) -> None:
    """Check ``x.ndim == ndim`` (or ``>=`` when ``at_least``)."""
    ok = x.ndim >= ndim if at_least else x.ndim == ndim
    if not ok:
        rel = ">= " if at_least else ""
        _fail(fname, f"{name}.ndim must be {rel}{ndim}, got {x.ndim} (shape {tuple(x.shape)})")


def expect_float(fname: str, name: str, x: Any) -> None:
    """Check that ``x`` holds floating-point numbers."""
    if x.dtype.kind != "f":
        _fail(fname, f"{name} must be a float array (float16/32/64), got {x.dtype}")


def expect_kind(fname: str, name: str, x: Any, kinds: str) -> None:
    """Check ``x.dtype.kind`` is one of ``kinds`` (``'i'`` signed int, ``'f'`` float, ...)."""
    if x.dtype.kind not in kinds:
        names = {"i": "signed integer", "u": "unsigned integer", "f": "float", "b": "bool"}
        want = " or ".join(names.get(k, k) for k in kinds)
        _fail(fname, f"{name} must be a {want} array, got {x.dtype}")


def expect_same_dtype(fname: str, names: tuple[str, ...], xs: tuple) -> None:
    """Check that all ``xs`` share one dtype."""
    first = xs[0].dtype
    for n, x in zip(names[1:], xs[1:], strict=True):
        if x.dtype != first:
            _fail(fname, f"{n}.dtype ({x.dtype}) != {names[0]}.dtype ({first})")


def expect_equal(fname: str, lhs_name: str, lhs: Any, rhs_name: str, rhs: Any) -> None:
    """Check ``lhs == rhs``; the message shows both sides with their values."""
    if lhs != rhs:
        _fail(fname, f"{lhs_name} ({lhs}) != {rhs_name} ({rhs})")


def expect_shape(fname: str, name: str, x: Any, shape: tuple) -> None:
    """Check ``x.shape == shape``."""
    if tuple(x.shape) != tuple(shape):
        _fail(fname, f"{name}.shape must be {tuple(shape)}, got {tuple(x.shape)}")


def expect_dtype(fname: str, name: str, x: Any, dtype: Any) -> None:
    """Check ``x.dtype == dtype``."""
    if x.dtype != numpy.dtype(dtype):
        _fail(fname, f"{name}.dtype must be {numpy.dtype(dtype)}, got {x.dtype}")
