"""Charts the lessons add: heads placed by entropy and distance."""

from __future__ import annotations

import copy
import functools
import math

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
    y_top, x_top = max(float(y_max), 1e-3) * 1.1, max(float(x_max), 1.0)
    frame = frame.assign(label_y=_label_heights(frame, y_top, x_top, avoid=float(y_max)))
    return Chart(_scatter_template(title, round(float(y_max), 6), y_max_label,
                                   round(float(x_max), 6)), frame)


def _label_heights(frame: pd.DataFrame, y_top: float, x_top: float, height: float = 300,
                   width: float = 360, avoid: float | None = None) -> list[float]:
    """Where each point's name sits (in entropy units): at its point, else the nearest whole
    line above or below (inside the plot) where it overlaps no name placed before it, so close
    heads stay readable. Sizes in pixels: the plot's `height` and a narrow `width`, 7 px a character."""
    line = 15 / height * y_top  # one line of 12 px text, in data units
    char = 7 / width * x_top
    placed: list[tuple[float, float, float]] = []  # (left, right, y)
    if avoid is not None:
        placed.append((-math.inf, math.inf, avoid))
    out = [0.0] * len(frame)
    order = sorted(range(len(frame)), key=lambda i: (frame["entropy"].iloc[i], frame["distance"].iloc[i]))
    for i in order:
        x0 = float(frame["distance"].iloc[i]) + 8 / width * x_top
        x1 = x0 + len(str(frame["label"].iloc[i])) * char
        y0 = float(frame["entropy"].iloc[i])

        def clashes(y: float, x0: float = x0, x1: float = x1) -> bool:
            return any(abs(y - py) < line and x0 < right and left < x1
                       for left, right, py in placed)

        steps = [0] + [k * sign for k in range(1, 2 * len(frame) + 2) for sign in (1, -1)]
        inside = [y0 + k * line for k in steps if line / 3 <= y0 + k * line <= y_top - line / 3
                  or k == 0]  # at its point, then a line up, a line down, two up...
        y = next((c for c in inside if not clashes(c)), y0)
        placed.append((x0, x1, y))
        out[i] = y
    return out


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
    names = base.mark_text(align="left", baseline="middle", dx=8, fontSize=12).encode(
        x=x, y=alt.Y("label_y:Q", title="mean entropy (nats)",
                     scale=alt.Scale(domain=[0, max(y_max, 1e-3) * 1.1])), text="label:N")
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
