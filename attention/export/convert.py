"""Charts and arrays -> downloadable bytes: PNG and SVG (vl-convert, offline), CSV, NPY.

The byte-making itself lives in `export_worker` (plain data in, bytes out) so that the
dashboard can run it in a worker process; these wrappers run it in this process.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from attention.charts import Chart
from attention.export import worker as w


def chart_parts(chart: alt.TopLevelMixin | Chart) -> tuple[dict, pd.DataFrame | None]:
    """(spec, data) of a chart: a `Chart`'s cached spec and DataFrame as they are (cheap),
    an Altair chart's whole spec (whatever its row count: Altair refuses > 5000 by default)."""
    if isinstance(chart, Chart):
        return chart.spec, chart.data
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict(), None


def chart_png(chart: alt.TopLevelMixin | Chart, scale: float = 2.0) -> bytes:
    return w.png(*chart_parts(chart), scale)


def chart_svg(chart: alt.TopLevelMixin | Chart) -> bytes:
    return w.svg(*chart_parts(chart))


def array_csv(values: np.ndarray, rows: list[str] | None = None,
              cols: list[str] | None = None) -> bytes:
    """A 1-D or 2-D array as CSV with token labels; 3-D arrays become long (head, row, col, value)."""
    return w.csv(values, rows, cols)


def array_npy(values: np.ndarray) -> bytes:
    return w.npy(values)
