"""Drawing a chart in the page: a `Chart` (cached spec plus this run's data) or Altair."""

from __future__ import annotations

import altair as alt
import streamlit as st

from ..charts import Chart


def show(chart: Chart | alt.TopLevelMixin, key: str, container=None, width: str = "content") -> None:
    """Draw `chart`; a `Chart` goes through st.vega_lite_chart with no Altair work at all."""
    target = container or st
    if isinstance(chart, Chart):
        target.vega_lite_chart(spec=chart.streamlit_spec(), key=key, width=width)
    else:
        target.altair_chart(chart, key=key, width=width)
