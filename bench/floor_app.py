"""Streamlit's floor for a section that follows a control: bench/browser.py --floor times it.

A page of 12 small static maps (drawn once per page run, as a lesson page's other sections
are) and one section that follows a query row, built the two ways a page can build it:

- `/` (server): a fragment holding a Streamlit slider "Query token", one 8 x 8 map whose
  outlined row is a one-row dataset (the spec stays the same, as on the dashboard's maps)
  and a caption naming the row. A move reruns the fragment: the least a server-drawn
  section can cost.
- `/?mode=browser`: the same map with a Vega-Lite point selection bound to a range input
  "Query row" inside the chart. The browser moves the outline itself; `on_select` then
  reruns the fragment, which only writes the row to the URL (a copied link keeps it) and
  redraws nothing.

Nothing here is part of the dashboard: it is the reference its redraw ratios are read
against, measured in the same run.
"""

import numpy as np
import pandas as pd
import streamlit as st

L = 8
TOKENS = [f"t{i}" for i in range(L)]
rng = np.random.default_rng(0)
weights = rng.random((L, L))
weights /= weights.sum(axis=1, keepdims=True)  # (L, L): rows sum to 1
CANVAS = {"embedOptions": {"renderer": "canvas"}}  # as the dashboard's charts draw
CELLS = pd.DataFrame({"query": np.repeat(np.arange(L), L), "key": np.tile(np.arange(L), L),
                      "weight": weights.ravel()})  # (L * L) rows, one per cell


def heatmap(row: int = 0, bound: bool = False, size: int = 240) -> dict:
    """An 8 x 8 map of CELLS, `size` pixels square; its outlined row is `row`'s cells in the
    dataset "outline" (server) or the point selection "row", bound to a range input
    (browser)."""
    cells = {"mark": "rect", "encoding": {
        "x": {"field": "key", "type": "ordinal"}, "y": {"field": "query", "type": "ordinal"},
        "color": {"field": "weight", "type": "quantitative"}}}
    box = {"mark": {"type": "rect", "fill": None, "stroke": "black", "strokeWidth": 2},
           "encoding": {"x": {"field": "key", "type": "ordinal"},
                        "y": {"field": "query", "type": "ordinal"}}}
    datasets = {"cells": CELLS}  # named datasets travel beside the spec, as Arrow
    if bound:
        cells["params"] = [{"name": "row", "select": {"type": "point", "fields": ["query"],
                                                      "on": "click", "clear": False},
                            "value": [{"query": 0}],
                            "bind": {"input": "range", "min": 0, "max": L - 1, "step": 1,
                                     "name": "Query row "}}]
        box["transform"] = [{"filter": {"param": "row"}}]
    else:  # a new row changes a dataset, not the spec
        box["data"] = {"name": "outline"}
        datasets["outline"] = CELLS[CELLS["query"] == row]
    return {"width": size, "height": size, "data": {"name": "cells"}, "usermeta": CANVAS,
            "layer": [cells, box], "datasets": datasets}

st.title("Redraw floor")
cols = st.columns(4)
for i in range(12):  # the rest of a lesson page: drawn by the page, not by the section
    cols[i % 4].vega_lite_chart(heatmap(i % L, size=120), key=f"static_{i}")


@st.fragment
def server_section() -> None:
    q = st.slider("Query token", 0, L - 1, 0, key="query")
    st.vega_lite_chart(heatmap(q), key="follows")
    st.caption(f"Row {q}, “{TOKENS[q]}”.")


@st.fragment
def browser_section() -> None:
    event = st.vega_lite_chart(heatmap(bound=True), key="bound", on_select="rerun",
                               selection_mode="row")
    picked = event.selection.get("row") or [{"query": 0}]
    st.query_params["row"] = str(picked[0]["query"])


if st.query_params.get("mode") == "browser":
    browser_section()
else:
    server_section()
