"""Variable and Parameter: arrays that remember how they were computed.

A :class:`Variable` holds an array and, when a :class:`~kusari.FunctionNode` made it, a reference to
that node (``creator_node``). Calling :meth:`Variable.backward` walks those references back and
fills ``grad`` on the leaves. Arithmetic operators, ``reshape``, ``transpose`` and ``__getitem__``
are installed on the class when :mod:`kusari.functions` is imported (see
``kusari/functions/_variable_methods.py``), so this module needs no function implementations.
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend, initializers
from kusari.configuration import config

_ARRAY_TYPES: tuple[type, ...] = (numpy.ndarray,)


def _is_array(x: Any) -> bool:
    return isinstance(x, _ARRAY_TYPES) or type(x).__module__.startswith("cupy")


def _check_array(x: Any, what: str) -> None:
    if x is not None and not _is_array(x):
        raise TypeError(
            f"Variable: {what} must be a numpy.ndarray or cupy.ndarray, got {type(x).__name__}"
        )


class Variable:
    """An array with a record of the computation that produced it.

    Args:
        data: The initial array ``(...)``, NumPy or CuPy, or ``None`` (no array yet).
        name: Name shown in ``repr`` and used by graph dumps.
        grad: Initial gradient array, of ``data``'s shape and dtype.
        requires_grad: Whether backprop computes a gradient for this variable.

    Raises:
        TypeError: ``data`` or ``grad`` is not an array (e.g. a list or a Python float).

    Example:
        >>> x = kusari.Variable(numpy.array([1., 2.], numpy.float32))
        >>> y = F.sum(x * x)
        >>> y.backward()
        >>> x.grad
        array([2., 4.], dtype=float32)
    """

    __slots__ = (
        "_data",
        "_grad_var",
        "_requires_grad",
        "_output_index",
        "creator_node",
        "rank",
        "name",
        "__weakref__",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        name: str | None = None,
        grad: Any = None,
        requires_grad: bool = True,
    ) -> None:
        _check_array(data, "data")
        self._data = data
        self.name = name
        self._requires_grad = requires_grad
        self.creator_node = None
        self.rank = 0
        self._output_index = 0
        self._grad_var = None
        if grad is not None:
            self.grad = grad

    # -- array and gradient -------------------------------------------------------------------
    @property
    def array(self) -> Any:
        """The underlying array (``numpy.ndarray`` or ``cupy.ndarray``), or ``None``."""
        return self._data

    @array.setter
    def array(self, value: Any) -> None:
        _check_array(value, "array")
        self._data = value

    data = array

    @property
    def grad_var(self) -> Variable | None:
        """The gradient as a :class:`Variable` (it may carry a graph after double backprop)."""
        return self._grad_var

    @grad_var.setter
    def grad_var(self, g: Variable | None) -> None:
        if g is not None and not isinstance(g, Variable):
            raise TypeError(f"Variable.grad_var must be a Variable or None, got {type(g).__name__}")
        if g is not None:
            self._check_grad(g._data)
        self._grad_var = g

    @property
    def grad(self) -> Any:
        """The gradient array, or ``None`` before backprop or after :meth:`cleargrad`."""
        g = self._grad_var
        return None if g is None else g._data

    @grad.setter
    def grad(self, g: Any) -> None:
        if g is None:
            self._grad_var = None
            return
        _check_array(g, "grad")
        self._check_grad(g)
        self._grad_var = Variable(g, requires_grad=False)

    def _check_grad(self, g: Any) -> None:
        data = self._data
        if data is None or g is None:
            return
        if g.shape != data.shape:
            raise ValueError(f"Variable.grad: shape {g.shape} != data shape {data.shape}")
        if g.dtype != data.dtype:
            raise TypeError(f"Variable.grad: dtype {g.dtype} != data dtype {data.dtype}")

    @property
    def requires_grad(self) -> bool:
        """Whether backprop computes a gradient for this variable."""
        return self._requires_grad

    @property
    def creator(self) -> Any:
        """The :class:`FunctionNode` that created this variable, or ``None`` for a leaf."""
        return self.creator_node

    @creator.setter
    def creator(self, node: Any) -> None:
        self.set_creator_node(node)

    def set_creator_node(self, fnode: Any) -> None:
        """Make ``fnode`` this variable's creator (its rank becomes ``fnode.rank + 1``)."""
        self.creator_node = fnode
        if fnode is not None:
            self.rank = fnode.rank + 1

    def set_creator(self, gen_func: Any) -> None:
        """Alias of :meth:`set_creator_node` (Chainer compatible)."""
        self.set_creator_node(gen_func)

    # -- array-like attributes ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the array."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions of the array."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """Number of elements of the array."""
        return self._data.size

    @property
    def dtype(self) -> numpy.dtype:
        """Dtype of the array."""
        return self._data.dtype

    @property
    def label(self) -> str:
        """A short description such as ``(2, 3), float32``."""
        if self._data is None:
            return "None"
        shape = ", ".join(str(s) for s in self._data.shape)
        return f"({shape}), {self._data.dtype}"

    @property
    def T(self) -> Variable:  # noqa: N802 (NumPy's name)
        """The transpose (all axes reversed), recorded in the graph."""
        return self.transpose()

    @property
    def xp(self) -> Any:
        """The array module of the data: ``numpy`` or ``cupy``."""
        return backend.get_array_module(self._data)

    @property
    def device(self) -> backend.Device:
        """The :class:`~kusari.backend.Device` that holds the data."""
        return backend.get_device_from_array(self._data)

    def __len__(self) -> int:
        if self._data is None or self._data.ndim == 0:
            raise TypeError("len() of a 0-dimensional or empty Variable")
        return len(self._data)

    def item(self) -> Any:
        """The single element of the array as a Python scalar."""
        return self._data.item()

    def __repr__(self) -> str:
        name = "" if self.name is None else f" {self.name}"
        prefix = f"variable{name}("
        if self._data is None:
            return f"{prefix}None)"
        body = numpy.array2string(
            backend.CpuDevice().send(self._data), separator=", ", prefix=prefix
        )
        return f"{prefix}{body})"

    def __str__(self) -> str:
        body = "None" if self._data is None else str(self._data)
        name = "" if self.name is None else f" {self.name}"
        return f"variable{name}({body})"

    # -- comparisons are not defined: point to .array ------------------------------------------
    def _no_compare(self, op: str) -> Any:
        raise TypeError(
            f"Variable does not support '{op}'; compare the arrays instead, e.g. `x.array {op} y`"
        )

    def __eq__(self, other: object) -> bool:
        return self._no_compare("==")

    def __ne__(self, other: object) -> bool:
        return self._no_compare("!=")

    def __lt__(self, other: object) -> bool:
        return self._no_compare("<")

    def __le__(self, other: object) -> bool:
        return self._no_compare("<=")

    def __gt__(self, other: object) -> bool:
        return self._no_compare(">")

    def __ge__(self, other: object) -> bool:
        return self._no_compare(">=")

    def __bool__(self) -> bool:
        raise TypeError(
            "The truth value of a Variable is ambiguous; test its array instead, "
            "e.g. `bool(x.array)` or `x.array.any()`"
        )

    __hash__ = object.__hash__
    # make NumPy hand ``ndarray <op> Variable`` to the Variable's reflected operator
    __array_ufunc__ = None
    __array_priority__ = 200

    # -- gradients ---------------------------------------------------------------------------
    def cleargrad(self) -> None:
        """Set the gradient to ``None``."""
        self._grad_var = None

    def zerograd(self) -> None:
        """Set the gradient to an array of zeros of the data's shape and dtype."""
        self._grad_var = Variable(self.xp.zeros_like(self._data), requires_grad=False)

    def copydata(self, var: Variable) -> None:
        """Copy the array of ``var`` into this variable's array, in place, across devices."""
        src = var._data if isinstance(var, Variable) else var
        if self._data is None:
            self._data = self.device.send(src).copy()
        else:
            backend.copyto(self._data, src)

    def addgrad(self, var: Variable) -> None:
        """Add the gradient of ``var`` to this variable's gradient (moving it across devices)."""
        src = var.grad
        if src is None:
            return
        src = self.device.send(src)
        if self._grad_var is None:
            self.grad = src.copy()
        else:
            self._grad_var._data = self._grad_var._data + src

    def backward(
        self,
        retain_grad: bool = False,
        enable_double_backprop: bool = False,
        loss_scale: float | None = None,
    ) -> None:
        """Run backprop from this variable, accumulating ``grad`` on every leaf that needs one.

        When this variable holds a single element and has no ``grad``, the initial gradient is 1.

        Args:
            retain_grad: Keep the gradients of intermediate variables too.
            enable_double_backprop: Record the backward computation so its result can itself be
                differentiated (needed for gradient penalties, Hessian-vector products, ...).
            loss_scale: Multiply the initial gradient by this factor; parameters remember it and
                the optimizer divides their gradients back (loss scaling for float16 training).

        Raises:
            ValueError: The variable holds more than one element and has no ``grad`` set.
        """
        from kusari._backprop import backprop

        if self.creator_node is None:
            return
        if self._grad_var is None:
            if self._data.size != 1:
                raise ValueError(
                    f"backward: the output has shape {self._data.shape}, not a single element; "
                    "set its .grad to the initial gradient before calling backward()"
                )
            self._grad_var = Variable(self.xp.ones_like(self._data), requires_grad=False)
        backprop(
            (self,),
            (self._grad_var,),
            retain_grad=retain_grad,
            enable_double_backprop=enable_double_backprop,
            loss_scale=loss_scale,
        )

    # -- graph surgery -----------------------------------------------------------------------
    def unchain(self) -> None:
        """Forget the creator: this variable becomes a leaf of later graphs."""
        self.creator_node = None

    def unchain_backward(self) -> None:
        """Forget every creator reachable backward from this variable, freeing the graph."""
        stack = [self.creator_node] if self.creator_node is not None else []
        seen = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for x in node.inputs or ():
                if x.creator_node is not None:
                    stack.append(x.creator_node)
                x.creator_node = None
            node.unchain()
        self.creator_node = None

    # -- devices ------------------------------------------------------------------------------
    def to_device(self, device: Any) -> Variable:
        """Move the array and gradient to ``device`` in place (see :func:`kusari.get_device`)."""
        dev = backend.get_device(device)
        if self._data is not None:
            self._data = dev.send(self._data)
        if self._grad_var is not None:
            self._grad_var.to_device(dev)
        return self

    def to_cpu(self) -> Variable:
        """Move the array and gradient to the host (NumPy) in place."""
        return self.to_device("@numpy")

    def to_gpu(self, device: Any = None) -> Variable:
        """Move the array and gradient to a GPU (CuPy) in place.

        Args:
            device: GPU id or ``cupy.cuda.Device``; ``None`` for the current GPU.
        """
        from kusari.backends import cuda

        cuda.check_cuda_available()
        dev_id = getattr(device, "id", device)
        if dev_id is None:
            dev_id = cuda.cupy.cuda.Device().id
        return self.to_device(int(dev_id))


def _make_output(data: Any, node: Any, index: int) -> Variable:
    """Create the ``index``-th output Variable of ``node`` without the checks of ``__init__``."""
    v = Variable.__new__(Variable)
    v._data = data
    v._grad_var = None
    v._requires_grad = True
    v._output_index = index
    v.creator_node = node
    v.rank = node.rank + 1
    v.name = None
    return v


def _make_variable(data: Any, requires_grad: bool) -> Variable:
    """Create a leaf Variable without the checks of ``__init__`` (data is known to be an array)."""
    v = Variable.__new__(Variable)
    v._data = data
    v._grad_var = None
    v._requires_grad = requires_grad
    v._output_index = 0
    v.creator_node = None
    v.rank = 0
    v.name = None
    return v


class Parameter(Variable):
    """A trainable Variable owned by a Link, with an initializer for lazy initialization.

    Args:
        initializer: An :class:`~kusari.initializer.Initializer`, a scalar (a constant), an array
            (used as the initial data), or ``None`` (NaN until set).
        shape: The shape to initialize now; ``None`` defers initialization until
            :meth:`initialize` (for example the first call of a ``Linear(None, n)``).
        name: Name of the parameter (``'W'``, ``'b'``, ...).

    Example:
        >>> W = kusari.Parameter(kusari.initializers.HeNormal(), (3, 4))
        >>> W.shape
        (3, 4)
    """

    __slots__ = ("initializer", "update_rule", "_loss_scale", "_init_device", "__dict__")

    def __init__(self, initializer: Any = None, shape: Any = None, name: str | None = None) -> None:
        if _is_array(initializer):
            super().__init__(initializer, name=name)
            self.initializer = initializers.Constant(initializer)
        else:
            super().__init__(None, name=name)
            self.initializer = (
                initializers.NaN() if initializer is None else initializers._get_initializer(
                    initializer
                )
            )
        self.update_rule = None
        self._loss_scale = None
        self._init_device = None
        if shape is not None and self._data is None:
            self.initialize(shape)

    @property
    def is_initialized(self) -> bool:
        """Whether the array exists (``False`` for a lazily initialized parameter)."""
        return self._data is not None

    @property
    def dtype(self) -> numpy.dtype:
        """Dtype of the array, or the initializer's dtype before initialization."""
        if self._data is not None:
            return self._data.dtype
        dtype = getattr(self.initializer, "dtype", None)
        return numpy.dtype(dtype if dtype is not None else config.dtype)

    def initialize(self, shape: Any) -> None:
        """Create the array of ``shape`` with the initializer, on the parameter's device.

        Args:
            shape: An int or a tuple of ints.
        """
        device = backend.get_device(self._init_device)
        self._data = initializers.generate_array(
            self.initializer, shape, device.xp, device=device
        )
        if self._grad_var is not None:
            self.zerograd()

    def _initialize_from(self, data: Any) -> None:
        """Create the array as a copy of ``data`` in the parameter's dtype, on its device.

        Loading saved weights into a lazily initialized parameter uses this instead of
        :meth:`initialize`, which would first fill the array with random values only to have
        them overwritten.
        """
        device = backend.get_device(self._init_device)
        self._data = device.send(data).astype(self.dtype, copy=True)
        if self._grad_var is not None:
            self.zerograd()

    def zerograd(self) -> None:
        """Zero the gradient; before initialization, initialization will create zero grads."""
        if self._data is None:
            self._grad_var = Variable(None, requires_grad=False)
            return
        super().zerograd()

    def to_device(self, device: Any) -> Parameter:
        """Move the parameter to ``device``; an uninitialized one is created there later."""
        self._init_device = backend.get_device(device)
        super().to_device(device)
        return self

    def update(self) -> None:
        """Update the array with its update rule (set by ``Optimizer.setup``)."""
        if self.update_rule is not None:
            self.update_rule.update(self)


def as_variable(obj: Any) -> Variable:
    """Return ``obj`` if it is a Variable, else a Variable wrapping it with ``requires_grad=False``.

    Args:
        obj: A :class:`Variable` or an array.
    """
    if isinstance(obj, Variable):
        return obj
    return Variable(obj, requires_grad=False)


def as_array(obj: Any) -> Any:
    """Return the array of a Variable, or ``obj`` itself if it is an array."""
    return obj._data if isinstance(obj, Variable) else obj
