"""A chart -> the plain data a download is made from: its Vega-Lite spec and DataFrame.

The bytes themselves are made by `attention.export.worker` (plain data in, bytes out), in
the dashboard's worker pool or, in a notebook, in this process:
`worker.png(*chart_parts(chart))`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from attention.charts import Chart


def chart_parts(chart: alt.TopLevelMixin | Chart) -> tuple[dict, pd.DataFrame | None]:
    """(spec, data) of a chart: a `Chart`'s cached spec and DataFrame as they are (cheap),
    an Altair chart's whole spec (whatever its row count: Altair refuses > 5000 by default)."""
    if isinstance(chart, Chart):
        return chart.spec, chart.data
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict(), None
