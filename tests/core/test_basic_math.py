import operator

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

_BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
_SHAPES = [
    ((3, 4), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1), (1, 3)),
    ((2, 3), ()),
    ((0, 3), (3,)),
]


def _uniform(shape, dtype, rng, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape).astype(dtype)


def _away_from_zero(shape, dtype, rng):
    """Values in [-1.5, -0.5] U [0.5, 1.5]: safe divisors."""
    mag = rng.uniform(0.5, 1.5, shape)
    sign = numpy.where(rng.uniform(size=shape) > 0.5, 1.0, -1.0)
    return (mag * sign).astype(dtype)


def _operands(name, shapes, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    if name == "pow":
        return _uniform(shapes[0], dtype, rng, 0.5, 2.0), _uniform(shapes[1], dtype, rng)
    if name == "div":
        return _uniform(shapes[0], dtype, rng), _away_from_zero(shapes[1], dtype, rng)
    return _uniform(shapes[0], dtype, rng), _uniform(shapes[1], dtype, rng)


def _wrap_0d(shape, func):
    """gradient_check cannot perturb 0-d arrays: feed a (1,) array and reshape it inside."""
    return (1,) if shape == () else shape, (lambda v: F.reshape(v, ())) if shape == () else func


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", _SHAPES)
@pytest.mark.parametrize("name", sorted(_BINARY))
def test_binary_variable_variable(dtype, shapes, name):
    op = _BINARY[name]
    rhs_shape, as_rhs = _wrap_0d(shapes[1], lambda v: v)
    a, b = _operands(name, (shapes[0], rhs_shape), dtype)
    b_ref = b.reshape(shapes[1])
    tol = {"atol": 5e-2, "rtol": 5e-2} if dtype == numpy.float16 else None
    check_function(
        lambda x, y: op(x, as_rhs(y)), (a, b), lambda x, y: op(x, b_ref),
        backward_tol=tol, double_backward_tol=tol,
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", sorted(_BINARY))
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_variable_and_array(dtype, name, side):
    op = _BINARY[name]
    a, b = _operands(name, ((2, 3), (3,)), dtype) if side == "left" else _operands(
        name, ((2, 1), (2, 3)), dtype
    )
    if side == "left":
        check_function(lambda x: op(x, b), (a,), lambda x: op(x, b))
    else:
        check_function(lambda y: op(a, y), (b,), lambda y: op(a, y))


_SCALAR_CASES = [
    ("x + 2.0", lambda x: x + 2.0),
    ("2.0 + x", lambda x: 2.0 + x),
    ("x - 2", lambda x: x - 2),
    ("2.0 - x", lambda x: 2.0 - x),
    ("x * 2.0", lambda x: x * 2.0),
    ("2 * x", lambda x: 2 * x),
    ("x / 4.0", lambda x: x / 4.0),
    ("x / 3", lambda x: x / 3),
    ("3.0 / x", lambda x: 3.0 / x),
    ("x ** 2", lambda x: x ** 2),
    ("x ** 3.0", lambda x: x ** 3.0),
    ("x ** -1.5", lambda x: abs(x) ** -1.5),
    ("2.0 ** x", lambda x: 2.0 ** x),
    ("0.5 ** x", lambda x: 0.5 ** x),
    ("x * np.float64(2)", lambda x: x * numpy.float64(2)),
    ("np.float64(2) * x", lambda x: numpy.float64(2) * x),
    ("np.float16(3) - x", lambda x: numpy.float16(3) - x),
    ("x + np.int64(1)", lambda x: x + numpy.int64(1)),
    ("x * True", lambda x: x * True),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("label", "func"), _SCALAR_CASES, ids=[c[0] for c in _SCALAR_CASES])
def test_scalar_operand(dtype, label, func):
    x = _away_from_zero((3, 4), dtype, numpy.random.default_rng(0))
    expected = func(x.astype(numpy.float64)).astype(dtype)
    tol = {"atol": 5e-2, "rtol": 5e-2} if dtype == numpy.float16 else None
    check_function(func, (x,), lambda a: expected, backward_tol=tol, double_backward_tol=tol)


@pytest.mark.parametrize(("label", "func"), _SCALAR_CASES, ids=[c[0] for c in _SCALAR_CASES])
def test_scalar_operand_keeps_float32(label, func):
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    y = func(x)
    assert y.dtype == numpy.float32
    y.grad = numpy.ones((2, 3), numpy.float32)
    y.backward()
    assert x.grad.dtype == numpy.float32


@pytest.mark.parametrize("name", sorted(_BINARY))
def test_float64_array_operand_keeps_float32(name):
    op = _BINARY[name]
    a, b = _operands(name, ((2, 3), (2, 3)), numpy.float32)
    x = kusari.Variable(a)
    const = b.astype(numpy.float64)
    for y in (op(x, const), op(const.__abs__() + 0.5, x) if name == "pow" else op(const, x)):
        assert y.dtype == numpy.float32
        gx, = kusari.grad([y], [x], [numpy.ones((2, 3), numpy.float32)])
        assert gx.dtype == numpy.float32


@pytest.mark.parametrize("name", sorted(_BINARY))
def test_variable_dtype_mismatch(name):
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    y = kusari.Variable(numpy.ones((2, 3), numpy.float64))
    with pytest.raises(InvalidType, match=rf"{name}: lhs.dtype \(float32\) != rhs.dtype "
                       r"\(float64\); cast one operand"):
        _BINARY[name](x, y)


@pytest.mark.parametrize("name", sorted(_BINARY) + ["floordiv"])
def test_shapes_do_not_broadcast(name):
    op = operator.floordiv if name == "floordiv" else _BINARY[name]
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    with pytest.raises(InvalidType, match=rf"{name}: lhs.shape \(2, 3\) and rhs.shape \(4,\) do "
                       "not broadcast together"):
        op(x, numpy.ones(4, numpy.float32))


@pytest.mark.parametrize("other", [[1.0, 2.0], "a", None])
def test_bad_operand_type(other):
    x = kusari.Variable(numpy.ones(2, numpy.float32))
    with pytest.raises(TypeError, match="Variable arithmetic: the other operand must be a "
                       "Variable, an array or a scalar"):
        x + other


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (5,), (0, 2)])
def test_neg(dtype, shape):
    x = _uniform(shape, dtype, numpy.random.default_rng(0))
    check_function(lambda v: -v, (x,), lambda a: -a)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (5,)])
def test_abs(dtype, shape):
    x = _away_from_zero(shape, dtype, numpy.random.default_rng(0))
    check_function(abs, (x,), numpy.abs)


def test_pos_returns_self():
    x = kusari.Variable(numpy.ones(2, numpy.float32))
    assert +x is x


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_floordiv(dtype):
    rng = numpy.random.default_rng(0)
    a = _uniform((3, 4), dtype, rng, -5, 5)
    b = _away_from_zero((3, 4), dtype, rng)
    x, y = kusari.Variable(a), kusari.Variable(b)
    for z, ref in (
        (x // y, a // b),
        (x // 2, a // dtype(2)),
        (x // 0.5, a // dtype(0.5)),
        (7 // y, dtype(7) // b),
        (x // b, a // b),
        (a // y, a // b),
    ):
        assert z.dtype == dtype
        numpy.testing.assert_array_equal(z.array, ref)
    gx, gy = kusari.grad([x // y], [x, y], [numpy.ones((3, 4), dtype)])
    assert gx is None
    assert gy is None


def test_int_variables():
    a = numpy.array([[1, 2, 3], [4, 5, 6]], numpy.int32)
    x = kusari.Variable(a)
    cases = [
        (x + 2, a + 2),
        (3 - x, 3 - a),
        (x * 2, a * 2),
        (x // 2, a // 2),
        (x ** 2, a ** 2),
        (2 ** x, 2 ** a),
        (-x, -a),
        (abs(-x), a),
        (x + numpy.arange(3), a + numpy.arange(3, dtype=numpy.int32)),
        (x * x, a * a),
    ]
    for y, ref in cases:
        assert y.dtype == numpy.int32
        numpy.testing.assert_array_equal(y.array, ref)


def test_int_variable_with_float_scalars_is_not_truncated():
    a = numpy.array([1, 2, 3], numpy.int32)
    x = kusari.Variable(a)
    numpy.testing.assert_allclose((x * 2.5).array, a * 2.5)
    numpy.testing.assert_allclose((x * numpy.float32(2.5)).array, a * 2.5)
    numpy.testing.assert_allclose((x + numpy.float64(0.5)).array, a + 0.5)
    numpy.testing.assert_allclose((2.5 ** x).array, 2.5 ** a)
    numpy.testing.assert_allclose((x / 2).array, a / 2)
    numpy.testing.assert_allclose((x ** 0.5).array, a ** 0.5)
    assert (x * 2.5).dtype.kind == "f"


def test_int_variable_with_float_array_is_refused():
    x = kusari.Variable(numpy.array([1, 2], numpy.int32))
    with pytest.raises(InvalidType, match=r"add: lhs.dtype \(int32\) != rhs.dtype \(float32\)"):
        x + numpy.ones(2, numpy.float32)


def test_array_on_the_left_uses_reflected_operators():
    a = numpy.array([1.0, 2.0], numpy.float32)
    x = kusari.Variable(numpy.array([3.0, 4.0], numpy.float32))
    for y, ref in ((a + x, a + x.array), (a - x, a - x.array), (a * x, a * x.array),
                   (a / x, a / x.array), (a ** x, a ** x.array), (a // x, a // x.array)):
        assert isinstance(y, kusari.Variable)
        numpy.testing.assert_allclose(y.array, ref, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_matmul_operator(dtype):
    rng = numpy.random.default_rng(0)
    a = _uniform((2, 3), dtype, rng)
    b = _uniform((3, 4), dtype, rng)
    check_function(lambda x, y: x @ y, (a, b), lambda x, y: x @ y)
    check_function(lambda x: x @ b, (a,), lambda x: x @ b)
    check_function(lambda y: a @ y, (b,), lambda y: a @ y)


def test_matmul_operator_scalar_refused():
    x = kusari.Variable(numpy.ones((2, 2), numpy.float32))
    with pytest.raises(TypeError, match="Variable arithmetic: the other operand must be"):
        x @ 2.0


def test_chain_of_operators_double_backward():
    rng = numpy.random.default_rng(0)
    a = _uniform((2, 3), numpy.float64, rng, 0.5, 1.5)
    b = _uniform((3,), numpy.float64, rng, 0.5, 1.5)
    check_function(
        lambda x, y: (x * y - y / x) ** 2 + 3.0 / (x + y) - abs(x - 2.0),
        (a, b),
        lambda x, y: (x * y - y / x) ** 2 + 3.0 / (x + y) - numpy.abs(x - 2.0),
    )
