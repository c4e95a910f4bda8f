"""Links and chains: the building blocks of models (Chainer v7's ``chainer.link``).

A :class:`Link` owns :class:`~kusari.Parameter` objects and *persistent values* (arrays or scalars
saved with the model but not trained, such as the running statistics of batch normalization).
A :class:`Chain` owns named child links and a :class:`ChainList` a list of them, so a model is a
tree of links whose nodes are named by paths like ``'/predictor/l1'``.

Parameters and children are registered by assigning them to attributes inside
:meth:`Link.init_scope`::

    class MLP(kusari.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1 = L.Linear(None, 100)
                self.l2 = L.Linear(100, 10)

        def forward(self, x):
            return self.l2(F.relu(self.l1(x)))

Every traversal (:meth:`Link.params`, :meth:`Link.namedparams`, :meth:`Link.links`, serialization)
visits the parameters of a link in name order and then the children of a chain in name order, as
Chainer v7 does, so the order never depends on the order of registration.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import warnings
from collections.abc import Iterator, MutableSequence
from typing import Any

import numpy

from kusari import backend, initializers
from kusari import serializer as serializer_module
from kusari.variable import Parameter, _is_array

__all__ = ["Chain", "ChainList", "Link"]

_CPU = backend.CpuDevice()
_COPY_MODES = ("init", "copy", "share")


def _is_shape(value: Any) -> bool:
    if value is None or isinstance(value, (int, numpy.integer)):
        return True
    return isinstance(value, (tuple, list)) and all(
        isinstance(s, (int, numpy.integer)) for s in value
    )


def _add_name(names: list[str], name: str) -> None:
    """Insert ``name`` into the sorted list ``names`` unless it is there already."""
    i = bisect.bisect_left(names, name)
    if i == len(names) or names[i] != name:
        names.insert(i, name)


def _discard_name(names: list[str], name: str) -> None:
    """Remove ``name`` from the sorted list ``names`` if it is there."""
    i = bisect.bisect_left(names, name)
    if i < len(names) and names[i] == name:
        del names[i]


def _share_parameter(param: Parameter, device: backend.Device) -> Parameter:
    """Return a new Parameter holding the same array as ``param`` and no gradient."""
    shared = Parameter(param.initializer, name=param.name)
    if param.array is not None:
        shared.array = param.array
    elif device != _CPU:
        shared.to_device(device)
    shared.update_rule = param.update_rule
    return shared


class Link:
    """The building block of models: a holder of parameters and persistent values.

    A :class:`~kusari.Parameter` assigned to an attribute inside :meth:`init_scope` becomes a
    parameter of the link: it is returned by :meth:`params`, moved by :meth:`to_device`, saved by
    :meth:`serialize` and updated by optimizers. Values registered with :meth:`add_persistent` or
    :meth:`register_persistent` are saved and moved too, but not trained.

    Calling a link calls its ``forward`` method, which subclasses define.

    Args:
        params: Legacy way of declaring parameters: each keyword names a parameter, and its value
            is a shape (``None`` for lazy initialization, an int or a tuple of ints, float32) or a
            ``(shape, dtype)`` pair. The parameters are filled with NaN.

    Attributes:
        name (str or None): The name of this link in its parent chain, or ``None``.

    Example:
        >>> class Affine(kusari.Link):
        ...     def __init__(self, n_in, n_out):
        ...         super().__init__()
        ...         with self.init_scope():
        ...             self.W = kusari.Parameter(kusari.initializers.LeCunNormal(), (n_out, n_in))
        ...             self.b = kusari.Parameter(0, (n_out,))
        ...     def forward(self, x):
        ...         return F.linear(x, self.W, self.b)
        >>> [name for name, _ in Affine(3, 2).namedparams()]
        ['/W', '/b']
    """

    _within_init_scope = False

    def __init__(self, **params: Any) -> None:
        self._params: list[str] = []
        self._persistent: list[str] = []
        self._device: backend.Device = _CPU
        self.name: str | None = None
        for name, value in params.items():
            if _is_shape(value):
                shape, dtype = value, numpy.float32
            else:
                shape, dtype = value
            self.add_param(name, shape, dtype=dtype)

    # -- registration -------------------------------------------------------------------------
    @property
    def within_init_scope(self) -> bool:
        """Whether the code runs inside :meth:`init_scope` of this link."""
        return self._within_init_scope

    @contextlib.contextmanager
    def init_scope(self) -> Iterator[None]:
        """Open a scope in which assigning a Parameter (or a Link, for a Chain) registers it.

        Raises:
            RuntimeError: ``Link.__init__`` has not been called yet (a subclass forgot
                ``super().__init__()``).

        Example:
            >>> link = kusari.Link()
            >>> with link.init_scope():
            ...     link.W = kusari.Parameter(0, (2, 3))
            >>> [p.shape for p in link.params()]
            [(2, 3)]
        """
        if "_params" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.init_scope: Link.__init__ has not been called; call "
                "super().__init__() at the start of __init__"
            )
        old = self._within_init_scope
        self._within_init_scope = True
        try:
            yield
        finally:
            self._within_init_scope = old

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Parameter):
            value.name = name
            _add_name(self._params, name)
            _discard_name(self._persistent, name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        _discard_name(self._params, name)
        _discard_name(self._persistent, name)
        object.__delattr__(self, name)

    def add_param(
        self,
        name: str,
        shape: Any = None,
        dtype: Any = numpy.float32,
        initializer: Any = None,
    ) -> None:
        """Register a new parameter (the legacy form of assigning one inside :meth:`init_scope`).

        Args:
            name: Name of the parameter, also the attribute name.
            shape: An int or a tuple of ints; ``None`` leaves the parameter uninitialized until
                :meth:`~kusari.Parameter.initialize` is called.
            dtype: Data type of the array, used only when ``initializer`` is ``None`` (the array
                is then filled with NaN).
            initializer: An initializer, a scalar or an array (see :class:`~kusari.Parameter`).

        Raises:
            AttributeError: The link already has an attribute ``name``.
        """
        if name in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.add_param: cannot register a new parameter {name!r}: "
                "the attribute exists"
            )
        if initializer is None:
            initializer = initializers.NaN(dtype)
        param = Parameter(initializer, shape)
        if self._device != _CPU:
            param.to_device(self._device)
        with self.init_scope():
            setattr(self, name, param)

    def add_persistent(self, name: str, value: Any) -> None:
        """Register a new persistent value: saved, loaded and moved with the link, not trained.

        Args:
            name: Name of the value, also the attribute name.
            value: An array, a scalar or any value a serializer accepts.

        Raises:
            AttributeError: The link already has an attribute ``name``.
        """
        if name in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.add_persistent: cannot register a new persistent value "
                f"{name!r}: the attribute exists"
            )
        _add_name(self._persistent, name)
        _discard_name(self._params, name)
        object.__setattr__(self, name, value)

    def register_persistent(self, name: str) -> None:
        """Register the existing attribute ``name`` as a persistent value.

        A parameter of that name stops being a parameter.

        Args:
            name: Name of the attribute.

        Raises:
            AttributeError: The link has no attribute ``name``.
        """
        if not hasattr(self, name):
            raise AttributeError(
                f"{type(self).__name__}.register_persistent: cannot register the non-existent "
                f"attribute {name!r} as a persistent value"
            )
        _add_name(self._persistent, name)
        _discard_name(self._params, name)

    # -- calling ------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call :meth:`forward` with the same arguments and return its result."""
        return self.forward(*args, **kwargs)

    # -- traversal ----------------------------------------------------------------------------
    def params(self, include_uninit: bool = True) -> Iterator[Parameter]:
        """Iterate over the parameters of this link and its descendants.

        Args:
            include_uninit: Whether to include parameters whose array is not created yet.

        Yields:
            Each :class:`~kusari.Parameter`, this link's in name order, then each child's.
        """
        d = self.__dict__
        for name in self._params:
            param = d[name]
            if include_uninit or param.array is not None:
                yield param

    def namedparams(self, include_uninit: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(path, parameter)`` pairs, paths relative to this link (``'/l1/W'``).

        Args:
            include_uninit: Whether to include parameters whose array is not created yet.

        Yields:
            ``(path, parameter)`` in the order of :meth:`params`.
        """
        d = self.__dict__
        for name in self._params:
            param = d[name]
            if include_uninit or param.array is not None:
                yield "/" + name, param

    def links(self, skipself: bool = False) -> Iterator[Link]:
        """Iterate over this link (unless ``skipself``) and all its descendants, depth first.

        Args:
            skipself: Whether to leave out this link itself.
        """
        if not skipself:
            yield self

    def namedlinks(self, skipself: bool = False) -> Iterator[tuple[str, Link]]:
        """Iterate over ``(path, link)`` pairs: ``('/', self)``, ``('/l1', child)``, ...

        Args:
            skipself: Whether to leave out ``('/', self)``.
        """
        if not skipself:
            yield "/", self

    def children(self) -> Iterator[Link]:
        """Iterate over the direct child links (none for a plain Link)."""
        yield from ()

    def count_params(self) -> int:
        """Return the number of scalars in all initialized parameters of the hierarchy.

        Warns (``UserWarning``) about each uninitialized parameter, which is not counted.
        """
        size = 0
        for path, param in self.namedparams():
            if param.array is None:
                warnings.warn(
                    f"count_params: the parameter {path!r} is not initialized, so it is not "
                    "counted",
                    stacklevel=2,
                )
                continue
            size += param.size
        return size

    # -- gradients and parameter values -------------------------------------------------------
    def cleargrads(self) -> None:
        """Set the gradient of every parameter in the hierarchy to ``None``.

        Call it before each backward pass (or let the optimizer do it).
        """
        for link in self.links():
            d = link.__dict__
            for name in link._params:
                d[name].cleargrad()

    def zerograds(self) -> None:
        """Fill the gradient of every parameter in the hierarchy with zeros.

        :meth:`cleargrads` does the same job faster; this method is kept for old code.
        """
        for param in self.params():
            param.zerograd()

    def addgrads(self, link: Link) -> None:
        """Add the gradients of the parameters of ``link`` to those of this link.

        Args:
            link: A link of the same structure; its gradients may live on another device.
        """
        src = link.__dict__
        dst = self.__dict__
        for name in self._params:
            dst[name].addgrad(src[name])

    def copyparams(self, link: Link, copy_persistent: bool = True) -> None:
        """Copy the parameter arrays (not the gradients) of ``link`` into this link's, in place.

        Args:
            link: A link of the same structure, on any device.
            copy_persistent: Whether to copy the persistent values too: arrays element-wise,
                anything else with :func:`copy.deepcopy`.
        """
        src = link.__dict__
        dst = self.__dict__
        for name in self._params:
            dst[name].copydata(src[name])
        if copy_persistent:
            for name in self._persistent:
                value = src[name]
                if _is_array(dst[name]) and _is_array(value):
                    backend.copyto(dst[name], value)
                else:
                    object.__setattr__(self, name, copy.deepcopy(value))

    def enable_update(self) -> None:
        """Enable the update rule of every parameter in the hierarchy."""
        for param in self.params():
            rule = param.update_rule
            if rule is not None:
                rule.enabled = True

    def disable_update(self) -> None:
        """Disable the update rule of every parameter in the hierarchy (freeze the link)."""
        for param in self.params():
            rule = param.update_rule
            if rule is not None:
                rule.enabled = False

    @property
    def update_enabled(self) -> bool:
        """``True`` if at least one parameter has an enabled update rule."""
        for param in self.params():
            rule = param.update_rule
            if rule is not None and rule.enabled:
                return True
        return False

    # -- devices ------------------------------------------------------------------------------
    @property
    def device(self) -> backend.Device:
        """The :class:`~kusari.backend.Device` that holds the link's arrays."""
        return self._device

    @property
    def xp(self) -> Any:
        """The array module of the link's device: ``numpy`` or ``cupy``."""
        return self._device.xp

    def to_device(self, device: Any) -> Link:
        """Move every parameter and persistent array of the hierarchy to ``device``, in place.

        Uninitialized parameters are created on ``device`` when they are initialized.

        Args:
            device: A device spec: ``'@numpy'``, ``'@cupy:N'``, a GPU id, a Device, ...
                (see :func:`kusari.get_device`).

        Returns:
            This link.
        """
        dev = backend.get_device(device)
        for link in self.links():
            d = link.__dict__
            for name in link._params:
                d[name].to_device(dev)
            for name in link._persistent:
                value = d[name]
                if _is_array(value):
                    d[name] = dev.send(value)
            link._device = dev
        return self

    def to_cpu(self) -> Link:
        """Move the hierarchy to the host (NumPy); returns this link."""
        return self.to_device(_CPU)

    def to_gpu(self, device: Any = None) -> Link:
        """Move the hierarchy to a GPU (CuPy); returns this link.

        Args:
            device: GPU id or ``cupy.cuda.Device``; ``None`` for the current GPU.

        Raises:
            RuntimeError: CuPy or a GPU is not available.
        """
        from kusari.backends import cuda

        cuda.check_cuda_available()
        dev_id = getattr(device, "id", device)
        if dev_id is None:
            dev_id = cuda.cupy.cuda.Device().id
        return self.to_device(int(dev_id))

    # -- serialization ------------------------------------------------------------------------
    def serialize(self, serializer: serializer_module.AbstractSerializer) -> None:
        """Save or load the parameters and persistent values (and the children's, in Chain).

        Each parameter is stored under its name; an uninitialized one is saved as ``None``
        and, when loading an array into it, it is first initialized with the array's shape.

        Args:
            serializer: A serializer or deserializer, e.g. the ones
                :func:`kusari.serializers.save_npz` and :func:`~kusari.serializers.load_npz` use.
        """
        d = self.__dict__
        for name in self._params:
            param = d[name]
            data = serializer(name, param.array)
            if param.array is None and data is not None:
                param._initialize_from(data)
        for name in self._persistent:
            value = d[name]
            loaded = serializer(name, value)
            if value is None and _is_array(loaded):
                loaded = self._device.send(loaded)
            d[name] = loaded

    # -- copies -------------------------------------------------------------------------------
    def copy(self, mode: str = "share") -> Link:
        """Copy the link hierarchy.

        The copy's :attr:`name` is ``None``: it belongs to no chain.

        Args:
            mode: ``'share'``: new link objects whose parameters share the arrays of this one
                (no gradients); ``'copy'``: a deep copy, with independent arrays of equal values;
                ``'init'``: a deep copy whose initialized parameters are filled again by their
                initializers.

        Returns:
            The copied link.

        Raises:
            ValueError: ``mode`` is not one of the three above.
        """
        if mode == "share":
            return self._copy_shared()
        if mode == "copy":
            return copy.deepcopy(self)
        if mode == "init":
            ret = copy.deepcopy(self)
            for param in ret.params(include_uninit=False):
                param.initialize(param.shape)
            return ret
        raise ValueError(
            f"{type(self).__name__}.copy: mode must be 'init', 'copy' or 'share', got {mode!r}"
        )

    def _copy_shared(self) -> Link:
        """Return a shallow copy with new Parameter objects sharing this link's arrays."""
        ret = copy.copy(self)
        d = ret.__dict__
        d["_params"] = list(self._params)
        d["_persistent"] = list(self._persistent)
        d["name"] = None
        for name in self._params:
            d[name] = _share_parameter(d[name], self._device)
        return ret

    def __deepcopy__(self, memo: dict[int, Any]) -> Link:
        ret = type(self).__new__(type(self))
        memo[id(self)] = ret
        src = self.__dict__
        d = ret.__dict__
        for key, value in src.items():
            # Devices are immutable handles (a GPU device holds the cupy module): share them.
            d[key] = value if key == "_device" else copy.deepcopy(value, memo)
        for name in self._params:
            param = d[name]
            param.initializer = copy.deepcopy(src[name].initializer, memo)
            param.update_rule = copy.deepcopy(src[name].update_rule, memo)
            if self._device != _CPU:
                param.to_device(self._device)
        return ret

    def repeat(self, n_repeat: int, mode: str = "init") -> Any:
        """Return a :class:`~kusari.Sequential` of ``n_repeat`` copies of this link.

        Args:
            n_repeat: Number of copies; ``0`` or less gives an empty Sequential.
            mode: How each copy is made (see :meth:`copy`): ``'init'`` (default) re-initializes
                the parameters, ``'copy'`` copies their values, ``'share'`` shares the arrays.

        Returns:
            kusari.Sequential: The copies in order.

        Raises:
            ValueError: ``mode`` is not ``'init'``, ``'copy'`` or ``'share'``.

        Example:
            >>> block = kusari.Sequential(L.Linear(4, 4), F.relu)
            >>> net = block.repeat(3)
            >>> len(net)
            3
        """
        from kusari.sequential import Sequential

        if mode not in _COPY_MODES:
            raise ValueError(
                f"{type(self).__name__}.repeat: mode must be 'init', 'copy' or 'share', "
                f"got {mode!r}"
            )
        ret = Sequential()
        for _ in range(n_repeat):
            ret.append(self.copy(mode))
        return ret


class Chain(Link):
    """A link made of named child links, the usual base class of models.

    A Link assigned to an attribute inside :meth:`~Link.init_scope` becomes a child: it is
    visited by :meth:`params`, :meth:`links`, :meth:`serialize`, :meth:`to_device`, ... and its
    :attr:`~Link.name` is set to the attribute name. Paths of descendants join names with
    ``'/'``: the parameter ``W`` of the child ``l1`` is ``'/l1/W'`` and is saved as ``'l1/W'``.

    Args:
        links: Legacy way of adding children: each keyword is a child's name.

    Example:
        >>> class MLP(kusari.Chain):
        ...     def __init__(self):
        ...         super().__init__()
        ...         with self.init_scope():
        ...             self.l1 = L.Linear(3, 4)
        ...             self.l2 = L.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.l2(F.relu(self.l1(x)))
        >>> [path for path, _ in MLP().namedparams()]
        ['/l1/W', '/l1/b', '/l2/W', '/l2/b']
    """

    def __init__(self, **links: Link) -> None:
        super().__init__()
        self._children: list[str] = []
        for name, link in links.items():
            self.add_link(name, link)

    def __getitem__(self, name: str) -> Any:
        """Return the attribute ``name`` (usually a child link)."""
        return getattr(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Link):
            if hasattr(self, name):
                raise AttributeError(
                    f"{type(self).__name__}: cannot register a new link {name!r}: the attribute "
                    "exists"
                )
            value.name = name
            _add_name(self._children, name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        _discard_name(self._children, name)
        super().__delattr__(name)

    def add_link(self, name: str, link: Link) -> None:
        """Register ``link`` as the child ``name`` (the legacy form of assigning it in init_scope).

        Args:
            name: Name of the child, also the attribute name.
            link: The child link.

        Raises:
            AttributeError: The chain already has an attribute ``name``.
            TypeError: ``link`` is not a Link.
        """
        if name in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.add_link: cannot register a new link {name!r}: the "
                "attribute exists"
            )
        if not isinstance(link, Link):
            raise TypeError(
                f"{type(self).__name__}.add_link: expected a Link, got {type(link).__name__}"
            )
        with self.init_scope():
            setattr(self, name, link)

    def params(self, include_uninit: bool = True) -> Iterator[Parameter]:
        """Iterate over this link's parameters, then each child's (see :meth:`Link.params`)."""
        yield from super().params(include_uninit)
        d = self.__dict__
        for name in self._children:
            yield from d[name].params(include_uninit)

    def namedparams(self, include_uninit: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(path, parameter)`` pairs of the hierarchy (``'/l1/W'``, ...)."""
        yield from super().namedparams(include_uninit)
        d = self.__dict__
        for name in self._children:
            prefix = "/" + name
            for path, param in d[name].namedparams(include_uninit):
                yield prefix + path, param

    def links(self, skipself: bool = False) -> Iterator[Link]:
        """Iterate over this link (unless ``skipself``) and all descendants, depth first."""
        if not skipself:
            yield self
        d = self.__dict__
        for name in self._children:
            yield from d[name].links()

    def namedlinks(self, skipself: bool = False) -> Iterator[tuple[str, Link]]:
        """Iterate over ``(path, link)`` pairs: ``('/', self)``, then each descendant."""
        if not skipself:
            yield "/", self
        d = self.__dict__
        for name in self._children:
            child = d[name]
            prefix = "/" + name
            yield prefix, child
            for path, link in child.namedlinks(skipself=True):
                yield prefix + path, link

    def children(self) -> Iterator[Link]:
        """Iterate over the direct child links."""
        d = self.__dict__
        for name in self._children:
            yield d[name]

    def addgrads(self, link: Link) -> None:
        """Add the gradients of ``link`` (same structure) to this hierarchy's gradients."""
        super().addgrads(link)
        src = link.__dict__
        d = self.__dict__
        for name in self._children:
            d[name].addgrads(src[name])

    def copyparams(self, link: Link, copy_persistent: bool = True) -> None:
        """Copy the parameters (and persistent values) of ``link`` into this hierarchy."""
        super().copyparams(link, copy_persistent)
        src = link.__dict__
        d = self.__dict__
        for name in self._children:
            d[name].copyparams(src[name], copy_persistent)

    def serialize(self, serializer: serializer_module.AbstractSerializer) -> None:
        """Save or load this link's parameters and persistents, then each child's."""
        super().serialize(serializer)
        d = self.__dict__
        for name in self._children:
            d[name].serialize(serializer[name])

    def _copy_shared(self) -> Chain:
        ret = super()._copy_shared()
        d = ret.__dict__
        d["_children"] = list(self._children)
        for name in self._children:
            child = d[name].copy("share")
            child.name = name
            d[name] = child
        return ret


class ChainList(Link, MutableSequence):
    """A link made of a list of child links, named ``'0'``, ``'1'``, ... by position.

    It behaves like a list of links: indexing, slicing, ``len``, iteration, :meth:`append`,
    ``insert``, ``del``, ``pop``, ... Children are not registered by attribute assignment.

    Args:
        links: The initial children, in order.

    Example:
        >>> mlp = kusari.ChainList(L.Linear(3, 4), L.Linear(4, 2))
        >>> [path for path, _ in mlp.namedparams()]
        ['/0/W', '/0/b', '/1/W', '/1/b']
    """

    def __init__(self, *links: Link) -> None:
        super().__init__()
        self._children: list[Link] = []
        for link in links:
            self.add_link(link)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._within_init_scope and isinstance(value, Link):
            raise TypeError(
                f"{type(self).__name__}: cannot register a link by assigning it to an attribute "
                "inside init_scope(); use append() or add_link()"
            )
        super().__setattr__(name, value)

    def _check_link(self, link: Any) -> None:
        if not isinstance(link, Link):
            raise TypeError(f"{type(self).__name__}: expected a Link, got {type(link).__name__}")

    def _rename_children(self) -> None:
        for i, child in enumerate(self._children):
            child.name = str(i)

    def __getitem__(self, index: Any) -> Any:
        """Return the child at ``index`` (a list of children for a slice)."""
        return self._children[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        """Replace the child at ``index`` (or the children of a slice)."""
        if isinstance(index, slice):
            value = list(value)
            for link in value:
                self._check_link(link)
        else:
            self._check_link(value)
        self._children[index] = value
        self._rename_children()

    def __delitem__(self, index: Any) -> None:
        """Remove the child at ``index`` (or the children of a slice) and rename the rest."""
        del self._children[index]
        self._rename_children()

    def __len__(self) -> int:
        """Return the number of children."""
        return len(self._children)

    def __iter__(self) -> Iterator[Link]:
        """Iterate over the children in order."""
        return iter(self._children)

    def insert(self, index: int, link: Link) -> None:
        """Insert ``link`` before position ``index`` and rename the children after it.

        Raises:
            TypeError: ``link`` is not a Link.
        """
        self._check_link(link)
        self._children.insert(index, link)
        self._rename_children()

    def add_link(self, link: Link) -> None:
        """Append ``link`` as the last child (the same as :meth:`append`).

        Raises:
            TypeError: ``link`` is not a Link.
        """
        self._check_link(link)
        link.name = str(len(self._children))
        self._children.append(link)

    def append(self, link: Link) -> None:
        """Append ``link`` as the last child.

        Raises:
            TypeError: ``link`` is not a Link.
        """
        self.add_link(link)

    def params(self, include_uninit: bool = True) -> Iterator[Parameter]:
        """Iterate over this link's parameters, then each child's (see :meth:`Link.params`)."""
        yield from super().params(include_uninit)
        for child in self._children:
            yield from child.params(include_uninit)

    def namedparams(self, include_uninit: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(path, parameter)`` pairs of the hierarchy (``'/l1/W'``, ...)."""
        yield from super().namedparams(include_uninit)
        for idx, child in enumerate(self._children):
            prefix = f"/{idx}"
            for path, param in child.namedparams(include_uninit):
                yield prefix + path, param

    def links(self, skipself: bool = False) -> Iterator[Link]:
        """Iterate over this link (unless ``skipself``) and all descendants, depth first."""
        if not skipself:
            yield self
        for child in self._children:
            yield from child.links()

    def namedlinks(self, skipself: bool = False) -> Iterator[tuple[str, Link]]:
        """Iterate over ``(path, link)`` pairs: ``('/', self)``, then each descendant."""
        if not skipself:
            yield "/", self
        for idx, child in enumerate(self._children):
            prefix = f"/{idx}"
            yield prefix, child
            for path, link in child.namedlinks(skipself=True):
                yield prefix + path, link

    def children(self) -> Iterator[Link]:
        """Iterate over the direct child links."""
        yield from self._children

    def addgrads(self, link: Link) -> None:
        """Add the gradients of ``link`` (same structure) to this hierarchy's gradients."""
        super().addgrads(link)
        for dst, src in zip(self._children, link._children, strict=True):
            dst.addgrads(src)

    def copyparams(self, link: Link, copy_persistent: bool = True) -> None:
        """Copy the parameters (and persistent values) of ``link`` into this hierarchy."""
        super().copyparams(link, copy_persistent)
        for dst, src in zip(self._children, link._children, strict=True):
            dst.copyparams(src, copy_persistent)

    def serialize(self, serializer: serializer_module.AbstractSerializer) -> None:
        """Save or load this link's parameters and persistents, then each child's."""
        super().serialize(serializer)
        for idx, child in enumerate(self._children):
            child.serialize(serializer[str(idx)])

    def _copy_shared(self) -> ChainList:
        ret = super()._copy_shared()
        children = []
        for idx, child in enumerate(self._children):
            copied = child.copy("share")
            copied.name = str(idx)
            children.append(copied)
        ret.__dict__["_children"] = children
        return ret
