"""The device abstraction shared by the CPU (NumPy) and GPU (CuPy) backends."""

from __future__ import annotations

from typing import Any


class Device:
    """A place where arrays live: the host (NumPy) or one GPU (CuPy).

    Subclasses set :attr:`xp` and :attr:`name` and implement :meth:`send_array`.
    """

    xp: Any = None
    name: str = ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_array(self, array: Any) -> Any:
        """Return ``array`` transferred to this device (no copy if already there)."""
        raise NotImplementedError

    def send(self, arrays: Any) -> Any:
        """Transfer an array, or a tuple/list/dict of arrays (nested), to this device.

        Args:
            arrays: An array, a scalar, ``None``, or a (nested) tuple, list or dict of them.

        Returns:
            The same structure with every array on this device.
        """
        if arrays is None:
            return None
        if isinstance(arrays, tuple):
            return tuple(self.send(a) for a in arrays)
        if isinstance(arrays, list):
            return [self.send(a) for a in arrays]
        if isinstance(arrays, dict):
            return {k: self.send(v) for k, v in arrays.items()}
        return self.send_array(arrays)

    def use(self) -> None:
        """Make this device the current one (a no-op on the host)."""
        return None

    def is_array_supported(self, array: Any) -> bool:
        """Whether ``array`` lives on this device."""
        raise NotImplementedError
