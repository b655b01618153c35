"""Drawing a chart in the page: a `Chart` (cached spec plus this run's data) or Altair."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import altair as alt
import streamlit as st
from streamlit import dataframe_util

from attention.charts import Chart


@dataclass(frozen=True)
class PackedChart(Chart):
    """A `Chart` whose datasets are also kept as Arrow IPC bytes, converted once: for charts
    cached across reruns and sessions, so a rerun does not convert the same DataFrames
    again (Streamlit passes bytes through as they are)."""

    arrow: tuple[tuple[str, bytes], ...] = ()  # (dataset name, Arrow bytes)

    def streamlit_spec(self) -> dict:
        spec = copy.deepcopy(self.spec)
        spec["datasets"] = dict(self.arrow)
        return spec


def packed(chart: Chart) -> Chart:
    frames = chart.frames()
    if not frames:
        return chart
    arrow = tuple((name, dataframe_util.convert_anything_to_arrow_bytes(frame))
                  for name, frame in frames.items())
    return PackedChart(chart.spec, chart.data, chart.more, arrow)


def show(chart: Chart | alt.TopLevelMixin, key: str, container=None, width: str = "content") -> None:
    """Draw `chart`; a `Chart` goes through st.vega_lite_chart with no Altair work at all."""
    target = container or st
    if isinstance(chart, Chart):
        target.vega_lite_chart(spec=chart.streamlit_spec(), key=key, width=width)
    else:
        target.altair_chart(chart, key=key, width=width)
