"""gaussian: draw a sample from N(mean, exp(ln_var)) by the reparameterization trick."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.math.exponential import exp
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Gaussian(FunctionNode):
    """``mean + exp(ln_var / 2) * eps`` with ``eps`` standard normal (drawn once if ``None``)."""

    def __init__(self, eps: Any = None) -> None:
        self.eps = eps

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check two float inputs of one dtype and shape, and a given ``eps`` against them."""
        type_check.expect_n_inputs("gaussian", in_types, 2)
        mean, ln_var = in_types
        type_check.expect_float("gaussian", "mean", mean)
        type_check.expect_same_dtype("gaussian", ("mean", "ln_var"), (mean, ln_var))
        type_check.expect_equal(
            "gaussian", "mean.shape", tuple(mean.shape), "ln_var.shape", tuple(ln_var.shape)
        )
        if self.eps is not None:
            type_check.expect_shape("gaussian", "eps", self.eps, ln_var.shape)
            type_check.expect_dtype("gaussian", "eps", self.eps, ln_var.dtype)

    def forward(self, inputs: tuple) -> tuple:
        """Draw ``eps`` from ``xp.random`` (unless given) and form the sample."""
        self.retain_inputs((1,))
        mean, ln_var = inputs
        xp = backend.get_array_module(mean)
        if self.eps is None:
            self.eps = force_array(
                xp.random.standard_normal(ln_var.shape).astype(ln_var.dtype, copy=False)
            )
        noise = force_array(ln_var * ln_var.dtype.type(0.5))
        xp.exp(noise, out=noise)
        noise *= self.eps
        noise += mean
        return noise,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gmean = gy`` and ``gln_var = gy * exp(ln_var / 2) * eps / 2``."""
        gy, = grad_outputs
        out = []
        if 0 in indexes:
            out.append(gy)
        if 1 in indexes:
            ln_var, = self.get_retained_inputs()
            out.append(GaussianGrad(self.eps).apply((ln_var, gy))[0])
        return tuple(out)


class GaussianGrad(FunctionNode):
    """``gln_var = gy * exp(ln_var / 2) * eps / 2`` from inputs ``(ln_var, gy)``."""

    def __init__(self, eps: Any) -> None:
        self.eps = eps

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of ``ln_var``."""
        self.retain_inputs((0, 1))
        ln_var, gy = inputs
        xp = backend.get_array_module(ln_var)
        half = ln_var.dtype.type(0.5)
        g = force_array(ln_var * half)
        xp.exp(g, out=g)
        g *= self.eps
        g *= gy
        g *= half
        return g,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``gy * exp(ln_var / 2) * eps / 2`` by ``ln_var`` and ``gy``."""
        ln_var, gy = self.get_retained_inputs()
        g = grad_outputs[0] * (exp(ln_var * 0.5) * (self.eps * self.eps.dtype.type(0.5)))
        out = []
        if 0 in indexes:
            out.append(g * gy * 0.5)
        if 1 in indexes:
            out.append(g)
        return tuple(out)


def gaussian(
    mean: Variable | Any, ln_var: Variable | Any, *, eps: Any = None, return_eps: bool = False
) -> Variable | tuple[Variable, Any]:
    """Draw a sample from the Gaussian ``N(mean, exp(ln_var))``, differentiably.

    The sample is ``mean + exp(ln_var / 2) * eps`` with ``eps`` drawn from the standard normal
    distribution, so gradients flow to ``mean`` and ``ln_var`` (the reparameterization trick of
    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014). ``eps`` comes from
    ``xp.random`` (NumPy's global generator on the CPU), so ``numpy.random.seed`` makes it
    reproducible.

    Args:
        mean: Mean ``mu``, float16/32/64 of any shape.
        ln_var: Log variance ``log(sigma**2)``, of ``mean``'s shape and dtype.
        eps: Standard-normal noise to use instead of a fresh draw, of ``ln_var``'s shape and
            dtype on its device (e.g. one returned by an earlier call with ``return_eps``).
        return_eps: Also return the ``eps`` array used.

    Returns:
        A Variable of ``mean``'s shape and dtype; with ``return_eps``, a tuple of it and the
        ``eps`` array.

    Raises:
        InvalidType: The inputs are not float arrays, their dtypes or shapes differ, or ``eps``
            does not match ``ln_var``'s shape or dtype.

    Example:
        >>> mean = numpy.zeros(3, "f")
        >>> y, eps = F.gaussian(mean, numpy.zeros(3, "f"), return_eps=True)
        >>> bool((y.array == eps).all())
        True
    """
    func = Gaussian(eps)
    y = func.apply((mean, ln_var))[0]
    if return_eps:
        return y, func.eps
    return y
