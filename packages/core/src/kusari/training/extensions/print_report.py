"""Printing the entries of a ``LogReport`` as a table (``PrintReport``)."""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from kusari.training import extension
from kusari.training.extensions.log_report import LogReport

__all__ = ["PrintReport"]


class PrintReport(extension.Extension):
    """Trainer extension that prints the new entries of a ``LogReport`` as table rows.

    The header row (the entry names) is printed at the first call. Each column is at least 10
    characters wide; numbers are printed with the ``g`` format, missing values as blanks.
    Rows are written with ``tqdm.write``, so they appear above a :class:`ProgressBar` drawn on
    the same stream. After a resumed run the rows of the loaded log are printed again.

    Args:
        entries (list of str): The log keys to print, e.g.
            ``['epoch', 'main/loss', 'validation/main/accuracy', 'elapsed_time']``.
        log_report (str or LogReport): The name of a ``LogReport`` registered with the trainer,
            or a ``LogReport`` instance that this extension then calls itself.
        out: The stream to print to.

    Example:
        >>> trainer.extend(extensions.LogReport())
        >>> trainer.extend(extensions.PrintReport(['epoch', 'main/loss', 'elapsed_time']))
    """

    def __init__(
        self,
        entries: Sequence[str],
        log_report: str | LogReport = "LogReport",
        out: TextIO = sys.stdout,
    ) -> None:
        if not isinstance(log_report, (str, LogReport)):
            raise TypeError(
                "PrintReport: log_report must be the name of a LogReport extension or a "
                f"LogReport, got {type(log_report).__name__}"
            )
        self._entries = list(entries)
        self._log_report = log_report
        self._out = out
        self._log_len = 0
        self._widths = [max(10, len(entry)) for entry in self._entries]
        self._header_printed = False

    def __call__(self, trainer: Any) -> None:
        """Print the header (first call) and every log entry not printed yet.

        Args:
            trainer (~kusari.training.Trainer): The trainer.

        Raises:
            TypeError: The extension registered under the ``log_report`` name is not a
                ``LogReport``.
        """
        if not self._header_printed:
            header = "  ".join(f"{e:{w}}" for e, w in zip(self._entries, self._widths, strict=True))
            self._write(header.rstrip())
            self._header_printed = True

        log_report = self._log_report
        if isinstance(log_report, str):
            log_report = trainer.get_extension(log_report)
            if not hasattr(log_report, "log"):
                raise TypeError(
                    f"PrintReport: the extension {self._log_report!r} is a "
                    f"{type(log_report).__name__}, not a LogReport"
                )
        else:
            log_report(trainer)
        log = log_report.log
        while self._log_len < len(log):
            self._print(log[self._log_len])
            self._log_len += 1

    def serialize(self, serializer: Any) -> None:
        """Save or load the state of an owned ``LogReport`` (under ``_log_report``).

        Args:
            serializer: A serializer or deserializer.
        """
        if isinstance(self._log_report, LogReport):
            self._log_report.serialize(serializer["_log_report"])

    def _print(self, observation: dict[str, Any]) -> None:
        cells = []
        for entry, width in zip(self._entries, self._widths, strict=True):
            value = observation.get(entry)
            if value is None:
                cells.append(" " * width)
            elif isinstance(value, numbers.Number) and not isinstance(value, bool):
                cells.append(f"{value:<{width}g}")
            else:
                cells.append(f"{value!s:<{width}}")
        self._write("  ".join(cells).rstrip())

    def _write(self, line: str) -> None:
        # tqdm.write lifts a ProgressBar drawn on the same stream out of the way.
        from tqdm import tqdm

        tqdm.write(line, file=self._out)
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()
