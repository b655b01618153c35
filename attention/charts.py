"""DataFrames and arrays -> Altair charts: heatmaps, head grids, bars and lines.

Weights use viridis on a fixed [0, 1] domain so maps compare; scores and logits a
diverging scheme centred at 0; masked cells are light grey, never a colour of a huge
negative number. Small maps are rect marks with exact tooltips; large ones are drawn
as images (see `attention.raster`), which the browser paints in a fraction of the time.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .frames import matrix_frame

MASKED_GREY = "#d9d9d9"
# Above this many cells per chart, rect marks cost the browser more than a rerun.
RECT_MAX_CELLS = 4096
TEXT_MAX_SIDE = 12  # write the numbers in the cells up to 12 x 12


def colour_scale(kind: str, values: np.ndarray | None = None) -> alt.Scale:
    """Viridis on [0, 1] for weights; a symmetric diverging scale around 0 otherwise."""
    if kind == "weights":
        return alt.Scale(scheme="viridis", domain=[0, 1])
    return alt.Scale(scheme="redblue", domain=list(symmetric_domain(values)), domainMid=0)


def symmetric_domain(values: np.ndarray | None) -> tuple[float, float]:
    finite = np.asarray(values, dtype=float)[np.isfinite(values)] if values is not None else []
    m = float(np.abs(finite).max()) if len(finite) else 1.0
    m = m if m > 0 else 1.0
    return -m, m


def side_px(n: int, lo: int = 180, hi: int = 400, per: int = 30) -> int:
    """Plot side in pixels for n rows or columns: `per` each, within [lo, hi]."""
    return int(min(max(per * n, lo), hi))


# Streamlit sizes Vega-Lite charts with autosize "fit": width and height include the axes,
# titles and legend. These margins keep the plot area itself near the size asked for.
MARGIN_W, MARGIN_H = 150, 100


def heatmap(values: np.ndarray, rows: list[str], cols: list[str], *, kind: str = "weights",
            title: str = "", masked: np.ndarray | None = None, value_title: str | None = None,
            highlight_row: int | None = None, row_title: str = "query", col_title: str = "key",
            width: int | None = None, height: int | None = None) -> alt.Chart:
    """One (L, S) map: rect marks with tooltips when small, an image when large.

    Args:
        values: (L, S); kind: "weights" (viridis, [0, 1]) or "scores" (diverging at 0).
        masked: (L, S) bool, True = masked (drawn grey).
        highlight_row: a query row to outline.
    """
    L, S = values.shape
    value_title = value_title or kind
    per = 40 if max(L, S) <= TEXT_MAX_SIDE else 30
    width = width or side_px(S, per=per)
    height = height or side_px(L, per=per)
    if L * S > RECT_MAX_CELLS:
        from .raster import raster_heatmap
        scheme = "viridis" if kind == "weights" else "redblue"
        domain = (0.0, 1.0) if kind == "weights" else symmetric_domain(values)
        return raster_heatmap(values, rows, cols, scheme=scheme, domain=domain, title=title,
                              value_title=value_title, masked=masked,
                              size=(width + MARGIN_W, height + MARGIN_H), row_title=row_title,
                              col_title=col_title, highlight_row=highlight_row)
    frame = matrix_frame(values, rows, cols, masked)
    return rect_heatmap(frame, kind=kind, title=title, value_title=value_title,
                        scale=colour_scale(kind, values), highlight_row=highlight_row,
                        row_title=row_title, col_title=col_title, width=width, height=height,
                        text=max(L, S) <= TEXT_MAX_SIDE)


def _axes(row_title: str, col_title: str) -> dict:
    # Every label drawn (no overlap thinning): rect charts only hold small grids.
    return dict(
        x=alt.X("key_token:O", sort=alt.EncodingSortField("key", op="min"), title=col_title,
                axis=alt.Axis(labelAngle=-45, labelLimit=90, labelOverlap=False)),
        y=alt.Y("query_token:O", sort=alt.EncodingSortField("query", op="min"), title=row_title,
                axis=alt.Axis(labelLimit=90, labelOverlap=False)),
    )


def rect_heatmap(frame: pd.DataFrame, *, kind: str, title: str, value_title: str, scale: alt.Scale,
                 highlight_row: int | None = None, row_title: str = "query",
                 col_title: str = "key", width: int = 300, height: int = 300,
                 text: bool = False) -> alt.LayerChart:
    """Rect marks from a `matrix_frame`; a click on a cell highlights its query row,
    and `highlight_row` (the page's selected query) is outlined."""
    row = alt.selection_point(name="query_row", fields=["query"], on="click", clear="dblclick",
                              empty=True)
    colour = (alt.when("datum.masked").then(alt.value(MASKED_GREY))
              .otherwise(alt.Color("value:Q", scale=scale, title=value_title)))
    base = alt.Chart(frame).encode(**_axes(row_title, col_title))
    rect = base.mark_rect().encode(
        color=colour,
        opacity=alt.when(row).then(alt.value(1.0)).otherwise(alt.value(0.35)),
        tooltip=[alt.Tooltip("query_token:N", title=row_title),
                 alt.Tooltip("key_token:N", title=col_title),
                 alt.Tooltip("text:N", title=value_title)],
    ).add_params(row)
    layers = [rect]
    if highlight_row is not None:
        layers.append(base.mark_rect(fill=None, stroke="#f58518", strokeWidth=2)
                      .transform_filter(f"datum.query == {int(highlight_row)}"))
    if text:
        layers.append(base.mark_text(fontSize=10).encode(
            text=alt.Text("value:Q", format=".2f"),
            color=alt.when(_dark_cell(kind, scale)).then(alt.value("white")).otherwise(alt.value("black")),
        ).transform_filter("!datum.masked"))
    return alt.layer(*layers).properties(title=title, width=width + MARGIN_W,
                                         height=height + MARGIN_H)


def _dark_cell(kind: str, scale: alt.Scale) -> str:
    if kind == "weights":
        return "datum.value < 0.5"  # viridis is dark below about half
    lo, hi = scale.domain
    return f"abs(datum.value) > {0.6 * hi}"


def head_grid(weights: np.ndarray, rows: list[str], cols: list[str], head_titles: list[str],
              *, masked: np.ndarray | None = None, columns: int = 4, kind: str = "weights",
              size: int | None = None) -> alt.Chart:
    """Small multiples, one map per head, on one shared colour scale.

    Args:
        weights: (H, L, S); head_titles: H titles.
    """
    H, L, S = weights.shape
    size = size or side_px(max(L, S), lo=120, hi=170, per=20)
    if L * S * H > RECT_MAX_CELLS:
        from .raster import raster_head_grid
        scheme = "viridis" if kind == "weights" else "redblue"
        domain = (0.0, 1.0) if kind == "weights" else symmetric_domain(weights)
        return raster_head_grid(weights, rows, cols, scheme=scheme, domain=domain,
                                titles=head_titles, masked=masked, columns=columns, size=(size, size))
    frame = matrix_frame(weights, rows, cols, masked, head=np.asarray(head_titles, dtype=object))
    scale = colour_scale(kind, weights)
    colour = (alt.when("datum.masked").then(alt.value(MASKED_GREY))
              .otherwise(alt.Color("value:Q", scale=scale, title=kind)))
    rect = alt.Chart().mark_rect().encode(
        **_axes("query", "key"), color=colour,
        tooltip=[alt.Tooltip("head:N"), alt.Tooltip("query_token:N", title="query"),
                 alt.Tooltip("key_token:N", title="key"), alt.Tooltip("text:N", title=kind)],
    ).properties(width=size, height=size)
    return alt.layer(rect, data=frame).facet(
        facet=alt.Facet("head:N", sort=alt.EncodingSortField("head_index", op="min"), title=None),
        columns=columns,
    ).resolve_scale(x="independent", y="independent")


def bars(frame: pd.DataFrame, *, y: str, title: str, y_title: str, reference: float | None = None,
         reference_label: str = "", per_row_max: str | None = None,
         highlight: int | None = None, x: str = "token", x_title: str = "query token",
         order: str = "position") -> alt.LayerChart:
    """Bars per position; optional horizontal reference line (e.g. ln n) and per-bar ticks."""
    enc_x = alt.X(f"{x}:O", sort=alt.EncodingSortField(order, op="min"), title=x_title,
                  axis=alt.Axis(labelAngle=-45, labelLimit=90))
    bar_colour = (alt.when(f"datum.{order} == {highlight}").then(alt.value("#f58518"))
                  .otherwise(alt.value("#4c78a8"))) if highlight is not None else alt.value("#4c78a8")
    layers = [alt.Chart(frame).mark_bar().encode(
        x=enc_x, y=alt.Y(f"{y}:Q", title=y_title), color=bar_colour,
        tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", format=".4f", title=y_title)])]
    if per_row_max:
        layers.append(alt.Chart(frame).mark_tick(color="black", thickness=2).encode(
            x=enc_x, y=alt.Y(f"{per_row_max}:Q"),
            tooltip=[alt.Tooltip(f"{per_row_max}:Q", format=".4f", title="maximum")]))
    if reference is not None:
        ref = pd.DataFrame({"y": [reference], "label": [reference_label]})
        rule = alt.Chart(ref).mark_rule(color="#e45756", strokeDash=[6, 3]).encode(y="y:Q")
        layers += [rule, alt.Chart(ref).mark_text(align="left", dx=4, dy=-6, color="#e45756").encode(
            y="y:Q", text="label:N", x=alt.value(0))]
    return alt.layer(*layers).properties(title=title, height=320)


def lines(frame: pd.DataFrame, *, x: str, y: str, title: str, x_title: str, y_title: str,
          log_x: bool = False, reference: float | None = None, reference_label: str = "",
          marker_x: float | None = None) -> alt.LayerChart:
    """Curves by `series`, optional reference line and a vertical marker at the current x."""
    scale = alt.Scale(type="log", base=2) if log_x else alt.Scale()
    layers = [alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X(f"{x}:Q", scale=scale, title=x_title), y=alt.Y(f"{y}:Q", title=y_title),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["series:N", alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=".4f")])]
    if reference is not None:
        ref = pd.DataFrame({"y": [reference], "label": [reference_label]})
        layers += [alt.Chart(ref).mark_rule(color="#e45756", strokeDash=[6, 3]).encode(y="y:Q"),
                   alt.Chart(ref).mark_text(align="left", dx=4, dy=-6, color="#e45756").encode(
                       y="y:Q", text="label:N", x=alt.value(0))]
    if marker_x is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [marker_x]})).mark_rule(color="gray").encode(x="x:Q"))
    return alt.layer(*layers).properties(title=title, height=360)
