"""Batches of probability distributions over actions (ChainerRL's ``chainerrl.distribution``).

A policy maps a batch of ``B`` observations to one of these objects: one distribution per row.
Every quantity used in a loss (:meth:`~Distribution.log_prob`, :attr:`~Distribution.entropy`,
:meth:`~Distribution.kl`, reparameterized samples) is a :class:`kusari.Variable`, so gradients
flow back to the parameters that produced the distribution.

Speed: distributions sit in every policy agent's inner loop. The hot quantities (Gaussian
log-densities and entropies, categorical entropies, squashed samples with their log-densities)
are single fused graph nodes (``kusari_rl._distribution_nodes``), shared pieces (``ln_var``,
``all_log_prob``, ...) are computed once and cached on the instance, and sampling under
:func:`kusari.no_backprop_mode` (acting) builds no graph.

Shapes: ``B`` is the batch size, ``A`` the action size of continuous distributions and ``N`` the
number of actions of categorical ones.
"""

from __future__ import annotations

import abc
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.configuration import config
from kusari.variable import Variable
from kusari_rl import _distribution_nodes as nodes

__all__ = [
    "CategoricalDistribution",
    "ContinuousDeterministicDistribution",
    "Distribution",
    "GaussianDistribution",
    "SoftmaxDistribution",
    "SquashedGaussianDistribution",
    "sample_discrete_actions",
]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)


def _graph_property(func: Callable[[Any], Variable]) -> functools.cached_property:
    """A property computed once per instance, always with backprop enabled.

    A value first read under :func:`kusari.no_backprop_mode` (e.g. for statistics) and later
    used in a loss must still carry its graph, so the computation forces backprop (as ChainerRL
    does for its cached properties).
    """

    @functools.wraps(func)
    def compute(self: Any) -> Variable:
        with kusari.force_backprop_mode():
            return func(self)

    return functools.cached_property(compute)


def _as_variable(x: Any, owner: str, what: str) -> Variable:
    if isinstance(x, Variable):
        return x
    if isinstance(x, numpy.ndarray) or type(x).__module__.startswith("cupy"):
        return Variable(x)
    raise TypeError(
        f"{owner}: {what} must be a kusari.Variable or an array, got {type(x).__name__}"
    )


def _check_float_matrix(owner: str, what: str, x: Variable) -> None:
    if x.ndim != 2:
        raise ValueError(f"{owner}: {what} must have shape (B, A), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{owner}: {what} must be a float array, got dtype {x.dtype}")


def _check_mean_var(owner: str, mean: Variable, var: Variable) -> None:
    _check_float_matrix(owner, "mean", mean)
    if var.shape != mean.shape:
        raise ValueError(
            f"{owner}: var.shape {var.shape} != mean.shape {mean.shape}; broadcast it first, "
            "e.g. F.broadcast_to(var, mean.shape)"
        )
    if var.dtype != mean.dtype:
        raise TypeError(f"{owner}: var.dtype ({var.dtype}) != mean.dtype ({mean.dtype})")


def _standard_normal(like: Any) -> Any:
    """Draw standard normal noise of ``like``'s shape and dtype from ``xp.random``."""
    xp = backend.get_array_module(like)
    if xp is numpy:
        return numpy.random.standard_normal(like.shape).astype(like.dtype, copy=False)
    return xp.random.standard_normal(like.shape, dtype=like.dtype)


def _gumbel_argmax(log_probs: Any) -> Any:
    """Sample one index per row of unnormalized log-probabilities (the Gumbel-max trick)."""
    xp = backend.get_array_module(log_probs)
    noisy = log_probs + xp.random.gumbel(size=log_probs.shape).astype(log_probs.dtype)
    return xp.argmax(noisy, axis=1).astype(numpy.int32, copy=False)


def sample_discrete_actions(batch_probs: Any) -> Any:
    """Sample one action per row of a batch of action probabilities.

    Uses the Gumbel-max trick: ``argmax(log p + g)`` with ``g`` standard Gumbel noise is
    distributed as ``p`` (Gumbel 1954; Maddison et al. 2014, "A* Sampling").

    Args:
        batch_probs: Probabilities of shape ``(B, N)`` (NumPy or CuPy), rows summing to 1.

    Returns:
        An int32 array of shape ``(B,)`` with the sampled action indices.
    """
    xp = backend.get_array_module(batch_probs)
    with numpy.errstate(divide="ignore"):
        return _gumbel_argmax(xp.log(batch_probs))


def _int_actions(owner: str, x: Any) -> Any:
    array = x.array if isinstance(x, Variable) else x
    if getattr(array, "dtype", numpy.dtype(object)).kind not in "iu":
        raise TypeError(
            f"{owner}: actions must be an integer array of shape (B,), got "
            f"{type(array).__name__} of dtype {getattr(array, 'dtype', None)}"
        )
    return array


def _gaussian_log_likelihood(
    owner: str, x: Any, mean: Variable, var: Variable, constant: Any
) -> Variable:
    """``sum_a log N(x_a | mean_a, var_a) + constant`` over axis 1, after checking ``x``."""
    if not isinstance(x, Variable):
        if not hasattr(x, "dtype"):
            raise TypeError(f"{owner}: x must be an array or a Variable, got {type(x).__name__}")
        if x.dtype != mean.dtype:
            x = x.astype(mean.dtype)
    elif x.dtype != mean.dtype:
        raise TypeError(f"{owner}: x.dtype ({x.dtype}) != mean.dtype ({mean.dtype})")
    if x.shape != mean.shape:
        raise ValueError(f"{owner}: x.shape {x.shape} != mean.shape {mean.shape}")
    return nodes.gaussian_log_likelihood(x, mean, var, constant)


class Distribution(abc.ABC):
    """A batch of ``B`` distributions, one per row (ChainerRL's abstract ``Distribution``)."""

    @property
    @abc.abstractmethod
    def entropy(self) -> Variable:
        """The entropy of each distribution, a Variable of shape ``(B,)``."""

    @abc.abstractmethod
    def sample(self) -> Variable:
        """Draw one sample per distribution.

        Returns:
            A Variable whose first axis is ``B``.
        """

    @abc.abstractmethod
    def prob(self, x: Any) -> Variable:
        """The probability (density) of ``x``: a Variable of shape ``(B,)``."""

    @abc.abstractmethod
    def log_prob(self, x: Any) -> Variable:
        """The log probability (density) of ``x``: a Variable of shape ``(B,)``."""

    @abc.abstractmethod
    def copy(self) -> Distribution:
        """A copy of this distribution whose parameters are new leaves (cut from the graph)."""

    @property
    @abc.abstractmethod
    def most_probable(self) -> Variable:
        """The most probable point (the mode) of each distribution."""

    @abc.abstractmethod
    def kl(self, distrib: Distribution) -> Variable:
        """The KL divergence ``D_KL(self || distrib)``: a Variable of shape ``(B,)``."""

    @property
    @abc.abstractmethod
    def params(self) -> tuple[Variable, ...]:
        """The Variables that parameterize this distribution."""

    def sample_with_log_prob(self) -> tuple[Variable, Variable]:
        """Draw one sample per distribution and return it with its log probability.

        Subclasses override this where doing both at once is cheaper or more stable.

        Returns:
            The samples and their log probabilities, of shape ``(B,)``.
        """
        y = self.sample()
        return y, self.log_prob(y)


class CategoricalDistribution(Distribution):
    """A batch of distributions over ``N`` actions, given by :attr:`all_prob`/:attr:`all_log_prob`.

    Actions are int32 indices in ``[0, N)``.
    """

    @property
    @abc.abstractmethod
    def all_prob(self) -> Variable:
        """The probability of every action, a Variable of shape ``(B, N)``."""

    @property
    @abc.abstractmethod
    def all_log_prob(self) -> Variable:
        """The log probability of every action, a Variable of shape ``(B, N)``."""

    def _unnormalized_log_prob_array(self) -> Any:
        """Log probabilities up to a constant per row, as an array (no graph)."""
        return self.all_log_prob.array

    @_graph_property
    def entropy(self) -> Variable:
        """``-sum_n p_n log p_n`` for each row: a Variable of shape ``(B,)``."""
        return nodes.categorical_entropy(self.all_log_prob)

    @functools.cached_property
    def most_probable(self) -> Variable:
        """The most probable action of each row: an int32 Variable of shape ``(B,)``."""
        log_probs = self._unnormalized_log_prob_array()
        greedy = backend.get_array_module(log_probs).argmax(log_probs, axis=1)
        return Variable(greedy.astype(numpy.int32, copy=False), requires_grad=False)

    def sample(self) -> Variable:
        """Sample one action per row (Gumbel-max trick, on ``numpy.random``).

        Returns:
            An int32 Variable of shape ``(B,)``.
        """
        return Variable(_gumbel_argmax(self._unnormalized_log_prob_array()), requires_grad=False)

    def prob(self, x: Any) -> Variable:
        """The probability of the actions ``x``.

        Args:
            x: Integer actions of shape ``(B,)``.

        Returns:
            A Variable of shape ``(B,)``.

        Raises:
            TypeError: ``x`` is not an integer array.
        """
        return F.select_item(self.all_prob, _int_actions(type(self).__name__ + ".prob", x))

    def log_prob(self, x: Any) -> Variable:
        """The log probability of the actions ``x``.

        Args:
            x: Integer actions of shape ``(B,)``.

        Returns:
            A Variable of shape ``(B,)``.

        Raises:
            TypeError: ``x`` is not an integer array.
        """
        return F.select_item(self.all_log_prob, _int_actions(type(self).__name__ + ".log_prob", x))

    def kl(self, distrib: Distribution) -> Variable:
        """``D_KL(self || distrib) = sum_n p_n (log p_n - log q_n)`` per row.

        Args:
            distrib: Another categorical distribution over the same ``N`` actions.

        Returns:
            A Variable of shape ``(B,)``.

        Raises:
            TypeError: ``distrib`` is not a :class:`CategoricalDistribution`.
        """
        if not isinstance(distrib, CategoricalDistribution):
            raise TypeError(
                f"{type(self).__name__}.kl: distrib must be a CategoricalDistribution, got "
                f"{type(distrib).__name__}"
            )
        return F.sum(self.all_prob * (self.all_log_prob - distrib.all_log_prob), axis=1)


class SoftmaxDistribution(CategoricalDistribution):
    """Softmax distribution ``p = softmax(beta * logits)``, optionally mixed with a uniform floor.

    With ``min_prob > 0`` the probabilities are ``softmax(beta * logits) * (1 - N min_prob) +
    min_prob``, so every action keeps at least ``min_prob``.

    Args:
        logits: Logits of shape ``(B, N)`` (an array or a Variable), float.
        beta: Inverse temperature.
        min_prob: The smallest probability of any action; ``N * min_prob`` must be at most 1.

    Attributes:
        logits (~kusari.Variable): The logits ``(B, N)``.
        beta (float): The inverse temperature.
        min_prob (float): The probability floor.
        n (int): The number of actions ``N``.

    Raises:
        TypeError: ``logits`` is not a float array or Variable.
        ValueError: ``logits`` is not 2-D, or ``min_prob`` is negative or too large.

    Example:
        >>> d = SoftmaxDistribution(numpy.array([[0.0, 1.0]], numpy.float32))
        >>> d.log_prob(numpy.array([1])).shape
        (1,)
    """

    def __init__(self, logits: Any, beta: float = 1.0, min_prob: float = 0.0) -> None:
        self.logits = _as_variable(logits, "SoftmaxDistribution", "logits")
        if self.logits.ndim != 2:
            raise ValueError(
                f"SoftmaxDistribution: logits must have shape (B, N), got shape {self.logits.shape}"
            )
        if self.logits.dtype.kind != "f":
            raise TypeError(
                f"SoftmaxDistribution: logits must be a float array, got dtype {self.logits.dtype}"
            )
        self.n = self.logits.shape[1]
        if min_prob < 0 or min_prob * self.n > 1:
            raise ValueError(
                f"SoftmaxDistribution: min_prob must be in [0, 1 / N] = [0, {1 / self.n}] for "
                f"N={self.n} actions, got {min_prob}"
            )
        self.beta = beta
        self.min_prob = min_prob

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(logits,)``."""
        return (self.logits,)

    @functools.cached_property
    def _scaled_logits(self) -> Variable:
        return self.logits if self.beta == 1 else self.logits * self.beta

    @_graph_property
    def all_prob(self) -> Variable:
        """``softmax(beta * logits)`` (with the ``min_prob`` floor): shape ``(B, N)``."""
        prob = F.softmax(self._scaled_logits)
        if self.min_prob > 0:
            prob = prob * (1 - self.min_prob * self.n) + self.min_prob
        return prob

    @_graph_property
    def all_log_prob(self) -> Variable:
        """``log_softmax(beta * logits)`` (``log all_prob`` with a floor): shape ``(B, N)``."""
        if self.min_prob > 0:
            return F.log(self.all_prob)
        return F.log_softmax(self._scaled_logits)

    def _unnormalized_log_prob_array(self) -> Any:
        if self.min_prob > 0:
            return backend.get_array_module(self.logits.array).log(self.all_prob.array)
        # speed: softmax only shifts each row, so the scaled logits serve as log probabilities
        logits = self.logits.array
        return logits if self.beta == 1 else logits * logits.dtype.type(self.beta)

    def copy(self) -> SoftmaxDistribution:
        """A copy with the logits copied into a new leaf Variable."""
        return SoftmaxDistribution(self.logits.array.copy(), beta=self.beta, min_prob=self.min_prob)

    def __repr__(self) -> str:
        return (
            f"SoftmaxDistribution(beta={self.beta}, min_prob={self.min_prob}) "
            f"logits:{self.logits.array}"
        )


class _DiagonalGaussian(Distribution):
    """What Gaussian and squashed Gaussian distributions share: parameters, noise, copies."""

    _owner = ""

    def __init__(self, mean: Any, var: Any) -> None:
        self.mean = _as_variable(mean, self._owner, "mean")
        self.var = _as_variable(var, self._owner, "var")
        _check_mean_var(self._owner, self.mean, self.var)

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(mean, var)``."""
        return (self.mean, self.var)

    @_graph_property
    def ln_var(self) -> Variable:
        """``log(var)``, shape ``(B, A)``."""
        return F.log(self.var)

    def prob(self, x: Any) -> Variable:
        """The density of ``x`` (shape ``(B, A)``): a Variable of shape ``(B,)``."""
        return F.exp(self.log_prob(x))

    def copy(self) -> Any:
        """A copy with ``mean`` and ``var`` copied into new leaf Variables."""
        return type(self)(self.mean.array.copy(), self.var.array.copy())

    def __repr__(self) -> str:
        return f"{self._owner} mean:{self.mean.array} var:{self.var.array}"


class GaussianDistribution(_DiagonalGaussian):
    """A batch of Gaussians with diagonal covariance: ``N(mean, diag(var))`` per row.

    Args:
        mean: Means of shape ``(B, A)`` (an array or a Variable), float.
        var: Variances of the same shape and dtype, positive.

    Attributes:
        mean (~kusari.Variable): The means ``(B, A)``.
        var (~kusari.Variable): The variances ``(B, A)``.

    Raises:
        TypeError: ``mean`` or ``var`` is not an array or Variable, not float, or their dtypes
            differ.
        ValueError: ``mean`` is not 2-D or ``var.shape != mean.shape``.

    Example:
        >>> d = GaussianDistribution(numpy.zeros((2, 3), "f"), numpy.ones((2, 3), "f"))
        >>> d.sample().shape
        (2, 3)
    """

    _owner = "GaussianDistribution"

    @functools.cached_property
    def most_probable(self) -> Variable:
        """The mean, shape ``(B, A)``."""
        return self.mean

    def sample(self) -> Variable:
        """Draw ``mean + sqrt(var) * eps`` with ``eps ~ N(0, I)`` from ``numpy.random``.

        The sample is reparameterized (:func:`kusari.functions.gaussian`): gradients flow to
        ``mean`` and ``var``.

        Returns:
            A Variable of shape ``(B, A)``.
        """
        eps = _standard_normal(self.mean.array)
        if not config.enable_backprop:
            # speed: acting needs no graph, so stay on arrays
            xp = backend.get_array_module(eps)
            return Variable(self.mean.array + xp.sqrt(self.var.array) * eps, requires_grad=False)
        return F.gaussian(self.mean, self.ln_var, eps=eps)

    def log_prob(self, x: Any) -> Variable:
        """``log N(x | mean, diag(var))`` summed over the action axis.

        Args:
            x: Points of shape ``(B, A)`` (an array or a Variable).

        Returns:
            A Variable of shape ``(B,)``.
        """
        constant = -0.5 * _LOG_2PI * self.mean.shape[1]
        return _gaussian_log_likelihood(f"{self._owner}.log_prob", x, self.mean, self.var, constant)

    @_graph_property
    def entropy(self) -> Variable:
        """``0.5 * sum_a (log(2 pi var_a) + 1)``: a Variable of shape ``(B,)``."""
        return nodes.gaussian_entropy(self.var)

    def kl(self, distrib: Distribution) -> Variable:
        """``D_KL(self || distrib)`` between diagonal Gaussians, per row.

        ``0.5 * sum_a (log q_var - log p_var + (p_var + (p_mean - q_mean)^2) / q_var - 1)``.

        Args:
            distrib: Another :class:`GaussianDistribution` of the same shape.

        Returns:
            A Variable of shape ``(B,)``.

        Raises:
            TypeError: ``distrib`` is not a :class:`GaussianDistribution`.
        """
        if not isinstance(distrib, GaussianDistribution):
            raise TypeError(
                f"{self._owner}.kl: distrib must be a GaussianDistribution, got "
                f"{type(distrib).__name__}"
            )
        q = distrib
        ratio = (self.var + F.square(self.mean - q.mean)) / q.var
        total = F.sum(q.ln_var - self.ln_var + ratio, axis=1)
        return total * 0.5 - 0.5 * self.mean.shape[1]


class SquashedGaussianDistribution(_DiagonalGaussian):
    """A diagonal Gaussian squashed into ``(-1, 1)`` by tanh: ``y = tanh(u)``, ``u ~ N(mean, var)``.

    The policy distribution of Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic
    Algorithms and Applications", appendix C): by the change of variables,
    ``log p(y) = log N(u | mean, var) - sum_a log(1 - tanh(u_a)^2)``, where
    ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2 u))`` is used for stability.

    Args:
        mean: Means of ``u``, shape ``(B, A)`` (an array or a Variable), float.
        var: Variances of ``u``, same shape and dtype, positive.

    Attributes:
        mean (~kusari.Variable): The means of ``u``, ``(B, A)``.
        var (~kusari.Variable): The variances of ``u``, ``(B, A)``.

    Raises:
        TypeError: As :class:`GaussianDistribution`.
        ValueError: As :class:`GaussianDistribution`.
    """

    _owner = "SquashedGaussianDistribution"

    @functools.cached_property
    def most_probable(self) -> Variable:
        """``tanh(mean)``, shape ``(B, A)``."""
        return F.tanh(self.mean)

    def sample(self) -> Variable:
        """Draw ``tanh(mean + sqrt(var) * eps)`` with ``eps ~ N(0, I)``, reparameterized.

        To take the log probability of the sample too, use :meth:`sample_with_log_prob`, which
        stays accurate where ``tanh`` saturates.

        Returns:
            A Variable of shape ``(B, A)`` with values in ``[-1, 1]``.
        """
        return self.sample_with_log_prob()[0]

    def sample_with_log_prob(self) -> tuple[Variable, Variable]:
        """Draw reparameterized samples and their log densities in one pass.

        With ``u = mean + std * eps``, ``(u - mean)^2 / var = eps^2`` is a constant, so the
        Gaussian part of the log density is ``-0.5 sum_a (eps_a^2 + log 2 pi + log var_a)`` and
        its gradient is exactly that of ``-0.5 sum_a log var_a``.

        Returns:
            The samples ``tanh(u)`` of shape ``(B, A)`` and their log densities ``(B,)``.
        """
        eps = _standard_normal(self.mean.array)
        return nodes.squashed_gaussian_sample(self.mean, self.var, eps)

    def log_prob(self, x: Any) -> Variable:
        """The log density of squashed points ``x`` in ``[-1, 1]``.

        ``x`` is clipped to ``[-1 + eps, 1 - eps]`` (``eps`` the dtype's machine epsilon) before
        ``arctanh``. For samples of this distribution prefer :meth:`sample_with_log_prob`.

        Args:
            x: Points of shape ``(B, A)`` (an array, or a Variable to differentiate through).

        Returns:
            A Variable of shape ``(B,)``.
        """
        owner = f"{self._owner}.log_prob"
        dims = self.mean.shape[1]
        constant = -dims * 0.5 * _LOG_2PI
        if isinstance(x, Variable):
            limit = 1 - numpy.finfo(x.dtype).eps
            raw = F.arctanh(F.clip(x, -limit, limit))
            log_prob = _gaussian_log_likelihood(owner, raw, self.mean, self.var, constant)
            # -log(1 - tanh(raw)^2) = 2 (raw + softplus(-2 raw) - log 2)
            log_det = F.sum(raw + F.softplus(raw * -2.0), axis=1) * 2.0 - dims * 2 * _LOG_2
            return log_prob + log_det
        if not hasattr(x, "dtype") or x.dtype.kind != "f":
            raise TypeError(
                f"{owner}: x must be a float array or a Variable, got "
                f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}"
            )
        xp = backend.get_array_module(x)
        limit = 1 - numpy.finfo(x.dtype).eps
        clipped = xp.clip(x, -limit, limit)
        constant = constant - xp.log1p(-clipped * clipped).sum(axis=-1)
        return _gaussian_log_likelihood(
            owner, xp.arctanh(clipped), self.mean, self.var, constant.astype(self.mean.dtype)
        )

    @property
    def entropy(self) -> Variable:
        """Not available in closed form.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(f"{self._owner}: the entropy has no closed form")

    def kl(self, distrib: Distribution) -> Variable:
        """Not implemented (ChainerRL has none either).

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(f"{self._owner}: kl is not implemented")


class ContinuousDeterministicDistribution(Distribution):
    """A batch of point masses at ``x``: the output of a deterministic policy (DDPG, TD3).

    :meth:`sample` and :attr:`most_probable` return ``x`` itself, so gradients flow through it.
    Densities, entropy and KL are undefined and raise ``NotImplementedError`` (a subclass of the
    ``RuntimeError`` ChainerRL raises).

    Args:
        x: The points, shape ``(B, A)`` (an array or a Variable).

    Attributes:
        x (~kusari.Variable): The points.

    Raises:
        TypeError: ``x`` is not an array or Variable.
    """

    def __init__(self, x: Any) -> None:
        self.x = _as_variable(x, "ContinuousDeterministicDistribution", "x")

    def _undefined(self, what: str) -> NotImplementedError:
        return NotImplementedError(
            f"ContinuousDeterministicDistribution: {what} is not defined for a point mass"
        )

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(x,)``."""
        return (self.x,)

    @property
    def entropy(self) -> Variable:
        """Undefined.

        Raises:
            NotImplementedError: Always.
        """
        raise self._undefined("entropy")

    @property
    def most_probable(self) -> Variable:
        """``x``."""
        return self.x

    def sample(self) -> Variable:
        """``x``."""
        return self.x

    def prob(self, x: Any) -> Variable:
        """Undefined.

        Raises:
            NotImplementedError: Always.
        """
        raise self._undefined("prob")

    def log_prob(self, x: Any) -> Variable:
        """Undefined.

        Raises:
            NotImplementedError: Always.
        """
        raise self._undefined("log_prob")

    def kl(self, distrib: Distribution) -> Variable:
        """Undefined.

        Raises:
            NotImplementedError: Always.
        """
        raise self._undefined("kl")

    def copy(self) -> ContinuousDeterministicDistribution:
        """A copy with ``x`` copied into a new leaf Variable."""
        return ContinuousDeterministicDistribution(self.x.array.copy())
