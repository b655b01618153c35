"""Layers x heads as a heat table: one cell per head, coloured by one statistic, with its
value and label written in it (the pretrained page's per-head statistics).

The numbers come from `pretrained_views.stats_heat_frame` (columns layer, head, value, tag,
label and the statistics); this module only draws them. Part of `attention.charts`.
"""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from attention.charts.base import Chart, named_data, vega_spec


def stats_heat_table(frame: pd.DataFrame, top: float, *, shares: bool, title: str = "",
                     value_title: str = "value", cell: int = 56) -> Chart:
    """The heat table of a `stats_heat_frame` and its colour-scale top.

    Args:
        shares: the statistic is a share of a row's weight in [0, 1] (viridis on [0, 1]);
            else a sequential blue scale on [0, top] (entropy, distance).
        cell: a cell's width in pixels.
    """
    n_layers, H = int(frame["layer"].max()) + 1, int(frame["head"].max()) + 1
    return Chart(stats_heat_spec(n_layers, H, top, shares, title, value_title, cell),
                 frame)


@functools.lru_cache(maxsize=64)
def stats_heat_spec(n_layers: int, H: int, top: float, shares: bool, title: str,
                    value_title: str, cell: int = 56) -> dict:
    """The heat table's Vega-Lite spec with its data named "table" (built once per shape)."""
    if shares:
        scale = alt.Scale(scheme="viridis", domain=[0, 1])
        dark = "datum.value < 0.5"
    else:
        scale = alt.Scale(scheme="blues", domain=[0, top])
        dark = f"datum.value > {0.55 * top}"
    base = alt.Chart(named_data()).encode(
        x=alt.X("head:O", title="head", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("layer:O", title="layer"))
    rect = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=scale, title=value_title),
        tooltip=[alt.Tooltip("layer:Q"), alt.Tooltip("head:Q"),
                 alt.Tooltip("value:Q", format=".3f", title=value_title),
                 alt.Tooltip("label:N"), alt.Tooltip("entropy:Q", format=".3f"),
                 alt.Tooltip("previous_token:Q", format=".3f", title="previous token"),
                 alt.Tooltip("cls:Q", format=".3f", title="[CLS]"),
                 alt.Tooltip("sep:Q", format=".3f", title="[SEP]"),
                 alt.Tooltip("mean_distance:Q", format=".2f", title="mean distance")])
    ink = alt.when(dark).then(alt.value("white")).otherwise(alt.value("black"))
    number = base.mark_text(fontSize=11, dy=-6).encode(
        text=alt.Text("value:Q", format=".2f"), color=ink)
    tag = base.mark_text(fontSize=9, dy=8).encode(text="tag:N", color=ink)
    return vega_spec(alt.layer(rect, number, tag).properties(
        title=title, width=cell * H + 120, height=int(cell * 0.75) * n_layers + 80))
