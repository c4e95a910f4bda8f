import numpy
import pytest

from kusari import gradient_check
from kusari.utils.type_check import InvalidType
from kusari_rl.functions import lower_triangular_matrix


def _reference(diag, non_diag):
    batch_size, n = diag.shape
    y = numpy.zeros((batch_size, n, n), diag.dtype)
    rows, cols = numpy.tril_indices(n, -1)
    for b in range(batch_size):
        y[b, rows, cols] = non_diag[b]
        y[b, numpy.arange(n), numpy.arange(n)] = diag[b]
    return y


def _inputs(batch_size=2, n=3, dtype=numpy.float64):
    rng = numpy.random.RandomState(0)
    diag = rng.uniform(-1, 1, (batch_size, n)).astype(dtype)
    non_diag = rng.uniform(-1, 1, (batch_size, n * (n - 1) // 2)).astype(dtype)
    return diag, non_diag


@pytest.mark.parametrize("n", [1, 2, 4])
def test_forward_matches_numpy(n):
    diag, non_diag = _inputs(n=n, dtype=numpy.float32)
    y = lower_triangular_matrix(diag, non_diag)
    assert y.shape == (2, n, n) and y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y.array, _reference(diag, non_diag))


def test_row_major_order_of_the_lower_entries():
    y = lower_triangular_matrix(numpy.array([[1, 2, 3]], "f"), numpy.array([[4, 5, 6]], "f"))
    numpy.testing.assert_array_equal(y.array[0], [[1, 0, 0], [4, 2, 0], [5, 6, 3]])


def test_backward_and_double_backward():
    diag, non_diag = _inputs()
    rng = numpy.random.RandomState(1)
    gy = rng.uniform(-1, 1, (2, 3, 3))
    gradient_check.check_backward(lower_triangular_matrix, (diag, non_diag), gy)
    ggx = (rng.uniform(-1, 1, diag.shape), rng.uniform(-1, 1, non_diag.shape))
    gradient_check.check_double_backward(lower_triangular_matrix, (diag, non_diag), gy, ggx)


def test_gradient_through_a_product():
    diag, non_diag = _inputs()

    def f(d, nd):
        tril = lower_triangular_matrix(d, nd)
        return tril @ tril.transpose((0, 2, 1))

    gradient_check.check_backward(f, (diag, non_diag), numpy.ones((2, 3, 3)))


def test_bad_inputs():
    diag, non_diag = _inputs(n=4, dtype=numpy.float32)
    with pytest.raises(
        InvalidType,
        match=r"lower_triangular_matrix: non_diag.shape\[1\] \(2\) != n \(n - 1\) / 2 with "
        r"n = diag.shape\[1\] = 4 \(6\)",
    ):
        lower_triangular_matrix(diag, non_diag[:, :2])
    with pytest.raises(InvalidType, match="lower_triangular_matrix"):
        lower_triangular_matrix(diag[0], non_diag[0])
    with pytest.raises(InvalidType, match="lower_triangular_matrix"):
        lower_triangular_matrix(diag, non_diag.astype(numpy.float64))
    with pytest.raises(InvalidType, match="lower_triangular_matrix"):
        lower_triangular_matrix(diag[:1], non_diag)
