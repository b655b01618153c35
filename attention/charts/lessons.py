"""Charts the lessons add: heads placed by entropy and distance."""

from __future__ import annotations

import copy
import functools

import altair as alt
import pandas as pd

from attention.charts.base import Chart, named_data, vega_spec
from attention.charts.plots import reference_rule


def head_scatter(frame: pd.DataFrame, *, title: str, y_max: float, y_max_label: str,
                 x_max: float) -> Chart:
    """Each head as a point: mean distance across, mean entropy up, named beside its point.

    Local heads sit bottom-left (near keys, focused), global heads top-right (far keys,
    spread). `y_max` draws the largest possible mean entropy as a labelled line.

    Args:
        frame: columns head, kind, entropy, distance.
    """
    return Chart(_scatter_template(title, round(float(y_max), 6), y_max_label,
                                   round(float(x_max), 6)), frame)


@functools.lru_cache(maxsize=64)
def _scatter_template(title: str, y_max: float, y_max_label: str, x_max: float) -> dict:
    base = alt.Chart(named_data())
    x = alt.X("distance:Q", title="mean distance |i − j| under the weights (positions)",
              scale=alt.Scale(domain=[0, max(x_max, 1.0)]))
    y = alt.Y("entropy:Q", title="mean entropy (nats)",
              scale=alt.Scale(domain=[0, max(y_max, 1e-3) * 1.1]))
    tip = [alt.Tooltip("head:N"), alt.Tooltip("kind:N"),
           alt.Tooltip("entropy:Q", format=".3f", title="entropy (nats)"),
           alt.Tooltip("distance:Q", format=".2f", title="mean distance")]
    points = base.mark_point(filled=True, size=120, color="#4c78a8").encode(x=x, y=y, tooltip=tip)
    names = base.mark_text(align="left", dx=8, dy=-8, fontSize=12).encode(
        x=x, y=y, text="label:N")
    layers = [points, names, *reference_rule(base, y_max, y_max_label)]
    return vega_spec(alt.layer(*layers).properties(title=title, height=300))


def with_blocks(chart: Chart, starts: list[str]) -> Chart:
    """A rect heatmap with a dark vertical line before each column named in `starts`
    (the first column of every head's block). Image maps are returned unchanged: their
    column labels ("h1·0", ...) still name the blocks."""
    layers = chart.spec.get("layer")
    if not starts or not layers or layers[0].get("mark", {}).get("type") != "rect":
        return chart
    spec = copy.deepcopy(chart.spec)
    spec["layer"].append({
        "mark": {"type": "rule", "color": "black", "strokeWidth": 2},
        "data": {"values": [{"block": s} for s in starts]},
        "encoding": {"x": {"field": "block", "type": "ordinal", "bandPosition": 0}}})
    return Chart(spec, chart.data)
