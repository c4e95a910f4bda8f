"""Every optimizer updates 0-d parameters (e.g. SAC's log temperature) like 1-element ones."""

import numpy as np
import pytest

import kusari
from kusari import optimizers

_OPTIMIZERS = [
    ("SGD", {}),
    ("MomentumSGD", {}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay_rate": 0.01}),
    ("AdaBound", {}),
    ("RMSprop", {}),
    ("RMSprop", {"eps_inside_sqrt": True}),
    ("RMSpropGraves", {}),
]


def _run(name, kwargs, shape, dtype):
    link = kusari.Link()
    with link.init_scope():
        link.p = kusari.Parameter(np.full(shape, 0.5, dtype=dtype))
    optimizer = getattr(optimizers, name)(**kwargs)
    optimizer.setup(link)
    for _ in range(3):
        link.cleargrads()
        kusari.functions.sum(link.p * link.p * 3).backward()
        optimizer.update()
    return link.p.array


@pytest.mark.parametrize(("name", "kwargs"), _OPTIMIZERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_parameter_follows_the_one_element_update(name, kwargs, dtype):
    scalar = _run(name, kwargs, (), dtype)
    vector = _run(name, kwargs, (1,), dtype)
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()
    assert scalar.dtype == dtype
    np.testing.assert_array_equal(scalar.reshape(1), vector)
    assert scalar != 0.5
