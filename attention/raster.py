"""Attention maps as PNG images in Altair charts: the fast path for big heatmaps.

Vega-Lite draws one rect mark per cell, which is fine for an 8x8 map and hopeless for
12 heads x 128 tokens (seconds per redraw). Here a map becomes one PNG (one pixel per
cell) that an Altair image mark stretches over the plot area, with the same colour
scheme, legend and axes a rect heatmap would have.

The colours reproduce Vega's own continuous schemes: Vega stores each scheme as a list
of colour stops and interpolates them piecewise-linearly in RGB
(``d3.piecewise(d3.interpolateRgb, stops)``), rounding each channel to an integer.
The PNGs are palette images (255 scheme colours and the mask grey, one byte per cell):
three to five times faster to encode than RGB and within 2 levels of Vega's colours.
A raster has no per-cell tooltips; use rect heatmaps where those matter (small maps).
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

__all__ = [
    "MASK_COLOR", "SCHEMES", "color_indices", "colorize", "image_row", "palette", "png_data_url",
    "raster_head_grid", "raster_heatmap", "scheme_stops",
]

# Vega's continuous schemes (vega-scale `schemes.js`), 6 hex digits per colour stop.
# "redblue" runs dark red (low) -> near white (middle) -> dark blue (high).
SCHEMES: dict[str, str] = {
    "viridis": (
        "440154470e61481a6c482575472f7d443a834144873d4e8a39568c35608d31688e2d708e2a788e"
        "27818e23888e21918d1f988b1fa08822a8842ab07f35b77943bf7154c56866cc5d7ad1518fd744"
        "a5db36bcdf27d2e21be9e51afde725"
    ),
    "redblue": "8c0d25bf363adf745ef4ae91fbdbc9f2efeed2e5ef9dcae15da2cb2f78b3134b85",
}
DIVERGING = frozenset({"redblue"})
MASK_COLOR = "#dcdcdc"  # masked cells (True in `masked`) and non-finite values
HIGHLIGHT_COLOR = "#ff4b4b"  # the outline of a highlighted query row
_LUT_SIZE = 65536  # colorize's table: > 2000 entries per stop interval
_PALETTE_COLORS = 255  # PNG palette: scheme colours, plus one for the mask
_MAX_LABELS = 48  # above this many tokens an axis shows indices, not token labels


def scheme_stops(scheme: str) -> np.ndarray:
    """The colour stops of a Vega scheme as an (n, 3) uint8 array."""
    try:
        hexes = SCHEMES[scheme.lower()]
    except KeyError:
        raise ValueError(f"unknown scheme {scheme!r}; choose from {sorted(SCHEMES)}") from None
    return np.frombuffer(bytes.fromhex(hexes), dtype=np.uint8).reshape(-1, 3)


def _interpolate(stops: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Vega's scheme interpolator at t in [0, 1]: piecewise-linear RGB, JS rounding."""
    n = len(stops) - 1
    s = np.asarray(t, dtype=np.float64) * n
    i = np.clip(np.floor(s), 0, n - 1).astype(np.int64)
    f = (s - i)[..., None]
    a = stops[i].astype(np.float64)
    b = stops[i + 1].astype(np.float64)
    return np.floor(a + (b - a) * f + 0.5).clip(0, 255).astype(np.uint8)  # Math.round


def _mask_rgb() -> np.ndarray:
    return np.frombuffer(bytes.fromhex(MASK_COLOR[1:]), dtype=np.uint8)


@functools.lru_cache(maxsize=8)
def _lut(scheme: str) -> np.ndarray:
    """(_LUT_SIZE + 1) RGBA entries packed in uint32: the scheme at k / (_LUT_SIZE - 1),
    then the mask colour."""
    t = np.arange(_LUT_SIZE) / (_LUT_SIZE - 1)
    lut = np.empty((_LUT_SIZE + 1, 4), dtype=np.uint8)
    lut[:_LUT_SIZE, :3] = _interpolate(scheme_stops(scheme), t)
    lut[_LUT_SIZE, :3] = _mask_rgb()
    lut[:, 3] = 255
    words = lut.view(np.uint32).reshape(-1)
    words.setflags(write=False)
    return words


@functools.lru_cache(maxsize=8)
def palette(scheme: str) -> np.ndarray:
    """A 256-colour (256, 3) uint8 palette: entry k < 255 is the scheme at k / 254
    (so 0, the middle and 1 are exact), entry 255 is the mask colour."""
    pal = np.empty((256, 3), dtype=np.uint8)
    pal[:_PALETTE_COLORS] = _interpolate(scheme_stops(scheme.lower()),
                                         np.arange(_PALETTE_COLORS) / (_PALETTE_COLORS - 1))
    pal[_PALETTE_COLORS] = _mask_rgb()
    pal.setflags(write=False)
    return pal


def _check_domain(domain: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(d) for d in domain)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise ValueError(f"domain must be two finite numbers, low < high; got {domain!r}")
    return lo, hi


def _indices(values, scheme: str, domain: Sequence[float], masked, n: int) -> np.ndarray:
    """Nearest table entry (0..n-1) of each value, n for masked/non-finite; int32."""
    v = np.asarray(values, dtype=np.float32)
    lo, hi = _check_domain(domain)
    scheme_stops(scheme)  # validates the name
    top = np.float32(n - 1)
    if scheme.lower() in DIVERGING and lo < 0 < hi:
        # Two half-scales meeting at 0 -> t = 0.5, like Vega's diverging scale.
        idx = np.minimum(v, 0) * np.float32(0.5 * top / -lo)
        idx += np.maximum(v, 0) * np.float32(0.5 * top / hi)
        idx += np.float32(0.5 * top + 0.5)
    else:
        idx = v - np.float32(lo)
        idx *= np.float32(top / (hi - lo))
        idx += np.float32(0.5)
    np.clip(idx, 0, top, out=idx)
    bad = None if np.isfinite(v).all() else ~np.isfinite(v)
    if masked is not None:
        m = np.broadcast_to(np.asarray(masked, dtype=bool), v.shape)
        bad = m if bad is None else bad | m
    if bad is not None:
        idx[bad] = n  # the mask colour's entry (also replaces NaN)
    return idx.astype(np.int32)  # truncation after +0.5 = rounding to nearest


def colorize(values, scheme: str, domain: Sequence[float], masked=None) -> np.ndarray:
    """Map a matrix of numbers to RGBA colours the way a Vega colour scale would.

    Values are clamped to ``domain``; for a diverging scheme ("redblue") with a domain
    that spans 0, zero maps to the scheme's middle (as Vega-Lite's ``domainMid: 0``).

    Args:
        values: (L, S) numbers (numpy array, torch tensor on CPU, nested lists); any
            shape works, the output adds a trailing axis of 4.
        scheme: "viridis" (weights, domain (0, 1)) or "redblue" (scores/logits, (-m, m)).
        domain: (low, high) of the colour scale.
        masked: optional bool array broadcastable to ``values``, True = masked; drawn
            in ``MASK_COLOR``. Non-finite values (the -inf of masked logits, NaN) are
            drawn the same way.

    Returns:
        (L, S, 4) uint8 RGBA, alpha 255; each channel equal to Vega's or one level off
        (a 65536-entry table stands in for the exact interpolation).
    """
    idx = _indices(values, scheme, domain, masked, _LUT_SIZE)
    words = _lut(scheme.lower()).take(idx)
    return words.view(np.uint8).reshape(*idx.shape, 4)


def color_indices(values, scheme: str, domain: Sequence[float], masked=None) -> np.ndarray:
    """Like ``colorize`` but as (L, S) uint8 indices into ``palette(scheme)``.

    The fast path for PNGs: one byte per cell, colours within 2 levels of ``colorize``.
    """
    return _indices(values, scheme, domain, masked, _PALETTE_COLORS).astype(np.uint8)


def png_data_url(image: np.ndarray, palette: np.ndarray | None = None,
                 compress_level: int = 1) -> str:
    """A ``data:image/png;base64,...`` URL, one pixel per cell.

    Args:
        image: (H, W, 3|4) uint8 colours (an opaque RGBA image is stored as RGB), or
            (H, W) uint8 palette indices together with ``palette``.
        palette: (<= 256, 3) uint8 colours for an indexed image.
        compress_level: zlib level; 1 favours speed.
    """
    arr = np.ascontiguousarray(image, dtype=np.uint8)
    if arr.ndim == 2:
        if palette is None:
            raise ValueError("an (H, W) index image needs a palette")
        img = Image.fromarray(arr, "P")
        img.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes())
    elif arr.ndim == 3 and arr.shape[2] in (3, 4):
        if arr.shape[2] == 4 and (arr[..., 3] == 255).all():
            arr = np.ascontiguousarray(arr[..., :3])
        img = Image.fromarray(arr, "RGB" if arr.shape[2] == 3 else "RGBA")
    else:
        raise ValueError(f"expected an (H, W) or (H, W, 3|4) image, got shape {arr.shape}")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=compress_level)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# ---------------------------------------------------------------------------- charts


def _color_scale(scheme: str, domain: tuple[float, float]) -> alt.Scale:
    lo, hi = domain
    if scheme.lower() in DIVERGING and lo < 0 < hi:
        return alt.Scale(scheme=scheme.lower(), domain=[lo, hi], domainMid=0, clamp=True)
    return alt.Scale(scheme=scheme.lower(), domain=[lo, hi], clamp=True)


def _index_step(n: int, target: int = 16) -> int:
    """A round step (1, 2, 5, 10, 20, 50, ...) giving at most ~`target` ticks over n."""
    step = 1
    while n / step > target:
        for m in (2, 5, 10):
            if n / (step * m) <= target:
                return step * m
        step *= 10
    return step


def _axis(labels: Sequence[str] | None, n: int, title: str, *, horizontal: bool,
          px: int) -> alt.Axis:
    """An axis of a 0..n quantitative scale whose ticks sit at cell centres i + 0.5.

    Token labels when there are at most 48 (all of them); otherwise cell indices at a
    round step, about one per 45 px across (x) or 25 px down (y).
    """
    labels = [str(s) for s in labels] if labels is not None else []
    if labels and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} cells on the {title} axis")
    kw = {}
    if labels and n <= _MAX_LABELS:
        values = [i + 0.5 for i in range(n)]
        # Vega expressions accept JSON string literals.
        expr = f"{json.dumps(labels, ensure_ascii=True)}[floor(datum.value)]"
        if horizontal and n > 1:
            kw = {"labelAngle": -45, "labelAlign": "right", "labelBaseline": "top"}
    else:
        step = _index_step(n, max(2, px // (45 if horizontal else 25)))
        values = [i + 0.5 for i in range(0, n, step)]
        expr = "floor(datum.value)"
        if horizontal:
            kw = {"labelAngle": 0, "labelAlign": "center"}
    return alt.Axis(title=title, values=values, labelExpr=expr, grid=False, domain=False,
                    tickSize=3, labelOverlap=False, labelLimit=80, **kw)


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


def _layers(L: int, S: int, query_labels, key_labels, scheme: str,
            domain: tuple[float, float], value_title: str, width: int, height: int,
            smooth: bool, row_title: str, col_title: str):
    """The image layer (reads field `url` of its data) and the legend layer."""
    x = alt.X("x0:Q", scale=alt.Scale(domain=[0, S], nice=False, zero=False),
              axis=_axis(key_labels, S, col_title, horizontal=True, px=width))
    y = alt.Y("y0:Q", scale=alt.Scale(domain=[0, L], nice=False, zero=False, reverse=True),
              axis=_axis(query_labels, L, row_title, horizontal=False, px=height))
    image = alt.Chart().mark_image(aspect=False, smooth=smooth, align="left",
                                   baseline="top").encode(
        x=x, x2=alt.X2("x1"), y=y, y2=alt.Y2("y1"), url=alt.Url("url:N"),
    ).properties(width=width, height=height)
    # Two invisible points carrying the colour encoding give the legend a rect heatmap
    # would have (gradient on the same scheme and domain).
    legend_data = alt.Data(values=[{"value": domain[0]}, {"value": domain[1]}])
    legend = alt.Chart(legend_data).mark_point(opacity=0, size=0).encode(
        color=alt.Color("value:Q", scale=_color_scale(scheme, domain), title=value_title,
                        legend=alt.Legend(gradientLength=max(60, min(height, 200)))),
    )
    return image, legend, (x, y)


def image_row(values, scheme: str, domain, masked=None) -> dict:
    """The data row of an image heatmap: the PNG data URL and the cell extent it covers."""
    L, S = values.shape
    url = png_data_url(color_indices(values, scheme, domain, masked), palette(scheme))
    return {"url": url, "x0": 0, "x1": S, "y0": 0, "y1": L}


def raster_heatmap(values, query_labels=None, key_labels=None, *, scheme: str = "viridis",
                   domain: Sequence[float] = (0.0, 1.0), title: str | None = None,
                   value_title: str = "weight", masked=None, size=None,
                   row_title: str = "query", col_title: str = "key",
                   highlight_row: int | None = None) -> alt.LayerChart:
    """One attention map as a PNG image mark, with axes and a colour legend.

    Query positions run down the y axis (row 0 at the top), keys along x (key 0 at
    the left), as in a rect heatmap with ``x="key:O", y="query:O"``.

    Args:
        values: (L, S) weights, scores or logits.
        query_labels: L token labels (shown when L <= 48, else indices), or None.
        key_labels: S token labels, or None.
        scheme: "viridis" or "redblue" (diverging, centred on 0).
        domain: (low, high) of the colour scale, e.g. (0, 1) or (-m, m).
        title: chart title.
        value_title: legend title.
        masked: optional (L, S) bool, True = masked (drawn grey).
        size: width and height in pixels, an int (square) or (width, height); default
            28 px per cell within 240..480. Vega-Lite's meaning: the plot area under
            the default autosize "pad" (vl-convert, notebooks), the whole chart under
            Streamlit's theme, which uses "fit" (as for a rect heatmap).
        row_title, col_title: axis titles, "query" (y) and "key" (x) by default.
        highlight_row: a query row to outline.

    Returns:
        An ``alt.LayerChart`` whose data is one row holding the PNG data URL.
    """
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"values must be (L, S), got shape {v.shape}")
    L, S = v.shape
    dom = _check_domain(domain)
    width, height = _size(size, L, S, 28, 240, 480)
    smooth = S > width or L > height  # shrinking: let the browser average pixels
    image, legend, (x, y) = _layers(L, S, query_labels, key_labels, scheme, dom, value_title,
                                    width, height, smooth, row_title, col_title)
    data = pd.DataFrame([image_row(v, scheme, dom, masked)])
    layers = [image, legend]
    if highlight_row is not None and 0 <= int(highlight_row) < L:
        r = int(highlight_row)
        box = alt.Data(values=[{"x0": 0, "x1": S, "y0": r, "y1": r + 1}])
        layers.append(alt.Chart(box).mark_rect(
            fill=None, stroke=HIGHLIGHT_COLOR, strokeWidth=2).encode(
            x=x, x2="x1", y=y, y2="y1"))  # the image's channels: one set of axes
    chart = alt.layer(*layers, data=data)
    if title is not None:
        chart = chart.properties(title=title)
    return chart


def raster_head_grid(values, query_labels=None, key_labels=None, *, scheme: str = "viridis",
                     domain: Sequence[float] = (0.0, 1.0), title: str | None = None,
                     value_title: str = "weight", masked=None, titles=None,
                     columns: int = 4, size=None, row_title: str = "query",
                     col_title: str = "key") -> alt.FacetChart:
    """Small multiples: one PNG image per head on a shared colour scale, faceted by head.

    Args:
        values: (H, L, S) one map per head.
        query_labels, key_labels: token labels as in ``raster_heatmap``.
        scheme, domain, value_title: the shared colour scale and legend title.
        title: chart title.
        masked: optional bool mask, (L, S) or (H, L, S), True = masked.
        titles: H panel titles; default "head 0", "head 1", ...
        columns: panels per row.
        size: panel size in pixels, an int or (width, height); default 12 px
            per cell within 120..220.
        row_title, col_title: axis titles, "query" (y) and "key" (x) by default.

    Returns:
        An ``alt.FacetChart`` whose data has one row per head (``head``, ``url``).
    """
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 3:
        raise ValueError(f"values must be (H, L, S), got shape {v.shape}")
    H, L, S = v.shape
    dom = _check_domain(domain)
    width, height = _size(size, L, S, 12, 120, 220)
    smooth = S > width or L > height
    if masked is not None:
        masked = np.broadcast_to(np.asarray(masked, dtype=bool), v.shape)
    if titles is None:
        titles = [f"head {h}" for h in range(H)]
    if len(titles) != H:
        raise ValueError(f"{len(titles)} titles for {H} heads")
    rows = []
    for h in range(H):
        row = image_row(v[h], scheme, dom, None if masked is None else masked[h])
        rows.append({"head": h, "head_title": str(titles[h]), **row})
    image, legend, _ = _layers(L, S, query_labels, key_labels, scheme, dom, value_title,
                               width, height, smooth, row_title, col_title)
    chart = alt.layer(image, legend, data=pd.DataFrame(rows)).facet(
        facet=alt.Facet("head_title:N", title=None,
                        sort=alt.EncodingSortField(field="head", op="min"),
                        header=alt.Header(labelFontSize=12, labelPadding=4)),
        columns=max(1, int(columns)),
    ).resolve_scale(color="shared")
    if title is not None:
        chart = chart.properties(title=title)
    return chart
