"""Standalone image-map charts for tests/test_raster.py: `raster_heatmap`, `raster_head_grid`.

Each returns a self-contained Altair chart (its datasets inlined) built from the same
layers the dashboard draws (`attention.charts.image_maps`): one PNG per map, token axes and
tooltips as data, a colour legend, at any size and with every option, so the tests can
render and read the image path directly. The dashboard itself uses `charts.heatmap` and
`charts.head_grid`, which choose rect marks or images (`charts.draws_as_image`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import numpy as np

from attention.charts import image_maps as im
from attention.charts.outline import OUTLINE, outline_frame
from attention.charts.raster import check_domain


def _size(size, L: int, S: int, per_cell: int, lo: int, hi: int) -> tuple[int, int]:
    """Plot width and height: `size` as given, else per_cell px per cell within [lo, hi]."""
    if size is None:
        w = h = default = int(np.clip(per_cell * max(L, S), lo, hi))
        if S != L:  # keep cells roughly square
            h = int(round(default * L / S)) if S > L else default
            w = default if S > L else int(round(default * S / L))
        return max(w, 40), max(h, 40)
    if isinstance(size, (int, float)):
        return int(size), int(size)
    w, h = size
    return int(w), int(h)


def _records(frames: dict) -> dict:
    return {name: json.loads(f.to_json(orient="records")) for name, f in frames.items()}


def raster_heatmap(values, query_labels=None, key_labels=None, *, scheme: str = "viridis",
                   domain: Sequence[float] = (0.0, 1.0), title: str | None = None,
                   value_title: str = "weight", masked=None, size=None,
                   row_title: str = "query", col_title: str = "key",
                   highlight_row: int | None = None, tooltips: bool | None = None,
                   select: str | None = None) -> alt.LayerChart:
    """One attention map as a PNG image mark, with token axes and a colour legend.

    Query positions run down the y axis (row 0 at the top), keys along x (key 0 at
    the left). The token labels are data (datasets "queries" and "keys"), never code.

    Args:
        values: (L, S) weights, scores or logits.
        query_labels, key_labels: L and S token labels (shown when <= 48, else indices).
        scheme: "viridis" or "redblue" (diverging, centred on 0).
        domain: (low, high) of the colour scale, e.g. (0, 1) or (-m, m).
        masked: optional (L, S) bool, True = masked (drawn grey).
        size: plot width and height in pixels, an int or (width, height); default
            28 px per cell within 240..480.
        highlight_row: a query row to outline.
        tooltips: an invisible hit grid with a tooltip per cell; default when the map
            has at most `image_maps.HIT_MAX_CELLS` cells.
        select: a field ("query") that a click selects (selection "query_row").

    Returns:
        An ``alt.LayerChart`` carrying its datasets ("table": the PNG row and any hit
        grid; "keys", "queries": the labels).
    """
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"values must be (L, S), got shape {v.shape}")
    L, S = v.shape
    dom = check_domain(domain)
    hit = im.wants_hits(L * S) if tooltips is None else bool(tooltips)
    width, height = _size(size, L, S, 28, 240, 480)
    frames = im.map_data(v, query_labels, key_labels, scheme.lower(), dom, masked, hit=hit)
    if highlight_row is not None:
        frames[OUTLINE] = outline_frame(highlight_row, frames)
    chart = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=dom, value_title=value_title, size=(width, height),
        row_title=row_title, col_title=col_title, hit=hit, smooth=S > width or L > height,
        facet=False, select=select, outline=highlight_row is not None),
        datasets=_records(frames)).properties(width=width, height=height)
    return chart.properties(title=title) if title is not None else chart


def raster_head_grid(values, query_labels=None, key_labels=None, *, scheme: str = "viridis",
                     domain: Sequence[float] = (0.0, 1.0), title: str | None = None,
                     value_title: str = "weight", masked=None, titles=None,
                     columns: int = 4, size=None, row_title: str = "query",
                     col_title: str = "key", tooltips: bool | None = None,
                     select: str | None = None, labels: bool = True) -> alt.FacetChart:
    """Small multiples: one PNG image per head on a shared colour scale, faceted by head.

    Args:
        values: (H, L, S) one map per head.
        query_labels, key_labels: token labels as in ``raster_heatmap``.
        masked: optional bool mask, (L, S) or (H, L, S), True = masked.
        titles: H panel titles; default "head 0", "head 1", ...
        columns: panels per row.
        size: panel size in pixels, an int or (width, height); default 12 px
            per cell within 120..220.
        tooltips: the hit grid (default up to `image_maps.HIT_MAX_CELLS` cells in all).
        select: "query" or "head": what a click on a panel selects ("query_row").
        labels: False hides the token labels and ticks (thumbnails).

    Returns:
        An ``alt.FacetChart`` whose "table" has one image row per head (``head``, ``url``).
    """
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 3:
        raise ValueError(f"values must be (H, L, S), got shape {v.shape}")
    H, L, S = v.shape
    dom = check_domain(domain)
    width, height = _size(size, L, S, 12, 120, 220)
    if titles is None:
        titles = [f"head {h}" for h in range(H)]
    if len(titles) != H:
        raise ValueError(f"{len(titles)} titles for {H} heads")
    hit = im.wants_hits(H * L * S, grid=True) if tooltips is None else bool(tooltips)
    frames = im.map_data(v, query_labels, key_labels, scheme.lower(), dom, masked,
                         head_titles=titles, hit=hit)
    inner = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=dom, value_title=value_title, size=(width, height),
        row_title=row_title, col_title=col_title, hit=hit, smooth=S > width or L > height,
        facet=True, select=select, labels=labels)).properties(width=width, height=height)
    chart = alt.FacetChart(
        data=alt.Data(name=im.TABLE), spec=inner,
        facet=alt.Facet("head_title:N", title=None, sort=alt.EncodingSortField(field="head", op="min"),
                        header=alt.Header(labelFontSize=12, labelPadding=4)),
        columns=max(1, int(columns)), datasets=_records(frames),
    ).resolve_scale(color="shared")
    return chart.properties(title=title) if title is not None else chart
