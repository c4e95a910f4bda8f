import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "a1", "a2"), [((2, 3), 0, 1), ((2, 3, 4), 0, 2), ((2, 3, 4), -1, 1), ((3, 2), 1, 1)]
)
def test_swapaxes(dtype, shape, a1, a2):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda v: F.swapaxes(v, a1, a2), (x,), lambda a: numpy.swapaxes(a, a1, a2)
    )


def test_swapaxes_axis_out_of_range():
    with pytest.raises(InvalidType, match=r"swapaxes: axis2 \(3\) is out of range for x.ndim 2 "
                       r"\(shape \(2, 3\)\)"):
        F.swapaxes(numpy.zeros((2, 3), "f"), 0, 3)
