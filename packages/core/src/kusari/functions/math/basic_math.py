"""Arithmetic on Variables: the nodes behind ``+ - * / // ** @``, unary ``-`` and ``abs``.

Python and NumPy scalars are cast to the Variable's dtype, so ``x * 2.0`` keeps float32 float32
(a float scalar with an integer Variable is left alone: ``x_int * 2.5`` follows NumPy's promotion).
Array operands are cast to the Variable's dtype when NumPy's ``same_kind`` rule allows it (as
Chainer does); two Variables must share a dtype. Operands broadcast like NumPy; their gradients are
summed back to each operand's shape.
:func:`install_variable_arithmetics` puts these operators on :class:`~kusari.Variable`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.math.exponential import log
from kusari.functions.math.sum_to import sum_to
from kusari.utils import force_array, type_check
from kusari.variable import Variable


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (numbers.Number, numpy.generic))


def _const(x: Variable, value: Any) -> Any:
    """Cast a scalar operand to the dtype of ``x``, unless that would truncate it.

    Any scalar takes a float Variable's dtype; on integer or bool data only scalars of the same
    kind are cast (``x_int * 2.5`` stays a float product, as in NumPy).
    """
    dtype = x._data.dtype
    if dtype.kind == "f" or numpy.result_type(value).kind == dtype.kind or (
        dtype.kind in "iu" and isinstance(value, (bool, numpy.bool_))
    ):
        return dtype.type(value)
    return value


def _rhs(x: Variable, value: Any) -> Any:
    """Return ``value`` as something ``apply`` takes, with a clear error for other types.

    A constant array is cast to the dtype of ``x`` when the cast stays within its kind (float to
    float, int to float, ...), so ``x_float32 * mask_float64`` stays float32 like ``x`` and its
    gradient keeps ``x``'s dtype.
    """
    if isinstance(value, Variable):
        return value
    if hasattr(value, "__array_interface__") or type(value).__module__.startswith("cupy"):
        dtype = x._data.dtype
        if value.dtype != dtype and numpy.can_cast(value.dtype, dtype, "same_kind"):
            return value.astype(dtype)
        return value
    raise TypeError(
        f"Variable arithmetic: the other operand must be a Variable, an array or a scalar, "
        f"got {type(value).__name__}"
    )


def _reduce(g: Variable | None, shape: tuple[int, ...]) -> Variable | None:
    if g is None or g.shape == shape:
        return g
    return sum_to(g, shape)


def _check_broadcast(fname: str, lhs: Any, rhs: Any) -> None:
    try:
        numpy.broadcast_shapes(lhs.shape, rhs.shape)
    except ValueError:
        raise type_check.InvalidType(
            f"{fname}: lhs.shape {tuple(lhs.shape)} and rhs.shape {tuple(rhs.shape)} do not "
            "broadcast together"
        ) from None


class _Binary(FunctionNode):
    """A node with two array operands of one dtype and broadcastable shapes."""

    _fname = ""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two inputs of one dtype whose shapes broadcast together."""
        type_check.expect_n_inputs(self._fname, in_types, 2)
        lhs, rhs = in_types
        if lhs.dtype != rhs.dtype:
            raise type_check.InvalidType(
                f"{self._fname}: lhs.dtype ({lhs.dtype}) != rhs.dtype ({rhs.dtype}); "
                "cast one operand, e.g. with F.cast"
            )
        if lhs.shape != rhs.shape:
            _check_broadcast(self._fname, lhs, rhs)


class Neg(FunctionNode):
    """``-x``."""

    def forward(self, inputs: tuple) -> tuple:
        """Negate."""
        return force_array(-inputs[0]),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``-gy``."""
        return -gy[0],


class Absolute(FunctionNode):
    """``abs(x)``; the gradient at 0 is 0."""

    def forward(self, inputs: tuple) -> tuple:
        """Absolute value."""
        self.retain_inputs((0,))
        return force_array(abs(inputs[0])),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``sign(x) * gy``."""
        x = self.get_retained_inputs()[0]._data
        return gy[0] * backend.get_array_module(x).sign(x),


class Add(_Binary):
    """``x0 + x1`` with broadcasting."""

    _fname = "add"

    def forward(self, inputs: tuple) -> tuple:
        """Add."""
        x0, x1 = inputs
        self._shapes = (x0.shape, x1.shape)
        return force_array(x0 + x1),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """The gradient, summed to each operand's shape."""
        g = gy[0]
        return tuple(_reduce(g, self._shapes[i]) for i in indexes)


class AddConstant(FunctionNode):
    """``x + c`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Add the constant."""
        return force_array(inputs[0] + self.value),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """Pass the gradient through."""
        return gy[0],


class Sub(_Binary):
    """``x0 - x1`` with broadcasting."""

    _fname = "sub"

    def forward(self, inputs: tuple) -> tuple:
        """Subtract."""
        x0, x1 = inputs
        self._shapes = (x0.shape, x1.shape)
        return force_array(x0 - x1),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``gy`` and ``-gy``, summed to each operand's shape."""
        g = gy[0]
        return tuple(_reduce(g if i == 0 else -g, self._shapes[i]) for i in indexes)


class SubFromConstant(FunctionNode):
    """``c - x`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Subtract from the constant."""
        return force_array(self.value - inputs[0]),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``-gy``."""
        return -gy[0],


class Mul(_Binary):
    """``x0 * x1`` with broadcasting."""

    _fname = "mul"

    def forward(self, inputs: tuple) -> tuple:
        """Multiply."""
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        return force_array(x0 * x1),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``gy * x1`` and ``gy * x0``, summed to each operand's shape."""
        x0, x1 = self.get_retained_inputs()
        g = gy[0]
        out = []
        for i in indexes:
            other = x1 if i == 0 else x0
            out.append(_reduce(g * other, (x0, x1)[i].shape))
        return tuple(out)


class MulConstant(FunctionNode):
    """``x * c`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Multiply by the constant."""
        return force_array(inputs[0] * self.value),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``gy * c``."""
        return gy[0] * self.value,


class Div(_Binary):
    """``x0 / x1`` with broadcasting."""

    _fname = "div"

    def forward(self, inputs: tuple) -> tuple:
        """Divide."""
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        return force_array(x0 / x1),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``gy / x1`` and ``-gy * x0 / x1**2``, summed to each operand's shape."""
        x0, x1 = self.get_retained_inputs()
        gx0 = gy[0] / x1
        out = []
        for i in indexes:
            g = gx0 if i == 0 else -gx0 * x0 / x1
            out.append(_reduce(g, (x0, x1)[i].shape))
        return tuple(out)


class DivFromConstant(FunctionNode):
    """``c / x`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Divide the constant."""
        self.retain_inputs((0,))
        return force_array(self.value / inputs[0]),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``-c * gy / x**2``."""
        x, = self.get_retained_inputs()
        return -self.value * gy[0] / (x * x),


class FloorDiv(FunctionNode):
    """``x0 // x1``: piecewise constant, so no gradient flows (as in Chainer).

    The operands may differ in dtype (NumPy promotes them): no gradient can get the wrong dtype.
    """

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two inputs whose shapes broadcast together."""
        type_check.expect_n_inputs("floordiv", in_types, 2)
        _check_broadcast("floordiv", *in_types)

    def forward(self, inputs: tuple) -> tuple:
        """Floor-divide."""
        return force_array(inputs[0] // inputs[1]),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """No gradient."""
        return (None,) * len(indexes)


class PowVarVar(_Binary):
    """``x0 ** x1`` for two Variables."""

    _fname = "pow"

    def forward(self, inputs: tuple) -> tuple:
        """Raise to the power."""
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        return force_array(x0**x1),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``x1 * x0**(x1-1) * gy`` and ``log(x0) * x0**x1 * gy``."""
        x0, x1 = self.get_retained_inputs()
        g = gy[0]
        out = []
        for i in indexes:
            if i == 0:
                d = x1 * x0 ** (x1 - 1) * g
            else:
                d = log(x0) * x0**x1 * g
            out.append(_reduce(d, (x0, x1)[i].shape))
        return tuple(out)


class PowVarConst(FunctionNode):
    """``x ** c`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Raise to the constant power."""
        self.retain_inputs((0,))
        return force_array(inputs[0] ** self.value),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``c * x**(c-1) * gy``."""
        x, = self.get_retained_inputs()
        c = self.value
        return gy[0] * (c * x ** (c - 1)),


class PowConstVar(FunctionNode):
    """``c ** x`` for a scalar ``c``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Raise the constant to the power."""
        self.retain_outputs((0,))
        return force_array(self.value ** inputs[0]),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``log(c) * c**x * gy``."""
        y, = self.get_retained_outputs()
        return gy[0] * y * y.dtype.type(numpy.log(self.value)),


def _binary(var_node: type, const_node: type | None, rconst_node: type | None) -> tuple:
    """Make the ``__op__`` and ``__rop__`` methods for one operator."""

    def op(self: Variable, other: Any) -> Variable:
        if _is_scalar(other) and const_node is not None:
            return const_node(_const(self, other)).apply((self,))[0]
        if _is_scalar(other):
            other = self.xp.asarray(_const(self, other))
        return var_node().apply((self, _rhs(self, other)))[0]

    def rop(self: Variable, other: Any) -> Variable:
        if _is_scalar(other) and rconst_node is not None:
            return rconst_node(_const(self, other)).apply((self,))[0]
        if _is_scalar(other):
            other = self.xp.asarray(_const(self, other))
        return var_node().apply((_rhs(self, other), self))[0]

    return op, rop


def _neg(self: Variable) -> Variable:
    return Neg().apply((self,))[0]


def _abs(self: Variable) -> Variable:
    return Absolute().apply((self,))[0]


def _pos(self: Variable) -> Variable:
    return self


def _matmul(self: Variable, other: Any) -> Variable:
    from kusari.functions.math.matmul import matmul

    return matmul(self, _rhs(self, other))


def _rmatmul(self: Variable, other: Any) -> Variable:
    from kusari.functions.math.matmul import matmul

    return matmul(_rhs(self, other), self)


def install_variable_arithmetics() -> None:
    """Put ``+ - * / // ** @``, unary ``-``, ``+`` and ``abs`` on :class:`~kusari.Variable`."""
    v = Variable
    v.__add__, v.__radd__ = _binary(Add, AddConstant, AddConstant)
    v.__sub__, v.__rsub__ = _binary(Sub, _sub_const, SubFromConstant)
    v.__mul__, v.__rmul__ = _binary(Mul, MulConstant, MulConstant)
    v.__truediv__, v.__rtruediv__ = _binary(Div, _div_const, DivFromConstant)
    v.__floordiv__, v.__rfloordiv__ = _binary(FloorDiv, None, None)
    v.__pow__, v.__rpow__ = _binary(PowVarVar, PowVarConst, PowConstVar)
    v.__neg__ = _neg
    v.__pos__ = _pos
    v.__abs__ = _abs
    v.__matmul__ = _matmul
    v.__rmatmul__ = _rmatmul


def _sub_const(value: Any) -> FunctionNode:
    return AddConstant(-value)


def _div_const(value: Any) -> FunctionNode:
    return MulConstant(1 / value) if not isinstance(value, numpy.integer) else _DivByConstant(value)


class _DivByConstant(FunctionNode):
    """``x / c`` for an integer ``c`` (keeps NumPy's true-division result dtype)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def forward(self, inputs: tuple) -> tuple:
        """Divide by the constant."""
        return force_array(inputs[0] / self.value),

    def backward(self, indexes: tuple, gy: tuple) -> tuple:
        """``gy / c``."""
        return gy[0] / self.value,
