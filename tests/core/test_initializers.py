import math

import numpy
import pytest

from kusari import initializers
from kusari.configuration import using_config
from kusari.initializer import Initializer, get_fans

# (out, in) of a linear weight and (C_out, C_in, kH, kW) of a convolution kernel
SHAPES = [(300, 200), (64, 16, 3, 3)]


def _fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((3, 4), (4, 3)), ((8, 3, 5, 5), (75, 200)), ((2, 6, 4), (24, 8))],
)
def test_get_fans(shape, expected):
    assert get_fans(shape) == expected


@pytest.mark.parametrize("shape", [(5,), (), [3, 4]])
def test_get_fans_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="get_fans"):
        get_fans(shape)


NORMALS = [
    (initializers.Normal(), lambda fi, fo: 0.05),
    (initializers.Normal(scale=0.3), lambda fi, fo: 0.3),
    (initializers.LeCunNormal(), lambda fi, fo: math.sqrt(1 / fi)),
    (initializers.LeCunNormal(scale=2.0), lambda fi, fo: 2 * math.sqrt(1 / fi)),
    (initializers.GlorotNormal(), lambda fi, fo: math.sqrt(2 / (fi + fo))),
    (initializers.GlorotNormal(scale=0.5), lambda fi, fo: 0.5 * math.sqrt(2 / (fi + fo))),
    (initializers.HeNormal(), lambda fi, fo: math.sqrt(2 / fi)),
    (initializers.HeNormal(fan_option="fan_out"), lambda fi, fo: math.sqrt(2 / fo)),
    (initializers.HeNormal(scale=3.0), lambda fi, fo: 3 * math.sqrt(2 / fi)),
]

UNIFORMS = [
    (initializers.Uniform(), lambda fi, fo: 0.05),
    (initializers.Uniform(scale=0.7), lambda fi, fo: 0.7),
    (initializers.LeCunUniform(), lambda fi, fo: math.sqrt(3 / fi)),
    (initializers.LeCunUniform(scale=2.0), lambda fi, fo: 2 * math.sqrt(3 / fi)),
    (initializers.GlorotUniform(), lambda fi, fo: math.sqrt(6 / (fi + fo))),
    (initializers.GlorotUniform(scale=0.5), lambda fi, fo: 0.5 * math.sqrt(6 / (fi + fo))),
    (initializers.HeUniform(), lambda fi, fo: math.sqrt(6 / fi)),
    (initializers.HeUniform(scale=3.0), lambda fi, fo: 3 * math.sqrt(6 / fi)),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("init", "std_of_fans"), NORMALS)
def test_normal_statistics_and_draws(init, std_of_fans, shape):
    std = std_of_fans(*_fans(shape))
    numpy.random.seed(0)
    w = initializers.generate_array(init, shape, numpy, dtype=numpy.float64)
    # The draws are numpy.random.normal's, so a seed reproduces Chainer's weights exactly.
    expected = numpy.random.RandomState(0).normal(0.0, std, size=shape)
    numpy.testing.assert_allclose(w, expected, rtol=1e-12)
    assert abs(w.mean()) < 4 * std / math.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.05)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("init", "bound_of_fans"), UNIFORMS)
def test_uniform_statistics_and_draws(init, bound_of_fans, shape):
    s = bound_of_fans(*_fans(shape))
    numpy.random.seed(1)
    w = initializers.generate_array(init, shape, numpy, dtype=numpy.float64)
    expected = numpy.random.RandomState(1).uniform(-s, s, size=shape)
    numpy.testing.assert_allclose(w, expected, rtol=1e-12)
    assert w.min() >= -s and w.max() <= s
    assert w.min() == pytest.approx(-s, rel=0.01) and w.max() == pytest.approx(s, rel=0.01)
    assert w.std() == pytest.approx(s / math.sqrt(3), rel=0.05)


@pytest.mark.parametrize("cls", [initializers.Normal, initializers.GlorotUniform])
def test_rng_argument_is_used(cls):
    a = numpy.empty((20, 30), numpy.float32)
    b = numpy.empty((20, 30), numpy.float32)
    cls(rng=numpy.random.RandomState(7))(a)
    numpy.random.seed(123)
    cls(rng=numpy.random.RandomState(7))(b)
    numpy.testing.assert_array_equal(a, b)


def test_he_normal_rejects_bad_fan_option():
    with pytest.raises(ValueError, match="fan_option"):
        initializers.HeNormal(fan_option="fan_avg")


def test_scaled_initializers_need_two_axes():
    with pytest.raises(ValueError, match="get_fans"):
        initializers.GlorotNormal()(numpy.empty(5, numpy.float32))


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
@pytest.mark.parametrize(
    "init",
    [
        initializers.Normal(),
        initializers.HeNormal(),
        initializers.Uniform(),
        initializers.LeCunUniform(),
        initializers.Orthogonal(),
        initializers.Constant(2.5),
        initializers.Zero(),
        initializers.One(),
        initializers.Identity(),
    ],
    ids=lambda init: type(init).__name__,
)
def test_dtypes(init, dtype):
    w = initializers.generate_array(init, (6, 6), numpy, dtype=dtype)
    assert w.dtype == dtype
    assert numpy.isfinite(w).all()
    # The same draws/values as the float64 version, rounded to the dtype.
    numpy.random.seed(3)
    w = initializers.generate_array(init, (6, 6), numpy, dtype=dtype)
    numpy.random.seed(3)
    w64 = initializers.generate_array(init, (6, 6), numpy, dtype=numpy.float64)
    numpy.testing.assert_array_equal(w, w64.astype(dtype))


def test_default_dtype_follows_config():
    assert initializers.generate_array(initializers.Normal(), (2, 3), numpy).dtype == numpy.float32
    with using_config("dtype", numpy.dtype(numpy.float64)):
        w = initializers.generate_array(initializers.Normal(), (2, 3), numpy)
    assert w.dtype == numpy.float64
    w = initializers.generate_array(initializers.Zero(dtype=numpy.float16), (2, 3), numpy)
    assert w.dtype == numpy.float16


def test_generate_array_accepts_int_shape_and_device():
    w = initializers.generate_array(initializers.One(), 4, numpy, device="@numpy")
    numpy.testing.assert_array_equal(w, numpy.ones(4, numpy.float32))


def test_generate_array_dtype_conflict():
    with pytest.raises(ValueError, match="generate_array: dtype float64"):
        initializers.generate_array(
            initializers.Normal(dtype=numpy.float32), (2, 2), numpy, dtype=numpy.float64
        )


def test_generate_array_device_of_another_xp():
    class FakeXp:
        __name__ = "fakexp"

    with pytest.raises(ValueError, match="does not hold fakexp arrays"):
        initializers.generate_array(initializers.Zero(), (2,), FakeXp(), device="@numpy")


@pytest.mark.parametrize(
    "init",
    [
        initializers.Normal(),
        initializers.LeCunNormal(),
        initializers.HeUniform(),
        initializers.Uniform(),
        initializers.Orthogonal(),
    ],
    ids=lambda init: type(init).__name__,
)
def test_random_initializers_reject_integer_arrays(init):
    name = type(init).__name__
    with pytest.raises(
        TypeError, match=f"{name}: expected a floating-point array, got dtype int32"
    ):
        init(numpy.zeros((3, 4), numpy.int32))


def test_initializer_dtype_mismatch():
    with pytest.raises(TypeError, match=r"Normal: expected an array of dtype float16.*got float32"):
        initializers.Normal(dtype=numpy.float16)(numpy.empty((2, 2), numpy.float32))
    with pytest.raises(TypeError, match="Constant: expected an array of dtype float64"):
        initializers.Constant(1, dtype=numpy.float64)(numpy.empty(2, numpy.float32))


def test_constant_scalar_and_broadcast_array():
    w = numpy.empty((2, 3), numpy.float32)
    initializers.Constant(1.5)(w)
    numpy.testing.assert_array_equal(w, numpy.full((2, 3), 1.5, numpy.float32))
    initializers.Constant(numpy.array([1.0, 2.0, 3.0]))(w)
    numpy.testing.assert_array_equal(w, [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError):
        initializers.Constant(numpy.array([1.0, 2.0]))(w)


def test_constant_fills_integer_arrays():
    w = numpy.empty(4, numpy.int32)
    initializers.Constant(7)(w)
    numpy.testing.assert_array_equal(w, [7, 7, 7, 7])
    initializers.Zero()(w)
    numpy.testing.assert_array_equal(w, [0, 0, 0, 0])


def test_constant_rejects_non_scalar_fill_value():
    with pytest.raises(ValueError, match="Constant: fill_value must be a scalar"):
        initializers.Constant([1, 2])


def test_zero_one_nan():
    w = numpy.empty((2, 2), numpy.float32)
    initializers.Zero()(w)
    assert (w == 0).all()
    initializers.One()(w)
    assert (w == 1).all()
    initializers.NaN()(w)
    assert numpy.isnan(w).all()


def test_identity():
    w = numpy.full((3, 3), 9.0, numpy.float32)
    initializers.Identity(scale=2.0)(w)
    numpy.testing.assert_array_equal(w, 2 * numpy.eye(3))
    with pytest.raises(ValueError, match=r"Identity: expected a square matrix.*\(2, 3\)"):
        initializers.Identity()(numpy.empty((2, 3), numpy.float32))


def _check_orthogonal(w, scale):
    rows = w.shape[0]
    flat = w.reshape(rows, -1).astype(numpy.float64)
    if rows <= flat.shape[1]:
        gram = flat @ flat.T
    else:
        gram = flat.T @ flat
    numpy.testing.assert_allclose(gram, scale**2 * numpy.eye(len(gram)), atol=1e-5)


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3, 3), (40, 2, 2, 2), (6, 3, 2)])
@pytest.mark.parametrize("scale", [1.1, 0.5])
def test_orthogonal(shape, scale):
    w = initializers.generate_array(initializers.Orthogonal(scale=scale), shape, numpy)
    assert w.shape == shape
    _check_orthogonal(w, scale)


def test_orthogonal_default_scale_and_reproducibility():
    numpy.random.seed(0)
    a = initializers.generate_array(initializers.Orthogonal(), (3, 8), numpy)
    numpy.random.seed(0)
    b = initializers.generate_array(initializers.Orthogonal(), (3, 8), numpy)
    numpy.testing.assert_array_equal(a, b)
    _check_orthogonal(a, 1.1)


def test_orthogonal_r_has_nonnegative_diagonal():
    # Q's sign convention: Q.T @ A (i.e. R) has a non-negative diagonal.
    numpy.random.seed(5)
    w = initializers.generate_array(
        initializers.Orthogonal(scale=1.0), (4, 6), numpy, numpy.float64
    )
    numpy.random.seed(5)
    a = numpy.random.normal(size=(4, 6))
    assert (numpy.diag(w @ a.T) >= 0).all()


@pytest.mark.parametrize(
    ("mode", "shape"),
    [("projection", (7, 3)), ("embedding", (3, 7)), ("basis", (3, 7)), ("basis", (7, 3))],
)
def test_orthogonal_modes_reject_shapes(mode, shape):
    with pytest.raises(ValueError, match=f"Orthogonal: mode '{mode}' cannot fill shape"):
        initializers.generate_array(initializers.Orthogonal(mode=mode), shape, numpy)


@pytest.mark.parametrize(
    ("mode", "shape"), [("projection", (3, 7)), ("embedding", (7, 3)), ("basis", (4, 2, 2))]
)
def test_orthogonal_modes_accept_shapes(mode, shape):
    w = initializers.generate_array(initializers.Orthogonal(mode=mode), shape, numpy)
    _check_orthogonal(w, 1.1)


def test_orthogonal_bad_mode_zero_dim_and_empty():
    with pytest.raises(ValueError, match="Orthogonal: mode must be one of"):
        initializers.Orthogonal(mode="square")
    w = numpy.empty((), numpy.float32)
    initializers.Orthogonal(scale=2.0)(w)
    assert abs(float(w)) == 2.0
    with pytest.raises(ValueError, match="empty"):
        initializers.Orthogonal()(numpy.empty((0, 3), numpy.float32))


def test_get_initializer():
    assert isinstance(initializers._get_initializer(None), initializers.LeCunNormal)
    const = initializers._get_initializer(2.0)
    assert isinstance(const, initializers.Constant) and const.fill_value == 2.0
    array = numpy.arange(3.0)
    assert initializers._get_initializer(array).fill_value is array
    he = initializers.HeNormal()
    assert initializers._get_initializer(he) is he

    def fill_with_sevens(a):
        a[...] = 7

    assert initializers._get_initializer(fill_with_sevens) is fill_with_sevens
    w = initializers.generate_array(fill_with_sevens, (2,), numpy)
    numpy.testing.assert_array_equal(w, [7, 7])
    with pytest.raises(TypeError, match="initializer: expected an Initializer"):
        initializers._get_initializer([1, 2])


def test_initializer_base():
    init = Initializer(numpy.float16)
    assert init.dtype == numpy.float16
    with pytest.raises(NotImplementedError):
        init(numpy.empty(2, numpy.float16))


@pytest.mark.gpu
@pytest.mark.parametrize(
    "init",
    [
        initializers.Normal(0.3),
        initializers.GlorotUniform(),
        initializers.Orthogonal(),
        initializers.Constant(numpy.arange(3.0)),
        initializers.Identity(),
    ],
    ids=lambda init: type(init).__name__,
)
@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
def test_cupy(init, dtype):
    import cupy

    w = initializers.generate_array(init, (3, 3), cupy, dtype=dtype, device="@cupy:0")
    assert isinstance(w, cupy.ndarray) and w.dtype == dtype and w.device.id == 0
    assert bool(cupy.isfinite(w).all())
    if isinstance(init, initializers.Orthogonal):
        _check_orthogonal(cupy.asnumpy(w), 1.1)
    if isinstance(init, initializers.Constant):
        numpy.testing.assert_array_equal(cupy.asnumpy(w), numpy.tile(numpy.arange(3.0), (3, 1)))
