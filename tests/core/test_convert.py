import numpy
import pytest

from kusari.backends import cuda
from kusari.dataset import concat_examples, to_device


def _arrays(shapes, dtype=numpy.float32, seed=0):
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, shape).astype(dtype) for shape in shapes]


def test_concat_arrays():
    xs = _arrays([(2, 3)] * 4)
    y = concat_examples(xs)
    assert y.shape == (4, 2, 3)
    assert y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y, numpy.stack(xs))


def test_concat_tuples():
    xs = _arrays([(3,)] * 5)
    batch = [(x, numpy.int32(i)) for i, x in enumerate(xs)]
    x, t = concat_examples(batch)
    numpy.testing.assert_array_equal(x, numpy.stack(xs))
    numpy.testing.assert_array_equal(t, numpy.arange(5, dtype=numpy.int32))
    assert t.dtype == numpy.int32


def test_concat_dicts():
    xs = _arrays([(2,)] * 3)
    batch = [{"x": x, "t": i} for i, x in enumerate(xs)]
    out = concat_examples(batch)
    assert set(out) == {"x", "t"}
    numpy.testing.assert_array_equal(out["x"], numpy.stack(xs))
    numpy.testing.assert_array_equal(out["t"], numpy.arange(3))


def test_concat_python_scalars():
    out = concat_examples([1.5, 2.5, 3.5])
    numpy.testing.assert_array_equal(out, numpy.array([1.5, 2.5, 3.5]))


def test_padding_arrays():
    xs = _arrays([(2, 3), (3, 1), (1, 2)])
    y = concat_examples(xs, padding=-1)
    expected = numpy.full((3, 3, 3), -1, dtype=numpy.float32)
    for i, x in enumerate(xs):
        expected[i, : x.shape[0], : x.shape[1]] = x
    numpy.testing.assert_array_equal(y, expected)


def test_padding_per_entry_tuple_and_dict():
    a, b = _arrays([(2,), (4,)])
    x, t = concat_examples([(a, numpy.array([1])), (b, numpy.array([2, 3]))], padding=(0, -1))
    numpy.testing.assert_array_equal(x, numpy.array([[a[0], a[1], 0, 0], b]))
    numpy.testing.assert_array_equal(t, numpy.array([[1, -1], [2, 3]]))

    out = concat_examples([{"x": a}, {"x": b}], padding={"x": 7})
    numpy.testing.assert_array_equal(out["x"], numpy.array([[a[0], a[1], 7, 7], b]))

    x, t = concat_examples([(a, numpy.array([1])), (b, numpy.array([2, 3]))], padding=5)
    numpy.testing.assert_array_equal(t, numpy.array([[1, 5], [2, 3]]))


def test_padding_keeps_first_dtype():
    y = concat_examples([numpy.array([1, 2], numpy.int32), numpy.array([3], numpy.int32)],
                        padding=0)
    assert y.dtype == numpy.int32
    numpy.testing.assert_array_equal(y, [[1, 2], [3, 0]])


def test_empty_batch():
    with pytest.raises(ValueError, match="concat_examples: batch is empty"):
        concat_examples([])


def test_shape_mismatch_without_padding():
    with pytest.raises(ValueError, match=r"different shapes .*padding"):
        concat_examples(_arrays([(2,), (3,)]))


def test_padding_ndim_mismatch():
    with pytest.raises(ValueError, match="different numbers of dimensions"):
        concat_examples(_arrays([(2,), (3, 1)]), padding=0)


@pytest.mark.parametrize("device", [-1, "@numpy", numpy])
def test_to_host(device):
    x = _arrays([(2, 2)])[0]
    y = concat_examples([x, x], device=device)
    assert isinstance(y, numpy.ndarray)
    numpy.testing.assert_array_equal(y, numpy.stack([x, x]))
    nested = to_device(device, {"a": (x, [x])})
    numpy.testing.assert_array_equal(nested["a"][1][0], x)


def test_to_device_none_is_identity():
    x = numpy.zeros(3)
    assert to_device(None, x) is x


def test_to_device_bad_spec():
    with pytest.raises(ValueError, match="get_device"):
        to_device("@tpu", numpy.zeros(1))


@pytest.mark.gpu
@pytest.mark.skipif(not cuda.available, reason="needs CuPy and a GPU")
def test_to_gpu_and_concat_on_gpu():
    cupy = cuda.cupy
    xs = _arrays([(2, 3), (1, 3)])
    x, t = concat_examples([(xs[0], 0), (xs[1], 1)], device=0, padding=0)
    assert isinstance(x, cupy.ndarray) and isinstance(t, cupy.ndarray)
    expected = numpy.zeros((2, 2, 3), numpy.float32)
    expected[0] = xs[0]
    expected[1, :1] = xs[1]
    numpy.testing.assert_array_equal(cupy.asnumpy(x), expected)
    on_gpu = [cupy.asarray(a) for a in _arrays([(2,)] * 3)]
    y = concat_examples(on_gpu, padding=None)
    assert isinstance(y, cupy.ndarray)
    back = concat_examples(on_gpu, device=-1)
    assert isinstance(back, numpy.ndarray)
    numpy.testing.assert_array_equal(back, cupy.asnumpy(y))
