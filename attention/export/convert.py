"""A chart -> the plain data a download is made from: its Vega-Lite spec and DataFrame.

The bytes themselves are made by `attention.export.worker` (plain data in, bytes out), in
the dashboard's worker pool or, in a notebook, in this process:
`worker.png(*chart_parts(chart))`.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from attention.charts import Chart


def chart_parts(chart: alt.TopLevelMixin | Chart) -> tuple[dict, pd.DataFrame | None]:
    """(spec, data) of a chart: a `Chart`'s cached spec and DataFrame as they are (cheap),
    its small datasets (an image map's labels, the outlined row, the marker) inlined in the
    spec; an Altair chart's whole spec (whatever its row count: Altair refuses > 5000 by
    default)."""
    if isinstance(chart, Chart):
        if not chart.more:
            return chart.spec, chart.data
        small = {name: json.loads(frame.to_json(orient="records"))
                 for name, frame in chart.more.items()}
        return {**chart.spec, "datasets": {**chart.spec.get("datasets", {}), **small}}, chart.data
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict(), None
