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
from PIL import Image

__all__ = [
    "HIGHLIGHT_COLOR", "MASK_COLOR", "SCHEMES", "color_indices", "colorize", "image_row", "palette",
    "png_data_url",
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
# The chart specs live in `attention.image_maps` (labels and tooltips as data); these two
# build a self-contained Altair chart from them, for notebooks and exports.


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


def image_row(values, scheme: str, domain, masked=None) -> dict:
    """The PNG data URL of one (L, S) map (one pixel per cell)."""
    return {"url": png_data_url(color_indices(values, scheme, domain, masked), palette(scheme))}


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
    from . import image_maps as im

    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"values must be (L, S), got shape {v.shape}")
    L, S = v.shape
    dom = _check_domain(domain)
    hit = im.wants_hits(L * S) if tooltips is None else bool(tooltips)
    width, height = _size(size, L, S, 28, 240, 480)
    frames = im.map_data(v, query_labels, key_labels, scheme.lower(), dom, masked, hit=hit)
    chart = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=dom, value_title=value_title, size=(width, height),
        row_title=row_title, col_title=col_title, hit=hit, smooth=S > width or L > height,
        facet=False, select=select, highlight_row=highlight_row),
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
    from . import image_maps as im

    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 3:
        raise ValueError(f"values must be (H, L, S), got shape {v.shape}")
    H, L, S = v.shape
    dom = _check_domain(domain)
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
