"""Small multiples: one attention map per head on a shared colour scale (rects or images).

Part of `attention.charts` (which re-exports `head_grid`); the same conventions apply.
Rect marks or images as `chart_base.draws_as_image` says, counting every panel's cells.
"""

from __future__ import annotations

import functools

import altair as alt
import numpy as np

from attention.charts import image_maps as im
from attention.charts.base import (
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
from attention.charts.heatmaps import TOOLTIP_TEXT, token_axes
from attention.charts.outline import OUTLINE, outline_frame, outline_layer
from attention.charts.raster import MASK_COLOR
from attention.charts.summary import map_summary


def relative_weights(weights: np.ndarray, masked: np.ndarray | None = None) -> np.ndarray:
    """Weights × n, n the number of keys a row may see: 1 means "as much as uniform"."""
    w = np.asarray(weights, dtype=np.float64)
    allowed = np.ones(w.shape, bool) if masked is None else ~np.broadcast_to(masked, w.shape)
    n = allowed.sum(axis=-1, keepdims=True)  # (..., L, 1)
    return w * n


RELATIVE_MAX = 4.0  # weight × n is coloured on [0, 4]: uniform (1) a quarter up, >= 4 brightest


def head_grid(weights: np.ndarray, rows: list[str], cols: list[str], head_titles: list[str],
              *, masked: np.ndarray | None = None, columns: int = 4, kind: str = "weights",
              size: int | None = None, axis_labels: bool = True, select: str | None = None,
              relative: bool = False, highlight_row: int | None = None) -> Chart:
    """Small multiples, one map per head, on one shared colour scale.

    Args:
        weights: (H, L, S); head_titles: H titles.
        axis_labels: False hides the token labels and ticks of every panel (thumbnails).
        select: "query" (a click on a row selects that query) or "head" (a click on a
            panel selects that head), as the point selection "query_row"; None: no clicks.
        relative: colour weight × n (n = keys the row may see) on [0, RELATIVE_MAX], so a
            uniform row is 1 on every map and big maps are not uniformly dark; the default
            [0, 1] compares the weights as they are.
        highlight_row: a query row to outline in every panel.
    """
    H, L, S = weights.shape
    # Every token labelled up to 16 tokens: panels large enough for one label a row.
    size = size or (side_px(max(L, S), lo=100, hi=240, per=15) if max(L, S) <= 16
                    else side_px(max(L, S), lo=100, hi=140, per=18))
    value_title = "weight" if kind == "weights" else kind
    if relative and kind == "weights":
        weights = relative_weights(weights, masked)
        domain, value_title = (0.0, RELATIVE_MAX), "weight × n (1 = uniform)"
    else:
        domain = colour_domain(kind, weights)
    scheme = scheme_of(kind)
    outline = highlight_row is not None
    summary = map_summary(weights, rows, cols, title=f"Attention {value_title}", kind=kind,
                          masked=masked, head_titles=[str(t) for t in head_titles])
    if draws_as_image(L, S, H):
        hit = im.wants_hits(H * L * S, grid=True)
        spec = _raster_grid_template(H, L, S, scheme, domain, columns, size, axis_labels, hit,
                                     select, value_title, relative, outline)
        frames = im.map_data(weights, rows, cols, scheme, domain, masked,
                             head_titles=[str(t) for t in head_titles], hit=hit)
        if outline:
            frames[OUTLINE] = outline_frame(highlight_row, frames)
        return Chart(spec, frames.pop(TABLE), frames, summary)
    frame = matrix_frame(weights, rows, cols, masked, head=np.asarray(head_titles, dtype=object))
    more = {OUTLINE: outline_frame(highlight_row, {TABLE: frame})} if outline else None
    return Chart(_grid_template(kind, domain, size, columns, axis_labels, select, value_title,
                                max(L, S) <= 16, relative, outline), frame, more, summary)


@functools.lru_cache(maxsize=TEMPLATES)
def _grid_template(kind: str, domain: tuple[float, float], size: int, columns: int,
                   axis_labels: bool, select: str | None = None, value_title: str = "weights",
                   every_label: bool = False, open_top: bool = False,
                   outline: bool = False) -> dict:
    colour = (alt.when("datum.masked").then(alt.value(MASK_COLOR))
              .otherwise(alt.Color("value:Q", scale=colour_scale(kind, domain), title=value_title,
                                   legend=im.legend_of(domain, open_top))))
    rect = alt.Chart().mark_rect().transform_calculate(text=TOOLTIP_TEXT).encode(
        **token_axes(None, None, labels=every_label), color=colour,
        tooltip=[alt.Tooltip("head:N"), alt.Tooltip("query_token:N", title="query"),
                 alt.Tooltip("key_token:N", title="key"), alt.Tooltip("text:N", title=value_title)],
    ).properties(width=size, height=size)
    if select:
        field = "head_index" if select == "head" else "query"
        rect = rect.add_params(alt.selection_point(name=SELECTION, fields=[field], on="click",
                                                   clear="dblclick"))
    layers = [rect]
    if outline:
        layers.append(outline_layer(token_axes(None, None, labels=every_label)["y"], 1.5))
    # Shared x and y scales: token labels only on the outer panels, so the grid stays narrow.
    grid = alt.layer(*layers, data=named_data()).facet(
        facet=alt.Facet("head:N", sort=alt.EncodingSortField("head_index", op="min"), title=None),
        columns=columns,
    )
    return vega_spec(grid if axis_labels else grid.configure_axis(labels=False, ticks=False))


@functools.lru_cache(maxsize=TEMPLATES)
def _raster_grid_template(H: int, L: int, S: int, scheme: str, domain: tuple[float, float],
                          columns: int, size: int, axis_labels: bool, hit: bool,
                          select: str | None, value_title: str, open_top: bool = False,
                          outline: bool = False) -> dict:
    inner = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=domain, value_title=value_title, size=(size, size),
        row_title=None if not axis_labels else "query", col_title=None if not axis_labels else "key",
        hit=hit, smooth=S > size or L > size, facet=True, select=select,
        labels=axis_labels, open_top=open_top, outline=outline,
    )).properties(width=size, height=size)
    return vega_spec(alt.FacetChart(
        data=alt.Data(name=TABLE), spec=inner, columns=columns,
        facet=alt.Facet("head_title:N", title=None, sort=alt.EncodingSortField("head", op="min"),
                        header=alt.Header(labelFontSize=12, labelPadding=4)),
    ).resolve_scale(color="shared"))
