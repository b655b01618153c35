"""Clicks on a chart that choose what the page shows: a query row, or a head.

A chart built with `select=` carries the point selection "query_row". Drawn through
`show_pickable`, a click reruns the page with a callback that writes the picked value
into the page's own widgets (`PageControls.setter`), so the slider, the outlined row,
every other chart and the URL follow, before the script runs.

The chart's key changes with each click it applies, and only then: after a click the chart
is a fresh widget with no selection, so the next click always counts, even on the row
picked before; a move of the slider keeps the key, so the browser keeps the chart's view
and swaps only the datasets that changed (the outline: `attention.charts.outline`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from attention.charts import SELECTION, Chart
from attention.dashboard.display import show, vega_args


def picked(key: str, *fields: str) -> int | None:
    """The integer a click selected in chart `key` (the first of `fields` present), or None."""
    state = st.session_state.get(key)
    try:
        rows = state["selection"][SELECTION]
    except (KeyError, TypeError):
        return None
    for row in rows if isinstance(rows, list) else []:
        for f in fields:
            value = row.get(f) if isinstance(row, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                return int(value)
    return None


def _clicks_key(key: str) -> str:
    return f"{key}-clicks"


def _apply(key: str, fields: tuple[str, ...], write: Callable[[int], None], full_key: str) -> None:
    value = picked(full_key, *fields)
    if value is not None:  # counted first: `write` may rerun at once (a page-wide control)
        st.session_state[_clicks_key(key)] = st.session_state.get(_clicks_key(key), 0) + 1
        write(value)


def show_pickable(chart: Chart, key: str, fields: tuple[str, ...],
                  write: Callable[[int], None], container=None,
                  width: str = "content") -> None:
    """Draw `chart`; if it is selectable, a click calls `write(picked value)` and reruns.

    Args:
        fields: the selection fields to read ("query"; "head" or "head_index").
    """
    full_key = f"{key}-{st.session_state.get(_clicks_key(key), 0)}"
    if not chart.selectable():
        show(chart=chart, key=full_key, container=container, width=width)
        return
    target = container or st
    target.vega_lite_chart(**vega_args(chart), key=full_key, width=width,
                           on_select=functools.partial(_apply, key, tuple(fields), write, full_key),
                           selection_mode=[SELECTION])
