"""Image heatmaps as Vega-Lite specs: a PNG per map, token labels and tooltips as data.

A map is one PNG image mark stretched over the plot (see `attention.charts.raster` for the
colours). Everything a learner reads is data, never code: the axes are ordinal scales
whose domains come from the named datasets "keys" and "queries" (one row per token),
so no token ever enters a Vega expression (a label such as `if` or `constructor` there
broke the whole chart). Up to `HIT_MAX_CELLS` cells a chart, an invisible hit grid of
rects (one per cell, in "table" beside the images) gives each cell a tooltip with its
query token, key token and value (`HIT_MAX_GRID_CELLS` for a grid); above that the image
has no tooltip at all (the zoom window gives exact values), never the raw mark.

Datasets: "table" holds image rows (`cell` False: url, head, head_title) and hit-grid
rows (`cell` True); "keys" and "queries" hold the axis labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from attention.charts.frames import axis_labels
from attention.charts.outline import outline_layer
from attention.charts.raster import DIVERGING, color_indices, palette, png_data_url

TABLE, KEYS, QUERIES = "table", "keys", "queries"
# Invisible tooltip rects cost the browser about as much as visible ones (~0.1 ms each):
# up to 50 x 50 for one map, and 8192 for a grid of thumbnails (72 heads of 10 tokens).
HIT_MAX_CELLS = 2_500
HIT_MAX_GRID_CELLS = 8_192
MAX_LABELS = 48  # above this many tokens an axis shows indices, not token labels
SELECTION = "query_row"  # the click selection's name (Streamlit reads it back)


def color_scale(scheme: str, domain: tuple[float, float]) -> alt.Scale:
    lo, hi = domain
    if scheme.lower() in DIVERGING and lo < 0 < hi:
        return alt.Scale(scheme=scheme.lower(), domain=[lo, hi], domainMid=0, clamp=True)
    return alt.Scale(scheme=scheme.lower(), domain=[lo, hi], clamp=True)


def index_step(n: int, target: int = 16) -> int:
    """A round step (1, 2, 5, 10, 20, 50, ...) giving at most ~`target` ticks over n."""
    step = 1
    while n / step > target:
        for m in (2, 5, 10):
            if n / (step * m) <= target:
                return step * m
        step *= 10
    return step


def _texts(labels: Sequence[str] | None, n: int, what: str) -> list[str]:
    texts = [str(s) for s in labels] if labels is not None else [str(i) for i in range(n)]
    if len(texts) != n:
        raise ValueError(f"{len(texts)} labels for {n} cells on the {what} axis")
    return texts


def axis_ticks(texts: list[str]) -> list[str]:
    """What an axis writes for each position: the token (unique, see `axis_labels`) when
    there are at most MAX_LABELS, else the position index."""
    return axis_labels(texts) if len(texts) <= MAX_LABELS else [str(i) for i in range(len(texts))]


def label_frame(labels: Sequence[str] | None, n: int, name: str) -> pd.DataFrame:
    """One row per position: `{name}` index, `{name}_token` axis label."""
    return pd.DataFrame({name: np.arange(n), f"{name}_token": axis_ticks(_texts(labels, n, name))})


def image_frame(values: np.ndarray, scheme: str, domain, masked=None,
                head_titles: Sequence[str] | None = None) -> pd.DataFrame:
    """The image rows: one PNG (one pixel per cell) per (L, S) map of `values` (H, L, S)."""
    H = values.shape[0]
    m = None if masked is None else np.broadcast_to(np.asarray(masked, dtype=bool), values.shape)
    titles = head_titles if head_titles is not None else [f"head {h}" for h in range(H)]
    return pd.DataFrame({
        "cell": False, "head": np.arange(H), "head_title": [str(t) for t in titles],
        "url": [png_data_url(color_indices(values[h], scheme, domain, None if m is None else m[h]),
                             palette(scheme)) for h in range(H)]})


def cell_frame(values: np.ndarray, rows: Sequence[str] | None, cols: Sequence[str] | None,
               masked=None, head_titles: Sequence[str] | None = None) -> pd.DataFrame:
    """The hit-grid rows of (H, L, S) `values`: positions, axis labels, tokens and the
    value as text ("masked (−∞)" where masked or not finite): never NaN."""
    H, L, S = values.shape
    rt, ct = _texts(rows, L, "query"), _texts(cols, S, "key")
    bad = ~np.isfinite(values)
    if masked is not None:
        bad = bad | np.broadcast_to(np.asarray(masked, dtype=bool), values.shape)
    h, q, k = (a.ravel() for a in np.indices((H, L, S)))
    text = np.char.mod("%.4f", np.where(bad, 0.0, values).ravel()).astype(object)
    text[bad.ravel()] = "masked (−∞)"
    titles = np.asarray([str(t) for t in head_titles] if head_titles is not None
                        else [f"head {i}" for i in range(H)], dtype=object)
    return pd.DataFrame({
        "cell": True, "head": h, "head_title": titles[h], "query": q, "key": k,
        "query_token": np.asarray(axis_ticks(rt), dtype=object)[q],
        "key_token": np.asarray(axis_ticks(ct), dtype=object)[k],
        "query_text": np.asarray(rt, dtype=object)[q], "key_text": np.asarray(ct, dtype=object)[k],
        "text": text})


def map_data(values: np.ndarray, rows, cols, scheme: str, domain, masked=None,
             head_titles=None, hit: bool = False) -> dict[str, pd.DataFrame]:
    """The three named datasets of an image map or grid; `values` is (L, S) or (H, L, S)."""
    v = np.asarray(values, dtype=np.float32)
    v = v[None] if v.ndim == 2 else v
    m = masked
    if m is not None and np.ndim(m) == 2:
        m = np.broadcast_to(np.asarray(m, dtype=bool), v.shape)
    table = image_frame(v, scheme, domain, m, head_titles)
    if hit:
        cells = cell_frame(v, rows, cols, m, head_titles)
        table = pd.concat([table, cells], ignore_index=True)
        # Image rows have no cell: -1 and "" there, so no column ever holds NaN.
        table[["query", "key"]] = table[["query", "key"]].fillna(-1).astype(np.int64)
        texts = ["query_token", "key_token", "query_text", "key_text", "text"]
        table[texts] = table[texts].fillna("")
        table["url"] = table["url"].fillna("")
    return {TABLE: table, KEYS: label_frame(cols, v.shape[2], "key"),
            QUERIES: label_frame(rows, v.shape[1], "query")}


def wants_hits(cells: int, grid: bool = False) -> bool:
    return cells <= (HIT_MAX_GRID_CELLS if grid else HIT_MAX_CELLS)


def legend_of(domain: tuple[float, float], open_top: bool, **kw) -> alt.Legend:
    """A colour legend; with `open_top` its top label says "≥ top" (numbers only: no tokens)."""
    if open_top:
        kw["labelExpr"] = f"datum.value >= {domain[1]:g} ? '≥ {domain[1]:g}' : datum.label"
    return alt.Legend(**kw)


def _band(name: str, n: int, title: str | None, horizontal: bool, labels: bool, px: int) -> dict:
    """An ordinal position channel over `{name}_token`, in position order, no padding; past
    MAX_LABELS, index labels about every 45 px across (x) or 25 px down (y)."""
    axis = None
    if title is not None:
        # Every label while they fit (>= 11 px each); crowded ones drop some rather than smear.
        kw = dict(title=title, grid=False, domain=False, tickSize=3, labelLimit=80,
                  labelOverlap=False if px >= 11 * min(n, MAX_LABELS) else "greedy",
                  labels=labels, ticks=labels)
        if n > MAX_LABELS:  # index labels at a round step
            step = index_step(n, max(2, px // (45 if horizontal else 25)))
            kw["values"] = [str(i) for i in range(0, n, step)]
            if horizontal:
                kw.update(labelAngle=0, labelAlign="center")
        elif horizontal and n > 1:
            kw.update(labelAngle=-45, labelAlign="right", labelBaseline="top")
        axis = alt.Axis(**kw)
    cls = alt.X if horizontal else alt.Y
    return dict(field=f"{name}_token", type="ordinal", axis=axis, channel=cls,
                sort=alt.EncodingSortField(name, op="min"),
                scale=alt.Scale(paddingInner=0, paddingOuter=0))


def _channel(b: dict):
    # Every layer carries the same axis: Vega-Lite merges them into one (a null would win).
    return b["channel"](b["field"], type=b["type"], sort=b["sort"], scale=b["scale"], axis=b["axis"])


def layers(L: int, S: int, *, scheme: str, domain: tuple[float, float], value_title: str,
           size: tuple[int, int], row_title: str | None, col_title: str | None,
           hit: bool, smooth: bool, facet: bool, select: str | None = None,
           labels: bool = True, outline: bool = False, open_top: bool = False) -> list:
    """The layers of one map: image, axis carriers, legend, optional hit grid and outline.

    Args:
        size: the plot's (width, height) in pixels (used inside a facet; a single view
            reads Vega's own width and height signals, which Streamlit may stretch).
        select: a field ("query" or "head") that a click selects, as `SELECTION`.
        labels: False hides the token labels (thumbnails); titles None hide the axes.
        open_top: the legend's top label reads "≥ top" (values above it are clamped).
    """
    w, h = size
    x = _band("key", S, col_title, True, labels, w)
    y = _band("query", L, row_title, False, labels, h)
    table = alt.Data(name=TABLE)
    image = alt.Chart(table if not facet else alt.Undefined).mark_image(
        aspect=False, smooth=smooth, align="left", baseline="top", tooltip=None,
        width=w if facet else alt.ExprRef("width"), height=h if facet else alt.ExprRef("height"),
    ).encode(x=alt.value(0), y=alt.value(0), url=alt.Url("url:N")).transform_filter("!datum.cell")
    carriers = [alt.Chart(alt.Data(name=KEYS)).mark_tick(opacity=0, tooltip=None).encode(
                    x=_channel(x)),
                alt.Chart(alt.Data(name=QUERIES)).mark_tick(opacity=0, tooltip=None).encode(
                    y=_channel(y))]
    legend = alt.Chart(alt.Data(values=[{"value": domain[0]}, {"value": domain[1]}])).mark_point(
        opacity=0, size=0, tooltip=None).encode(color=alt.Color(
            "value:Q", scale=color_scale(scheme, domain), title=value_title,
            legend=legend_of(domain, open_top, gradientLength=max(60, min(h, 200)))))
    out = [image, *carriers, legend]
    if hit:
        tips = [alt.Tooltip("query_text:N", title=row_title or "query"),
                alt.Tooltip("key_text:N", title=col_title or "key"),
                alt.Tooltip("text:N", title=value_title)]
        if facet:
            tips.insert(0, alt.Tooltip("head_title:N", title="map"))
        cells = alt.Chart(table if not facet else alt.Undefined).mark_rect(
            opacity=0, stroke=None).encode(x=_channel(x), y=_channel(y),
                                           tooltip=tips).transform_filter("datum.cell")
        out.append(cells)
    if select:
        pick = alt.selection_point(name=SELECTION, fields=[select], on="click", clear="dblclick",
                                   empty=False)
        out[-1 if hit else 0] = out[-1 if hit else 0].add_params(pick)
    if outline:  # the row named by the "outline" dataset (`attention.charts.outline`)
        out.append(outline_layer(_channel(y)))
    return out
