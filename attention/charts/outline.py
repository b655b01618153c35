"""The outlined query row of a map, carried as data: moving it sends data, not a new spec.

A map that outlines a row (the query a slider or a click picks) draws the outline from a
dataset of its own, "outline": the row's index and axis label, or nothing. The spec is then
the same whichever row is outlined, so when a learner moves the query the browser keeps the
chart's view and swaps one small dataset (Streamlit replaces only the datasets whose bytes
changed) instead of building the view again from a new spec.

Part of `attention.charts`; heatmaps, grids and image maps use it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from attention.charts.raster import HIGHLIGHT_COLOR

OUTLINE = "outline"  # the dataset that names the outlined row
LABELS = ("queries", "table")  # where a map's row labels are: its query labels, else its cells


def outline_frame(row: int | None, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The "outline" dataset of a map with datasets `frames`: row `row` as its `query` and
    `query_token` (the label its y axis shows), or no row when `row` is None or not a row of
    the map."""
    labels = next(frames[name] for name in LABELS if name in frames)[["query", "query_token"]]
    hit = labels[labels["query"] == (-1 if row is None else int(row))]
    return hit.head(1).reset_index(drop=True)


def outline_layer(y: alt.Y, stroke_width: float = 2) -> alt.Chart:
    """A box around the outlined row, across the whole plot; `y` is the map's own y channel
    (the same field, sort and scale, so the box lands on the row's band)."""
    return alt.Chart(alt.Data(name=OUTLINE)).mark_rect(
        fill=None, stroke=HIGHLIGHT_COLOR, strokeWidth=stroke_width, tooltip=None,
    ).encode(y=y, x=alt.value(0), x2=alt.value("width"))
