"""Shared set-ups of the optimizer tests: a one-parameter link, gradients, a loop of updates."""

import numpy

import kusari
from kusari.serializers import load_npz, save_npz


def make_link(values):
    """A link with one parameter ``w`` holding a copy of ``values``."""
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(values.copy())
    return link


def make_grads(n, dtype, shape, seed=0):
    """``n`` reproducible uniform(-1, 1) gradients of ``shape``."""
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, shape).astype(dtype) for _ in range(n)]


def run_updates(opt, p0, grads, link=None):
    """Set ``opt`` up on a fresh link from ``p0`` (unless given one) and apply ``grads``."""
    link = make_link(p0) if link is None else link
    if opt.target is None:
        opt.setup(link)
    for g in grads:
        link.w.grad = g.copy()
        opt.update()
    return link


def check_resume_is_bit_identical(tmp_path, make_optimizer, shape, state_keys):
    """Six updates straight equal three, a save and load through npz files, and three more."""
    p0 = numpy.random.RandomState(1).uniform(-1, 1, shape).astype(numpy.float32)
    grads = make_grads(6, numpy.float32, shape)
    straight = run_updates(make_optimizer(), p0, grads)

    opt = make_optimizer()
    first = run_updates(opt, p0, grads[:3])
    save_npz(str(tmp_path / "link.npz"), first)
    save_npz(str(tmp_path / "opt.npz"), opt)

    link = make_link(numpy.zeros(shape, numpy.float32))
    load_npz(str(tmp_path / "link.npz"), link)
    resumed_opt = make_optimizer().setup(link)
    load_npz(str(tmp_path / "opt.npz"), resumed_opt)
    run_updates(resumed_opt, p0, grads[3:], link=link)
    assert resumed_opt.t == 6
    numpy.testing.assert_array_equal(link.w.array, straight.w.array)
    for key in state_keys:
        numpy.testing.assert_array_equal(
            link.w.update_rule.state[key], straight.w.update_rule.state[key]
        )


def check_gpu_matches_cpu(cupy, make_optimizer, shape, state_key):
    """Four updates on ``@cupy:0`` match the same updates on the CPU."""
    p0 = numpy.random.RandomState(1).uniform(-1, 1, shape).astype(numpy.float32)
    grads = make_grads(4, numpy.float32, shape)
    cpu = run_updates(make_optimizer(), p0, grads)
    link = make_link(p0)
    opt = make_optimizer().setup(link)
    link.to_device("@cupy:0")
    for g in grads:
        link.w.grad = cupy.asarray(g)
        opt.update()
    assert isinstance(link.w.update_rule.state[state_key], cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(link.w.array), cpu.w.array, rtol=1e-5, atol=1e-6)
