"""Reading training logs: incremental parsing, summaries, downsampling, aggregation, CSV export.

The ``log`` file of a result folder (docs/result-format.md) is read by :class:`LogReader`
into a columnar :class:`LogTable`; :func:`summarize` gives the last and best values,
:func:`series` a chart's points (downsampled by :func:`downsample_minmax` or
:func:`downsample_lttb`), :func:`aggregate` the mean ± std across runs and :func:`export_csv`
a CSV file. Pure Python and NumPy: nothing here imports Flask, a database or Kusari.
"""

from kusari_ui.logs.aggregate import aggregate
from kusari_ui.logs.downsample import downsample_lttb, downsample_minmax, series
from kusari_ui.logs.export import export_csv
from kusari_ui.logs.reader import LogReader
from kusari_ui.logs.summary import STEP_KEYS, summarize
from kusari_ui.logs.table import LogTable

__all__ = [
    "STEP_KEYS",
    "LogReader",
    "LogTable",
    "aggregate",
    "downsample_lttb",
    "downsample_minmax",
    "export_csv",
    "series",
    "summarize",
]
