"""One attention map as a chart: rect marks with exact tooltips when small, an image when
large (`chart_base.draws_as_image` decides).

Part of `attention.charts` (which re-exports `heatmap`); the same conventions apply.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np

from attention.charts import image_maps as im
from attention.charts.base import (
    MARGIN_H,
    MARGIN_W,
    PENDING_COLOR,
    SELECTION,
    TABLE,
    TEMPLATES,
    Chart,
    colour_domain,
    colour_scale,
    draws_as_image,
    named_data,
    scheme_of,
    side_px,
    vega_spec,
)
from attention.charts.frames import matrix_frame
from attention.charts.outline import OUTLINE, outline_frame, outline_layer
from attention.charts.raster import MASK_COLOR
from attention.charts.summary import map_summary

TEXT_MAX_SIDE = 12  # write the numbers in the cells up to 12 x 12
TOOLTIP_TEXT = "datum.masked ? 'masked (−∞)' : format(datum.value, '.4f')"
_PENDING_TEXT = "datum.query >= {} ? 'not computed yet' : " + TOOLTIP_TEXT


def heatmap(values: np.ndarray, rows: list[str], cols: list[str], *, kind: str = "weights",
            title: str = "", masked: np.ndarray | None = None, value_title: str | None = None,
            highlight_row: int | None = None, row_title: str = "query", col_title: str = "key",
            width: int | None = None, height: int | None = None, select: bool = False,
            pending_from: int | None = None) -> Chart:
    """One (L, S) map: rect marks with tooltips when small, an image when large.

    Args:
        values: (L, S); kind: "weights" (viridis, [0, 1]) or "scores" (diverging at 0).
        masked: (L, S) bool, True = masked (drawn grey).
        highlight_row: a query row to outline (sent as data: `attention.charts.outline`).
        select: a click on a row selects its query (the point selection "query_row", read
            back by Streamlit); off, a click does nothing.
        pending_from: rows from this one on are not computed yet: a pale fill of their own
            (grey, as masked, on an image map).
    """
    L, S = values.shape
    value_title = value_title or kind
    per = 40 if max(L, S) <= TEXT_MAX_SIDE else 30
    width = (width or side_px(S, per=per)) + MARGIN_W
    height = (height or side_px(L, per=per)) + MARGIN_H
    domain = colour_domain(kind, values)
    outline = highlight_row is not None
    pending = None if pending_from is None else np.arange(L)[:, None] >= int(pending_from)
    summary = map_summary(values, rows, cols, title=title or value_title, kind=kind,
                          masked=masked if pending is None else np.logical_or(
                              pending, False if masked is None else masked),
                          row_title=row_title, col_title=col_title)
    if draws_as_image(L, S):
        if pending_from is not None:
            masked = np.zeros((L, S), bool) if masked is None else np.array(masked, bool)
            masked[pending_from:] = True
        hit = im.wants_hits(L * S)
        spec = _raster_template(L, S, scheme_of(kind), domain, title, value_title,
                                (width, height), row_title, col_title, outline, hit, select)
        frames = im.map_data(values, rows, cols, scheme_of(kind), domain, masked, hit=hit)
        if outline:
            frames[OUTLINE] = outline_frame(highlight_row, frames)
        return Chart(spec, frames.pop(TABLE), frames, summary)
    spec = _rect_template(kind, domain, title, value_title, row_title, col_title, width, height,
                          max(L, S) <= TEXT_MAX_SIDE, outline, S > 24, L > 24, select,
                          None if pending_from is None else int(pending_from))
    table = matrix_frame(values, rows, cols, masked)
    more = {OUTLINE: outline_frame(highlight_row, {TABLE: table})} if outline else None
    return Chart(spec, table, more, summary)


@functools.lru_cache(maxsize=TEMPLATES)
def _raster_template(L: int, S: int, scheme: str, domain: tuple[float, float], title: str,
                     value_title: str, size: tuple[int, int], row_title: str, col_title: str,
                     outline: bool, hit: bool, select: bool) -> dict:
    """An image heatmap's spec, its data (images, labels, hit grid) detached: built once per
    shape, never from the tokens themselves."""
    chart = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=domain, value_title=value_title, size=size,
        row_title=row_title, col_title=col_title, hit=hit, smooth=S > size[0] or L > size[1],
        facet=False, select="query" if select else None, outline=outline,
    )).properties(title=title, width=size[0], height=size[1])
    return vega_spec(chart)


def token_axes(row_title: str | None, col_title: str | None, labels: bool = True,
               thin_x: bool = False, thin_y: bool = False) -> dict:
    """Token axes of rect marks over a `matrix_frame`; every label drawn unless `labels` is
    False or that axis is `thin_*`."""
    return dict(
        x=alt.X("key_token:O", sort=alt.EncodingSortField("key", op="min"), title=col_title,
                axis=alt.Axis(labelAngle=-45, labelLimit=90, labelOverlap=thin_x or not labels)),
        y=alt.Y("query_token:O", sort=alt.EncodingSortField("query", op="min"), title=row_title,
                axis=alt.Axis(labelLimit=90, labelOverlap=thin_y or not labels)),
    )


@functools.lru_cache(maxsize=TEMPLATES)
def _rect_template(kind: str, domain: tuple[float, float], title: str, value_title: str,
                   row_title: str, col_title: str, width: int, height: int, text: bool,
                   outline: bool, thin_x: bool = False, thin_y: bool = False,
                   select: bool = False, pending_from: int | None = None) -> dict:
    """Rect marks over a `matrix_frame`; with `select`, a click on a cell selects its query;
    rows from `pending_from` on are drawn as not computed yet."""
    pending = "false" if pending_from is None else f"datum.query >= {pending_from}"
    # One condition (Vega-Lite takes one before a field): its colour is an expression.
    fill = alt.value(MASK_COLOR) if pending_from is None else alt.value(
        {"expr": f"datum.masked ? '{MASK_COLOR}' : '{PENDING_COLOR}'"})
    test = "datum.masked" if pending_from is None else f"datum.masked || {pending}"
    colour = (alt.when(test).then(fill)
              .otherwise(alt.Color("value:Q", scale=colour_scale(kind, domain), title=value_title)))
    base = alt.Chart(named_data()).encode(**token_axes(row_title, col_title, thin_x=thin_x,
                                                       thin_y=thin_y))
    tip = TOOLTIP_TEXT if pending_from is None else _PENDING_TEXT.format(pending_from)
    rect = base.mark_rect().transform_calculate(text=tip).encode(
        color=colour,
        tooltip=[alt.Tooltip("query_token:N", title=row_title),
                 alt.Tooltip("key_token:N", title=col_title),
                 alt.Tooltip("text:N", title=value_title)],
    )
    if select:
        rect = rect.add_params(alt.selection_point(name=SELECTION, fields=["query"], on="click",
                                                   clear="dblclick"))
    layers = [rect]
    if outline:
        layers.append(outline_layer(token_axes(row_title, col_title, thin_x=thin_x,
                                               thin_y=thin_y)["y"]))
    if text:
        dark = "datum.value < 0.5" if kind == "weights" else f"abs(datum.value) > {0.6 * domain[1]}"
        layers.append(base.mark_text(fontSize=10).encode(
            text=alt.Text("value:Q", format=".2f"),
            color=alt.when(dark).then(alt.value("white")).otherwise(alt.value("black")),
        ).transform_filter("!datum.masked" if pending_from is None
                           else f"!datum.masked && !({pending})"))
    return vega_spec(alt.layer(*layers).properties(title=title, width=width, height=height))
