"""Snapshot writers: how the ``snapshot`` extensions write their files.

A writer is called as ``writer(filename, outdir, target)`` with ``target`` the snapshot's
contents, already serialized into a dict of arrays (what
:class:`~kusari.serializers.DictionarySerializer` collects).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from kusari.serializers import save_npz
from kusari.utils._atomic import atomic_path

__all__ = ["SimpleWriter", "Writer"]


class Writer:
    """Base class of snapshot writers.

    :meth:`save` writes atomically: the save function writes into a temporary file in a hidden
    folder of ``outdir``, which is then renamed to ``outdir/filename`` in one step. If the save
    function raises (or the process dies), the previous file of that name is left as it was
    and the temporary folder is removed (on an exception).
    """

    def __call__(self, filename: str, outdir: str, target: dict[str, Any]) -> None:
        """Write one snapshot.

        Args:
            filename: The file name (already formatted).
            outdir: The output folder (``trainer.out``).
            target: The serialized contents.
        """
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented")

    def save(
        self,
        filename: str,
        outdir: str,
        target: dict[str, Any],
        savefun: Callable[..., None],
        **kwds: Any,
    ) -> None:
        """Call ``savefun(path, target, **kwds)`` on a temporary path, then rename the file.

        Args:
            filename: The file name.
            outdir: The output folder; created if missing.
            target: The serialized contents.
            savefun: The function writing the file.
            **kwds: Passed to ``savefun``.
        """
        os.makedirs(outdir, exist_ok=True)
        with atomic_path(os.path.join(outdir, filename)) as temp_path:
            savefun(temp_path, target, **kwds)

    def finalize(self) -> None:
        """Finish pending writes (nothing for synchronous writers)."""


class SimpleWriter(Writer):
    """Writer that saves in the training loop's thread, before the loop goes on.

    Args:
        savefun: ``savefun(path, target, **kwds)``; :func:`kusari.serializers.save_npz` by
            default.
        **kwds: Keyword arguments for ``savefun`` (e.g. ``compression=False``).
    """

    def __init__(self, savefun: Callable[..., None] = save_npz, **kwds: Any) -> None:
        self._savefun = savefun
        self._kwds = kwds

    def __call__(self, filename: str, outdir: str, target: dict[str, Any]) -> None:
        """Write ``target`` to ``outdir/filename`` now (see :meth:`Writer.save`)."""
        self.save(filename, outdir, target, self._savefun, **self._kwds)
