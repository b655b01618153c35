"""Bars and curves: per-position bars, curves by series, training curves.

Part of `attention.charts` (which re-exports `bars`, `lines` and `curves`); the same
conventions apply.
"""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from attention.charts.base import (
    MARGIN_H,
    REFERENCE_COLOR,
    SERIES_COLORS,
    TEMPLATES,
    Chart,
    named_data,
    once,
    vega_spec,
)
from attention.charts.marker import MARKER, marker_frame, marker_layer
from attention.charts.raster import HIGHLIGHT_COLOR

# A line's dash pattern by series, beside its colour: curves that differ by hue alone are
# one curve to a colour-blind eye or a washed-out projector. The first series is solid.
DASHES = ((1, 0), (6, 3), (2, 2), (8, 3, 2, 3), (1, 4), (12, 4), (4, 2, 1, 2))


SERIES_LEGEND = alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=2,
                           symbolSize=300)  # a short line in its dash, not a dot


def series_dash(names: list[str]) -> alt.StrokeDash:
    """strokeDash by `series`, one pattern per name (cycling past the last), on the same
    bottom legend as the colour (Vega-Lite merges the two into one)."""
    dashes = [list(DASHES[i % len(DASHES)]) for i in range(len(names))]
    return alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=names, range=dashes),
                          legend=SERIES_LEGEND)


def bars(frame: pd.DataFrame, *, y: str, title: str, y_title: str, reference: float | None = None,
         reference_label: str = "", per_row_max: str | None = None,
         highlight: int | None = None, x: str = "token", x_title: str = "query token",
         order: str = "position") -> Chart:
    """Bars per position; optional horizontal reference line (e.g. ln n) and per-bar ticks."""
    return Chart(_bars_template(y, title, y_title, reference, reference_label, per_row_max,
                                highlight, x, x_title, order), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _bars_template(y: str, title: str, y_title: str, reference: float | None, reference_label: str,
                   per_row_max: str | None, highlight: int | None, x: str, x_title: str,
                   order: str) -> dict:
    enc_x = alt.X(f"{x}:O", sort=alt.EncodingSortField(order, op="min"), title=x_title,
                  axis=alt.Axis(labelAngle=-45, labelLimit=90))
    bar_colour = (alt.when(f"datum.{order} == {highlight}").then(alt.value(HIGHLIGHT_COLOR))
                  .otherwise(alt.value("#4c78a8"))) if highlight is not None else alt.value("#4c78a8")
    base = alt.Chart(named_data())
    layers = [base.mark_bar().encode(
        x=enc_x, y=alt.Y(f"{y}:Q", title=y_title), color=bar_colour,
        tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", format=".4f", title=y_title)])]
    if per_row_max:
        layers.append(base.mark_tick(color="black", thickness=2).encode(
            x=enc_x, y=alt.Y(f"{per_row_max}:Q"),
            tooltip=[alt.Tooltip(f"{per_row_max}:Q", format=".4f", title="maximum")]))
    layers += reference_rule(base, reference, reference_label)
    return vega_spec(alt.layer(*layers).properties(title=title, height=320))


def reference_rule(base: alt.Chart, value: float | None, label: str) -> list:
    """A dashed horizontal line at `value`, labelled, drawn without data of its own."""
    if value is None:
        return []
    return [once(base.mark_rule(color=REFERENCE_COLOR, strokeDash=[6, 3]).encode(
                y=alt.datum(value))),
            once(base.mark_text(align="left", dx=4, dy=-6, color=REFERENCE_COLOR, text=label)
                 .encode(y=alt.datum(value), x=alt.value(0)))]


def lines(frame: pd.DataFrame, *, x: str, y: str, title: str, x_title: str, y_title: str,
          log_x: bool = False, reference: float | None = None, reference_label: str = "",
          marker_x: float | None = None, log_y: bool = False,
          colors: tuple[tuple[str, str], ...] | None = None) -> Chart:
    """Curves by `series`, optional reference line and a vertical marker at the current x.

    Args:
        log_y: a log y axis (values must be positive).
        colors: ((series, colour), ...) fixes each series' colour, in that legend order;
            default: the series in order of appearance on `SERIES_COLORS` (never the red).
    """
    if colors is None:
        names = tuple(dict.fromkeys(frame["series"].astype(str)))
        colors = tuple(zip(names, SERIES_COLORS * (len(names) // len(SERIES_COLORS) + 1),
                           strict=False))  # the colours cycle past the last
    return Chart(_lines_template(x, y, title, x_title, y_title, log_x, reference, reference_label,
                                 marker_x is not None, log_y, colors), frame,
                 None if marker_x is None else {MARKER: marker_frame(marker_x, x)})


@functools.lru_cache(maxsize=TEMPLATES)
def _lines_template(x: str, y: str, title: str, x_title: str, y_title: str, log_x: bool,
                    reference: float | None, reference_label: str, marker: bool,
                    log_y: bool = False, colors: tuple[tuple[str, str], ...] = ()) -> dict:
    scale = alt.Scale(type="log", base=2) if log_x else alt.Scale()
    y_scale = alt.Scale(type="log") if log_y else alt.Scale()
    colour_scale = alt.Scale(domain=[n for n, _ in colors], range=[c for _, c in colors])
    base = alt.Chart(named_data())
    x_channel = alt.X(f"{x}:Q", scale=scale, title=x_title)
    layers = [base.mark_line(point=True).encode(
        x=x_channel, y=alt.Y(f"{y}:Q", title=y_title, scale=y_scale),
        color=alt.Color("series:N", title=None, scale=colour_scale, legend=SERIES_LEGEND),
        strokeDash=series_dash([n for n, _ in colors]),
        tooltip=["series:N", alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=".4f")])]
    layers += reference_rule(base, reference, reference_label)
    if marker:
        layers.append(marker_layer(x_channel))
    return vega_spec(alt.layer(*layers).properties(title=title, height=360))


def curves(frame: pd.DataFrame, *, title: str, y_title: str, colours: tuple[tuple[str, str], ...],
           x: str = "step", y: str = "value", x_title: str = "training step",
           x_domain: tuple[float, float] | None = None, y_domain: tuple[float, float] | None = None,
           log_y: bool = False, marker_x: float | None = None, event_x: float | None = None,
           event_label: str = "", height: int = 200) -> Chart:
    """Training curves, one line per `series`, each in its own fixed colour.

    Args:
        frame: columns {x}, series, {y}.
        colours: (series, colour) pairs: the legend and colours hold even before a series has data.
        x_domain: fixed x range (a live run's planned steps), else the data's.
        marker_x: a grey rule (the step on screen); event_x: a dashed red rule with `event_label`.
    """
    return Chart(_curves_template(x, y, title, x_title, y_title, colours, x_domain, y_domain,
                                  log_y, marker_x is not None, event_x, event_label, height), frame,
                 None if marker_x is None else {MARKER: marker_frame(marker_x, x)})


@functools.lru_cache(maxsize=TEMPLATES)
def _curves_template(x: str, y: str, title: str, x_title: str, y_title: str,
                     colours: tuple[tuple[str, str], ...], x_domain: tuple[float, float] | None,
                     y_domain: tuple[float, float] | None, log_y: bool, marker: bool,
                     event_x: float | None, event_label: str, height: int) -> dict:
    names, hues = [n for n, _ in colours], [c for _, c in colours]
    y_scale = alt.Scale(type="log") if log_y else alt.Scale(
        domain=list(y_domain) if y_domain else alt.Undefined)
    base = alt.Chart(named_data())
    x_channel = alt.X(f"{x}:Q", title=x_title,
                      scale=alt.Scale(domain=list(x_domain)) if x_domain else alt.Scale())
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=14), clip=True).encode(
        x=x_channel,
        y=alt.Y(f"{y}:Q", title=y_title, scale=y_scale,
                axis=alt.Axis(format="~e") if log_y else alt.Undefined),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=hues),
                        legend=SERIES_LEGEND),
        strokeDash=series_dash(names),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip(f"{x}:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", format=".4f", title=y_title)])]
    if event_x is not None:
        layers += [once(base.mark_rule(color=REFERENCE_COLOR, strokeDash=[6, 3]).encode(
                       x=alt.datum(event_x))),
                   once(base.mark_text(align="left", baseline="top", dx=4, dy=4,
                                       color=REFERENCE_COLOR, text=event_label)
                        .encode(x=alt.datum(event_x), y=alt.value(0)))]
    if marker:
        layers.append(marker_layer(x_channel))
    return vega_spec(alt.layer(*layers).properties(title=title, height=height + MARGIN_H))
