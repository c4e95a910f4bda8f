"""Optimizers and per-parameter update rules (Chainer v7's ``chainer.optimizer``).

An :class:`Optimizer` updates the parameters of a *target* link. A :class:`GradientMethod` gives
every parameter its own :class:`UpdateRule` (``param.update_rule``) whose :class:`Hyperparameter`
falls back to the optimizer's: changing ``optimizer.lr`` changes every rule that has not set its
own ``lr``.

One iteration of :meth:`GradientMethod.update`::

    loss = lossfun(*args)             # only when a loss function is given
    target.cleargrads(); loss.backward(loss_scale=...)
    fill gradients that are None with zeros
    call the optimizer's 'pre' hooks  # e.g. WeightDecay, GradientClipping
    t += 1; param.update() for every parameter
    call the optimizer's 'post' hooks

Example:
    >>> optimizer = kusari.optimizers.MomentumSGD(lr=0.1).setup(model)
    >>> optimizer.add_hook(kusari.optimizer_hooks.WeightDecay(1e-4))
    >>> optimizer.update(model, x, t)   # model(x, t) returns the loss
"""

from __future__ import annotations

import collections
import copy
import math
import types
import warnings
from typing import Any

import numpy

from kusari import backend
from kusari import serializer as serializer_module
from kusari.link import Link
from kusari.variable import Variable

__all__ = [
    "GradientMethod",
    "Hyperparameter",
    "HyperparameterProxy",
    "Optimizer",
    "UpdateRule",
]

# Bumped whenever an entry of any Hyperparameter is set or deleted, so that an update rule can
# keep its resolved hyperparameters between steps and resolve them again only after a change.
_generation = [0]

_CPU = backend.get_device("@numpy")


def _is_array(x: Any) -> bool:
    return isinstance(x, numpy.ndarray) or type(x).__module__.startswith("cupy")


def _same_device(a: Any, b: Any) -> bool:
    t = type(a)
    if t is not type(b):
        return False
    return t is numpy.ndarray or a.device.id == b.device.id


class Hyperparameter:
    """A set of hyperparameter entries whose missing entries are read from a parent.

    Entries are plain attributes. An entry that is not set on this object is looked up in the
    parent (and its parent, ...). A :class:`GradientMethod`'s hyperparameter is the parent of the
    hyperparameter of every :class:`UpdateRule` it creates, so an optimizer-wide change reaches
    all parameters, while setting an entry on one rule's hyperparameter overrides it for that
    parameter only.

    Args:
        parent: The hyperparameter that provides the entries not set here, or ``None``.

    Example:
        >>> base = Hyperparameter()
        >>> base.lr = 0.1
        >>> child = Hyperparameter(base)
        >>> child.lr
        0.1
        >>> child.lr = 0.01
        >>> child.lr, base.lr
        (0.01, 0.1)
    """

    def __init__(self, parent: Hyperparameter | None = None) -> None:
        self._parent = parent

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        if "_parent" not in d:  # half-built object (copy, pickle)
            raise AttributeError(name)
        parent = d["_parent"]
        if parent is None:
            raise AttributeError(f"Hyperparameter has no entry {name!r}")
        return getattr(parent, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value
        _generation[0] += 1

    def __delattr__(self, name: str) -> None:
        del self.__dict__[name]
        _generation[0] += 1

    def __repr__(self) -> str:
        d = self.get_dict()
        entries = ", ".join(f"{k}={d[k]}" for k in sorted(d))
        return f"Hyperparameter({entries})"

    @property
    def parent(self) -> Hyperparameter | None:
        """The parent hyperparameter, or ``None``."""
        return self.__dict__["_parent"]

    def get_dict(self) -> dict[str, Any]:
        """Return every entry visible from this object, the parents' included.

        Returns:
            A new ``dict`` from entry name to value; entries set here win over the parent's.
        """
        parent = self.__dict__["_parent"]
        d = {} if parent is None else parent.get_dict()
        for k, v in self.__dict__.items():
            if k != "_parent":
                d[k] = v
        return d


class HyperparameterProxy:
    """A class attribute that reads and writes one entry of ``self.hyperparam``.

    Optimizers use it to expose their hyperparameters as attributes, e.g.
    ``lr = HyperparameterProxy('lr')`` makes ``optimizer.lr`` an alias of
    ``optimizer.hyperparam.lr``.

    Args:
        attr_name: Name of the hyperparameter entry.
    """

    def __init__(self, attr_name: str) -> None:
        self._attr_name = attr_name
        self.__doc__ = f"Alias of ``self.hyperparam.{attr_name}``."

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.hyperparam, self._attr_name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj.hyperparam, self._attr_name, value)


def _hook_name(hook: Any, name: str | None, where: str) -> str:
    if name is None:
        name = getattr(hook, "name", None) or getattr(hook, "__name__", None)
    if name is None:
        raise ValueError(
            f"{where}: the hook {hook!r} has neither a `name` nor a `__name__`; pass name="
        )
    return name


def _hook_timing(hook: Any, timing: str, where: str, warn: bool) -> str:
    if timing not in ("pre", "post", "auto"):
        raise ValueError(f"{where}: timing must be 'pre', 'post' or 'auto', got {timing!r}")
    if timing != "auto":
        return timing
    timing = getattr(hook, "timing", None)
    if timing not in ("pre", "post"):
        if warn:
            warnings.warn(
                f"{where}: the hook's timing attribute is {timing!r}, not 'pre' or 'post'; "
                "calling it before the update ('pre')",
                stacklevel=3,
            )
        timing = "pre"
    return timing


class UpdateRule:
    """How one parameter is updated from its gradient; the base class of all update rules.

    A rule keeps its own :class:`Hyperparameter` (the optimizer's is its parent), a ``state``
    dictionary (e.g. Adam's moment estimates ``'m'`` and ``'v'``) created by :meth:`init_state`
    at the first update, and the count ``t`` of updates made.

    Subclasses implement :meth:`update_core` with one ``xp`` body for NumPy and CuPy (Kusari's
    rules do), or, as in Chainer, :meth:`update_core_cpu` and :meth:`update_core_gpu`, which
    the default :meth:`update_core` dispatches to.

    Args:
        parent_hyperparam: The hyperparameter providing the default values.

    Attributes:
        enabled (bool): When ``False``, :meth:`update` leaves the parameter alone.
        hyperparam (Hyperparameter): The rule's hyperparameter; set an entry on it to override
            the optimizer's value for this parameter only.
        t (int): Number of updates made by this rule.
    """

    def __init__(self, parent_hyperparam: Hyperparameter | None = None) -> None:
        self._pre_update_hooks: collections.OrderedDict = collections.OrderedDict()
        self._post_update_hooks: collections.OrderedDict = collections.OrderedDict()
        self._state: dict[str, Any] | None = None
        self._state_device: Any = None
        self.enabled = True
        self.hyperparam = Hyperparameter(parent_hyperparam)
        self.t = 0
        self._use_fp32_update = False
        self._fp32_param: Variable | None = None
        self._hp_values: Any = None
        self._hp_generation = -1
        self._hp_source: Any = None
        self._const_cache: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_hp_generation"] = -1  # resolve the hyperparameters again after a copy or pickle
        state["_hp_values"] = None
        state["_const_cache"] = None
        return state

    @property
    def state(self) -> dict[str, Any] | None:
        """The state dictionary, or ``None`` before the first update."""
        return self._state

    def add_hook(self, hook: Any, name: str | None = None, timing: str = "auto") -> None:
        """Add a hook called with ``(rule, param)`` before or after each update of the parameter.

        Args:
            hook: A callable ``hook(rule, param)``.
            name: Name of the hook; ``hook.name`` or ``hook.__name__`` by default.
            timing: ``'pre'`` (before the update), ``'post'`` (after it) or ``'auto'`` (the
                hook's ``timing`` attribute, ``'pre'`` if it has none).

        Raises:
            TypeError: ``hook`` is not callable.
            ValueError: ``timing`` is invalid, the name is unknown, or a hook of that name exists.
        """
        if not callable(hook):
            raise TypeError(
                f"UpdateRule.add_hook: hook must be callable, got {type(hook).__name__}"
            )
        timing = _hook_timing(hook, timing, "UpdateRule.add_hook", warn=False)
        name = _hook_name(hook, name, "UpdateRule.add_hook")
        if name in self._pre_update_hooks or name in self._post_update_hooks:
            raise ValueError(f"UpdateRule.add_hook: a hook named {name!r} already exists")
        hooks = self._pre_update_hooks if timing == "pre" else self._post_update_hooks
        hooks[name] = hook

    def remove_hook(self, name: str) -> None:
        """Remove the hook registered as ``name``.

        Raises:
            KeyError: No hook has that name.
        """
        if name in self._pre_update_hooks:
            del self._pre_update_hooks[name]
        elif name in self._post_update_hooks:
            del self._post_update_hooks[name]
        else:
            raise KeyError(f"UpdateRule.remove_hook: no hook named {name!r}")

    def update(self, param: Variable) -> None:
        """Update ``param`` from its gradient, calling the hooks around :meth:`update_core`.

        Nothing happens when the rule is disabled or the parameter has no array or no gradient.
        A gradient computed with ``backward(loss_scale=s)`` is divided by ``s`` first (and the
        parameter's ``_loss_scale`` is cleared). With :meth:`use_fp32_update` on and a float16
        parameter, the update runs on a float32 master copy that is written back afterwards.

        Args:
            param: The parameter (a :class:`~kusari.Variable`, usually a
                :class:`~kusari.Parameter`) to update in place.
        """
        if not self.enabled:
            return
        data = param._data
        if data is None or param._grad_var is None:
            return
        self.t += 1
        if type(data) is numpy.ndarray:
            self._update(param, data, _CPU)
        else:
            device = backend.get_device_from_array(data)
            with device:
                self._update(param, data, device)

    def _update(self, param: Variable, data: Any, device: Any) -> None:
        target = param
        if self._use_fp32_update and data.dtype == numpy.float16:
            target = self._fp32_target(param)
        loss_scale = getattr(param, "_loss_scale", None)
        if loss_scale is not None:
            target._grad_var._data /= loss_scale
            param._loss_scale = None
        self._prepare_state(target, device)
        if self._pre_update_hooks:
            for hook in self._pre_update_hooks.values():
                hook(self, target)
        self.update_core(target)
        if self._post_update_hooks:
            for hook in self._post_update_hooks.values():
                hook(self, target)
        if target is not param:
            backend.get_array_module(data).copyto(data, target._data, casting="same_kind")

    def _prepare_state(self, param: Variable, device: Any) -> None:
        """Create the state at the first update, or move it to the parameter's device."""
        if self._state is None:
            self._state = {}
            self.init_state(param)
            self._state_device = device
        elif device is not self._state_device and device != self._state_device:
            self._state = {k: device.send(v) if _is_array(v) else v for k, v in self._state.items()}
            self._state_device = device

    def _fp32_target(self, param: Variable) -> Variable:
        data = param._data
        fp32 = self._fp32_param
        if fp32 is None or fp32._data.shape != data.shape:
            fp32 = self._fp32_param = Variable(data.astype(numpy.float32), name=param.name)
        elif not _same_device(fp32._data, data):
            fp32.to_device(backend.get_device_from_array(data))
        grad = param._grad_var._data
        buf = fp32._grad_var
        if buf is None or not _same_device(buf._data, grad):
            fp32.grad = grad.astype(numpy.float32)
        else:
            backend.get_array_module(grad).copyto(buf._data, grad)
        return fp32

    def _current_hyperparam(self) -> Any:
        """The rule's hyperparameters resolved into a plain namespace, cached until a change."""
        hp = self.hyperparam
        if self._hp_generation != _generation[0] or self._hp_source is not hp:
            self._hp_values = types.SimpleNamespace(**hp.get_dict())
            self._hp_generation = _generation[0]
            self._hp_source = hp
        return self._hp_values

    def _constants(self, hp: Any, dtype: Any, on_numpy: bool) -> tuple:
        """The scalars of :meth:`_derive_constants`, cached until the hyperparameters change.

        Speed: on NumPy they are 0-d arrays of ``dtype``, since an in-place operation with a
        Python float costs about twice as much as with a 0-d array of the array's dtype.
        """
        c = self._const_cache
        if c is None or c[0] is not hp or c[1] is not dtype:
            values = self._derive_constants(hp)
            if on_numpy:
                values = tuple([numpy.array(v, dtype) for v in values])
            c = self._const_cache = (hp, dtype, values)
        return c[2]

    def _derive_constants(self, hp: Any) -> tuple:
        """Scalars that depend on the hyperparameters only (see :meth:`_constants`)."""
        return ()

    def update_core(self, param: Variable) -> None:
        """Update ``param`` in place; called by :meth:`update` with a non-``None`` gradient.

        The default calls :meth:`update_core_cpu` for NumPy arrays and :meth:`update_core_gpu`
        for CuPy arrays (Chainer's interface); subclasses usually override this method instead.

        Args:
            param: The parameter to update.
        """
        if type(param._data) is numpy.ndarray:
            self.update_core_cpu(param)
        else:
            self.update_core_gpu(param)

    def update_core_cpu(self, param: Variable) -> None:
        """Update a parameter held in a NumPy array (see :meth:`update_core`).

        Raises:
            NotImplementedError: The subclass implements neither this nor :meth:`update_core`.
        """
        raise NotImplementedError(
            f"{type(self).__name__}: implement update_core (or update_core_cpu/_gpu)"
        )

    def update_core_gpu(self, param: Variable) -> None:
        """Update a parameter held in a CuPy array (see :meth:`update_core`).

        Raises:
            NotImplementedError: The subclass implements neither this nor :meth:`update_core`.
        """
        raise NotImplementedError(
            f"{type(self).__name__}: implement update_core (or update_core_cpu/_gpu)"
        )

    def init_state(self, param: Variable) -> None:
        """Fill :attr:`state` for ``param``; called at the first update. Does nothing here.

        Args:
            param: The parameter; its array gives the shape, dtype and device of the state.
        """

    def serialize(self, serializer: Any) -> None:
        """Save or load ``t`` and the state entries (not the parameter itself).

        Entries (under the parameter's path, e.g. ``'predictor/l1/W/'``): ``t``, then one per
        state key (``'v'`` for MomentumSGD, ``'m'``, ``'v'`` and, with AMSGrad, ``'vhat'`` for
        Adam), as in Chainer, so snapshots move between Chainer and Kusari. With
        :meth:`use_fp32_update` the float32 master copy is saved as ``fp32_param`` too; a
        snapshot without it recreates the copy from the float16 parameter.

        When loading into a rule that has not updated yet, the state keys come from
        :meth:`init_state`; if the snapshot has no state (it was saved before the first update)
        the state stays empty and is created at the first update.

        Args:
            serializer: A serializer or deserializer (``value = serializer(key, value)``).

        Raises:
            KeyError: A state entry is missing, the deserializer is strict, the rule is enabled
                and the loaded ``t`` is not 0.
        """
        self.t = serializer("t", self.t)
        loading = isinstance(serializer, serializer_module.Deserializer)
        if self._state is None:
            if loading:
                self._load_fresh_state(serializer)
        else:
            for key in self._state:
                self._state[key] = serializer(key, self._state[key])
        if self._use_fp32_update:
            self._serialize_fp32(serializer, loading)

    def _load_fresh_state(self, serializer: Any) -> None:
        self._state = {}
        arr = numpy.empty(1, dtype=numpy.float32)
        copy.copy(self).init_state(Variable(arr, grad=arr))  # only to learn the state keys
        for key in list(self._state):
            try:
                value = serializer(key, None)
            except KeyError:
                # a disabled rule, or one saved before its first update, may lack its state
                if self.enabled and self.t != 0:
                    raise
                value = None
            if value is None:  # no state in the snapshot: create it at the first update
                self._state = None
                return
            # own the arrays: the update changes them in place
            self._state[key] = value.copy() if _is_array(value) else value
        self._state_device = _CPU

    def _serialize_fp32(self, serializer: Any, loading: bool) -> None:
        fp32 = self._fp32_param
        if not loading:
            if fp32 is not None:
                serializer("fp32_param", fp32._data)
            return
        try:
            value = serializer("fp32_param", None)
        except KeyError:
            value = None
        if value is None:
            self._fp32_param = None
        elif fp32 is not None and fp32._data.shape == value.shape:
            backend.copyto(fp32._data, value)
        else:
            self._fp32_param = Variable(numpy.array(value, dtype=numpy.float32))

    def use_fp32_update(self, flag: bool = True) -> None:
        """Update float16 parameters through a float32 master copy ("master weights").

        Each update copies the float16 gradient into the float32 copy's gradient, updates the
        float32 copy (hooks and state see the float32 copy), and writes it back rounded to
        float16, so small steps accumulate instead of vanishing in float16 rounding.
        (Micikevicius et al., "Mixed Precision Training", ICLR 2018.)

        Args:
            flag: ``True`` to enable, ``False`` to disable.
        """
        self._use_fp32_update = flag


class Optimizer:
    """Base class of all optimizers: holds the target link, the step count and the hooks.

    A subclass implements :meth:`update`. Methods based on one gradient per step should derive
    from :class:`GradientMethod`, which manages one :class:`UpdateRule` per parameter.

    A hook registered with :meth:`add_hook` is called once per :meth:`update` as
    ``hook(optimizer)``, or, if it has ``call_for_each_param = True``, once per parameter as
    ``hook(param.update_rule, param)``; before the parameters change (``'pre'``) or after
    (``'post'``).

    Attributes:
        target: The link whose parameters are optimized (set by :meth:`setup`).
        t (int): Number of updates made.
        epoch (int): Number of epochs; incremented by :meth:`new_epoch`.
        use_auto_new_epoch (bool): Set by an updater that calls ``new_epoch(auto=True)`` itself.
    """

    target: Any = None
    t = 0
    epoch = 0
    _pre_update_hooks: collections.OrderedDict | None = None
    _post_update_hooks: collections.OrderedDict | None = None
    _loss_scale: float | None = None
    _loss_scale_max = 65504.0  # the largest float16
    _loss_scaling_is_dynamic = False
    _loss_scaling_isnan = False
    use_auto_new_epoch = False

    def setup(self, link: Any) -> Optimizer:
        """Set the target link; resets ``t``, ``epoch`` and the hooks.

        Args:
            link: The :class:`~kusari.Link` to optimize.

        Returns:
            This optimizer, so that ``opt = SGD().setup(model)`` works.

        Raises:
            TypeError: ``link`` is not a :class:`~kusari.Link`.
        """
        if not isinstance(link, Link):
            raise TypeError(
                f"{type(self).__name__}.setup: the optimization target must be a Link, "
                f"got {type(link).__name__}"
            )
        self.target = link
        self.t = 0
        self.epoch = 0
        self._pre_update_hooks = collections.OrderedDict()
        self._post_update_hooks = collections.OrderedDict()
        return self

    def update(self, lossfun: Any = None, *args: Any, **kwds: Any) -> None:
        """Update the parameters of the target (implemented by subclasses).

        Args:
            lossfun: A callable returning the loss :class:`~kusari.Variable`; ``None`` when
                the gradients are already computed.
            *args: Positional arguments of ``lossfun``.
            **kwds: Keyword arguments of ``lossfun``.

        Raises:
            NotImplementedError: Always, in this base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def new_epoch(self, auto: bool = False) -> None:
        """Increment :attr:`epoch`.

        Args:
            auto: ``True`` when an updater calls it (with :attr:`use_auto_new_epoch` set).

        Raises:
            RuntimeError: ``auto`` does not agree with :attr:`use_auto_new_epoch` (the epoch
                would be counted twice, or by nobody).
        """
        if auto and not self.use_auto_new_epoch:
            raise RuntimeError(
                "new_epoch: called with auto=True but use_auto_new_epoch is False; the "
                "updater must set optimizer.use_auto_new_epoch = True"
            )
        if not auto and self.use_auto_new_epoch:
            raise RuntimeError(
                "new_epoch: the updater already counts epochs (use_auto_new_epoch is True); "
                "stop calling new_epoch() yourself or pass auto_new_epoch=False to the updater"
            )
        self.epoch += 1

    def add_hook(self, hook: Any, name: str | None = None, timing: str = "auto") -> None:
        """Register a hook function.

        Args:
            hook: A callable: ``hook(optimizer)``, or ``hook(rule, param)`` if
                ``hook.call_for_each_param`` is true.
            name: Name of the registration; ``hook.name`` (or ``__name__``) by default.
            timing: ``'pre'`` (before the parameters are updated), ``'post'`` (after), or
                ``'auto'`` (the hook's ``timing`` attribute; ``'pre'`` with a warning if absent).

        Raises:
            TypeError: ``hook`` is not callable.
            RuntimeError: :meth:`setup` has not been called.
            ValueError: ``timing`` is invalid or the name is unknown.
            KeyError: A hook of that name exists.
        """
        if not callable(hook):
            raise TypeError(f"add_hook: hook must be callable, got {type(hook).__name__}")
        if self._pre_update_hooks is None or self._post_update_hooks is None:
            raise RuntimeError("add_hook: call setup(link) before add_hook")
        timing = _hook_timing(hook, timing, "add_hook", warn=True)
        name = _hook_name(hook, name, "add_hook")
        if name in self._pre_update_hooks or name in self._post_update_hooks:
            raise KeyError(f"add_hook: a hook named {name!r} already exists")
        hooks = self._pre_update_hooks if timing == "pre" else self._post_update_hooks
        hooks[name] = hook

    def remove_hook(self, name: str) -> None:
        """Remove the hook registered as ``name``.

        Raises:
            KeyError: No hook has that name.
        """
        if self._pre_update_hooks is not None and name in self._pre_update_hooks:
            del self._pre_update_hooks[name]
        elif self._post_update_hooks is not None and name in self._post_update_hooks:
            del self._post_update_hooks[name]
        else:
            raise KeyError(f"remove_hook: no hook named {name!r}")

    def call_hooks(self, timing: str = "pre") -> None:
        """Call the hooks registered for ``timing`` in registration order.

        Args:
            timing: ``'pre'`` or ``'post'``.

        Raises:
            ValueError: ``timing`` is neither.
        """
        if timing not in ("pre", "post"):
            raise ValueError(f"call_hooks: timing must be 'pre' or 'post', got {timing!r}")
        hooks = self._pre_update_hooks if timing == "pre" else self._post_update_hooks
        for hook in hooks.values():
            self.call_hook(hook)

    def call_hook(self, hook: Any) -> None:
        """Call one hook: once with the optimizer, or per parameter with ``(rule, param)``."""
        if getattr(hook, "call_for_each_param", False):
            for param in self.target.params():
                hook(param.update_rule, param)
        else:
            hook(self)

    def serialize(self, serializer: Any) -> None:
        """Save or load ``t``, ``epoch`` and the state of every parameter's update rule.

        The entries are ``t``, ``epoch`` and, per parameter, its rule's entries under the
        parameter's path without the leading slash (``'l1/W/t'``, ``'l1/W/m'``, ...), as in
        Chainer. The parameters themselves are not saved: serialize the link as well.

        Args:
            serializer: A serializer or deserializer (``value = serializer(key, value)``).
        """
        self.t = serializer("t", self.t)
        self.epoch = serializer("epoch", self.epoch)
        for name, param in self.target.namedparams():
            rule = getattr(param, "update_rule", None)
            if rule is not None:
                rule.serialize(serializer[name[1:]])

    def loss_scaling(self, interval: int = 1000, scale: float | None = None) -> None:
        """Configure loss scaling for float16 training.

        The loss is multiplied by the scale before backprop and the gradients are divided by it
        before the update. Static scaling uses ``scale``; dynamic scaling (``scale=None``)
        starts at 1, halves the scale and skips the update when a gradient is not finite,
        doubles it after each good step until the first overflow, and afterwards grows it by
        ``2 ** (1 / interval)`` per good step. (Micikevicius et al., "Mixed Precision
        Training", ICLR 2018.)

        Args:
            interval: Number of good steps that double the scale after the first overflow.
            scale: The static loss scale, or ``None`` for dynamic scaling.

        Raises:
            ValueError: ``interval`` < 1 or ``scale`` <= 0.
        """
        if scale is None:
            if interval < 1:
                raise ValueError(f"loss_scaling: interval must be >= 1, got {interval}")
            self._loss_scaling_is_dynamic = True
            self._loss_scale = 1.0
            self._loss_scaling_multiplier = math.pow(2.0, 1.0 / interval)
            self._loss_scaling_isnan_ever = False
        else:
            if scale <= 0:
                raise ValueError(f"loss_scaling: scale must be positive, got {scale}")
            self._loss_scaling_is_dynamic = False
            self._loss_scaling_isnan = False
            self._loss_scale = scale

    def set_loss_scale(self, loss_scale: float) -> None:
        """Use static loss scaling with ``loss_scale`` (see :meth:`loss_scaling`)."""
        self.loss_scaling(scale=loss_scale)

    def check_nan_in_grads(self) -> None:
        """With dynamic loss scaling, note (and warn) whether any gradient is not finite."""
        self._loss_scaling_isnan = False
        if not self._loss_scaling_is_dynamic:
            return
        for name, param in self.target.namedparams(False):
            grad = param.grad
            if grad is None:
                continue
            xp = backend.get_array_module(grad)
            if not bool(xp.isfinite(grad).all()):
                self._loss_scaling_isnan = True
                self._loss_scaling_isnan_ever = True
                warnings.warn(
                    f"non-finite gradient in {name} (iteration {self.t}, loss scale "
                    f"{self._loss_scale}); skipping this update",
                    stacklevel=2,
                )
                return

    def is_safe_to_update(self) -> bool:
        """Whether the last :meth:`check_nan_in_grads` found all gradients finite."""
        return not self._loss_scaling_isnan

    def update_loss_scale(self) -> None:
        """Adjust the dynamic loss scale after a step (see :meth:`loss_scaling`)."""
        if not self._loss_scaling_is_dynamic:
            return
        if self._loss_scaling_isnan:
            multiplier = 0.5
        elif self._loss_scaling_isnan_ever:
            multiplier = self._loss_scaling_multiplier
        else:
            multiplier = 2.0
        self._loss_scale = max(1.0, min(self._loss_scale_max, self._loss_scale * multiplier))


class GradientMethod(Optimizer):
    """Base class of optimizers that update each parameter from its gradient alone.

    :meth:`setup` gives every parameter of the target a rule from :meth:`create_update_rule`
    whose hyperparameter's parent is :attr:`hyperparam`; a parameter added to the link later
    gets one at its first update. Subclasses implement :meth:`create_update_rule` and expose
    their hyperparameters with :class:`HyperparameterProxy`.

    Attributes:
        hyperparam (Hyperparameter): The defaults of all the update rules.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hyperparam = Hyperparameter()
        self._use_fp32_update = False

    def setup(self, link: Any) -> GradientMethod:
        """Set the target link and give each of its parameters a new update rule.

        Args:
            link: The :class:`~kusari.Link` to optimize.

        Returns:
            This optimizer.

        Raises:
            TypeError: ``link`` is not a Link.
        """
        super().setup(link)
        for param in link.params():
            self._new_rule(param)
        return self

    def _new_rule(self, param: Any) -> UpdateRule:
        rule = self.create_update_rule()
        if self._use_fp32_update:
            rule.use_fp32_update()
        param.update_rule = rule
        return rule

    def create_update_rule(self) -> UpdateRule:
        """Return a new update rule for one parameter (implemented by subclasses).

        Raises:
            NotImplementedError: Always, in this base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement create_update_rule")

    def reallocate_cleared_grads(self) -> None:
        """Give every initialized parameter whose gradient is ``None`` a zero gradient.

        :meth:`update` does the same while it collects the parameters (and again after each
        hook), so a parameter left out of the loss still gets its decay and momentum.
        """
        for param in self.target.params(False):
            if param._grad_var is None:
                param.zerograd()

    def update(self, lossfun: Any = None, *args: Any, **kwds: Any) -> None:
        """Run one optimization step.

        With ``lossfun``, computes ``loss = lossfun(*args, **kwds)``, clears the gradients
        (``target.cleargrads()``) and runs ``loss.backward(loss_scale=...)``; without it, the
        gradients must be computed already. Then gradients that are ``None`` become zeros, the
        ``'pre'`` hooks run, :attr:`t` is incremented, every parameter is updated by its rule,
        and the ``'post'`` hooks run.

        Args:
            lossfun: A callable returning the loss :class:`~kusari.Variable`, or ``None``.
            *args: Positional arguments of ``lossfun``.
            **kwds: Keyword arguments of ``lossfun``.

        Raises:
            RuntimeError: :meth:`setup` has not been called.
        """
        target = self.target
        if target is None:
            raise RuntimeError(f"{type(self).__name__}.update: call setup(link) first")
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            target.cleargrads()
            loss.backward(loss_scale=self._loss_scale)
            del loss

        # speed: one walk over the link serves the zero-filling, the hooks and the updates
        params = list(target.params(False))
        for param in params:
            if param.update_rule is None:
                self._new_rule(param)
            if param._grad_var is None:
                param.zerograd()

        if self._loss_scaling_is_dynamic:
            self.check_nan_in_grads()
        if self._pre_update_hooks:
            self._call_hooks(self._pre_update_hooks, params)
        self.t += 1
        if not self._loss_scaling_isnan:
            for param in params:
                param.update()
        if self._post_update_hooks:
            self._call_hooks(self._post_update_hooks, params)
        if self._loss_scaling_is_dynamic:
            self.update_loss_scale()

    def _call_hooks(self, hooks: collections.OrderedDict, params: list) -> None:
        for hook in hooks.values():
            if getattr(hook, "call_for_each_param", False):
                for param in params:
                    hook(param.update_rule, param)
            else:
                hook(self)
            for param in params:  # a hook may have cleared gradients
                if param._grad_var is None:
                    param.zerograd()

    def call_hooks(self, timing: str = "pre") -> None:
        """Call the hooks registered for ``timing``, refilling cleared gradients after each.

        Args:
            timing: ``'pre'`` or ``'post'``.

        Raises:
            ValueError: ``timing`` is neither.
        """
        if timing not in ("pre", "post"):
            raise ValueError(f"call_hooks: timing must be 'pre' or 'post', got {timing!r}")
        hooks = self._pre_update_hooks if timing == "pre" else self._post_update_hooks
        self._call_hooks(hooks, list(self.target.params(False)))

    def serialize(self, serializer: Any) -> None:
        """Save or load ``t``, ``epoch`` and every rule's state (see :meth:`Optimizer.serialize`).

        Parameters added to the link since :meth:`setup` get their rules first, so a fresh
        optimizer loads every entry a trained one saved.
        """
        for param in self.target.params():
            if param.update_rule is None:
                self._new_rule(param)
        super().serialize(serializer)

    def use_fp32_update(self, flag: bool = True) -> None:
        """Update float16 parameters through float32 master copies, in current and future rules.

        See :meth:`UpdateRule.use_fp32_update`.

        Args:
            flag: ``True`` to enable, ``False`` to disable.
        """
        self._use_fp32_update = flag
        if self.target is not None:
            for param in self.target.params():
                if param.update_rule is not None:
                    param.update_rule.use_fp32_update(flag)
