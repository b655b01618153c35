"""What every chart shares: the `Chart` type, spec building, colours and domains, and the
one rule that decides whether a map is drawn as rect marks or as an image.

Part of `attention.charts` (which re-exports the public names); see its docstring.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from attention.charts.image_maps import SELECTION

TABLE = "table"  # the one named dataset of every chart
TEMPLATES = 512  # specs cached per builder (one per shape, title and scale)
# Above this many cells per chart, rect marks cost the browser more than a rerun
# (measured with bench/browser.py: 64 x 64 rect maps took ~580 ms of drawing, images ~50 ms).
RECT_MAX_CELLS = 1024
# Streamlit sizes Vega-Lite charts with autosize "fit": width and height include the axes,
# titles and legend. These margins keep the plot area itself near the size asked for.
MARGIN_W, MARGIN_H = 150, 100

# One colour per meaning across the app: the reference line's red is never a data series.
REFERENCE_COLOR = "#e45756"
SCALED_COLOR, UNSCALED_COLOR = "#4c78a8", "#f58518"  # √d_k scaled / unscaled, in every chart
SERIES_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#9d755d", "#bab0ac")
PENDING_COLOR = "#fff3cf"  # rows not computed yet (generation step by step)
# Chart text (axes, legends, titles) dark enough for a projector: WCAG AA asks 4.5:1 for
# text this small; the default greys on white are about 3.7:1. #333 is 12.6:1.
TEXT_COLOR = "#333333"
READABLE_TEXT = {
    "axis": {"labelColor": TEXT_COLOR, "titleColor": TEXT_COLOR},
    "legend": {"labelColor": TEXT_COLOR, "titleColor": TEXT_COLOR},
    "header": {"labelColor": TEXT_COLOR, "titleColor": TEXT_COLOR},
    "title": {"color": TEXT_COLOR, "subtitleColor": TEXT_COLOR},
}

# Workshop mode (a projector at the back of a room): chart text a size or two up from
# Streamlit's theme (axis labels 12 px, axis and legend titles 14, legend labels 14, facet
# headers 12). Chart titles keep the theme's 16 px: larger, a long title is cut short.
PROJECTOR_TEXT = {
    "axis": {"labelFontSize": 14, "titleFontSize": 15},
    "legend": {"labelFontSize": 15, "titleFontSize": 15},
    "header": {"labelFontSize": 14, "titleFontSize": 15},
}


def for_projector(spec: dict) -> dict:
    """`spec` with the larger chart text of `PROJECTOR_TEXT` (a copy: the cached spec stays);
    sizes the chart sets itself (a header's own size) give way to the projector's."""
    out = dict(spec)
    config = {part: dict(v) for part, v in spec.get("config", {}).items()}
    for part, sizes in PROJECTOR_TEXT.items():
        config[part] = {**config.get(part, {}), **sizes}
    out["config"] = config
    return out


def draws_as_image(rows: int, cols: int, maps: int = 1) -> bool:
    """Whether `maps` maps of rows x cols cells, drawn in one chart, are an image.

    The one place this is decided: `heatmap` (maps=1) and `head_grid` (maps = heads) follow
    it, the zoom window is offered exactly when it holds, and a page that lays out a chart
    by its kind asks it too. Up to `RECT_MAX_CELLS` cells in all: rect marks with a tooltip
    per cell (and numbers written in small maps); above: one PNG image per map.
    """
    return int(rows) * int(cols) * int(maps) > RECT_MAX_CELLS


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec whose data, if any, is the named dataset "table" (and, for image
    maps, the label datasets in `more`); `summary`, the chart in words for a screen reader
    when its builder says it (else `attention.charts.summary.describe` reads it from the
    data)."""

    spec: dict
    data: pd.DataFrame | None = None
    more: dict[str, pd.DataFrame] | None = None
    summary: str = ""

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {} if self.data is None else {TABLE: self.data}
        return {**out, **(self.more or {})}

    def streamlit_spec(self) -> dict:
        """A fresh spec with the DataFrames attached (Streamlit ships them as Arrow)."""
        spec = copy.deepcopy(self.spec)
        if self.frames():
            spec["datasets"] = self.frames()
        return spec

    def to_dict(self) -> dict:
        """A self-contained spec with the data inlined as JSON records (for export)."""
        spec = copy.deepcopy(self.spec)
        if self.frames():
            spec["datasets"] = {name: json.loads(f.to_json(orient="records"))
                                for name, f in self.frames().items()}
        return spec

    def selectable(self) -> bool:
        """Whether a click on it selects something (a named point selection)."""
        return _has_param(self.spec, SELECTION)


def _has_param(node, name: str) -> bool:
    if isinstance(node, dict):
        if any(isinstance(p, dict) and p.get("name") == name for p in node.get("params", [])):
            return True
        return any(_has_param(v, name) for v in node.values())
    if isinstance(node, list):
        return any(_has_param(v, name) for v in node)
    return False


def named_data() -> alt.Data:
    """The chart's data by name: the frame travels beside the spec, never inside it."""
    return alt.Data(name=TABLE)


def once(mark: alt.Chart) -> alt.Chart:
    """A rule or label drawn once, not once per row of the chart's data (which overprints)."""
    return mark.transform_aggregate(rows="count()")


def vega_spec(chart: alt.TopLevelMixin) -> dict:
    """An Altair chart as the Vega-Lite dict a `Chart` holds (drawn on canvas)."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    # Readable text under whatever the chart configures itself (Streamlit's theme fills in
    # only what a spec leaves unset).
    config = spec.setdefault("config", {})
    for part, colours in READABLE_TEXT.items():
        config[part] = {**colours, **config.get(part, {})}
    # Canvas draws many marks faster than SVG; tooltips work the same.
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    return spec


def nice_domain(values: np.ndarray | None) -> tuple[float, float]:
    """(-m, m) with m the largest |value| rounded up to 1, 2 or 5 x 10^k: symmetric about 0,
    and the same for most inputs of one kind, so the spec (and colours) rarely change."""
    v = np.asarray(values, dtype=float) if values is not None else np.zeros(0)
    finite = np.abs(v[np.isfinite(v)])
    m = float(finite.max()) if finite.size else 1.0
    if m <= 0:
        return -1.0, 1.0
    base = 10.0 ** math.floor(math.log10(m))
    nice = next(f * base for f in (1, 2, 5, 10) if f * base >= m * (1 - 1e-9))
    return -nice, nice


def colour_domain(kind: str, values: np.ndarray | None) -> tuple[float, float]:
    """Weights on a fixed [0, 1] (maps compare); scores and logits on a symmetric nice domain."""
    return (0.0, 1.0) if kind == "weights" else nice_domain(values)


def scheme_of(kind: str) -> str:
    return "viridis" if kind == "weights" else "redblue"


def colour_scale(kind: str, domain: tuple[float, float]) -> alt.Scale:
    """The rect-mark colour scale of a kind of map (image maps: `image_maps.color_scale`)."""
    if kind == "weights":
        extra = {} if domain == (0.0, 1.0) else {"clamp": True}  # relative: >= top is brightest
        return alt.Scale(scheme="viridis", domain=list(domain), **extra)
    return alt.Scale(scheme="redblue", domain=list(domain), domainMid=0)


def side_px(n: int, lo: int = 180, hi: int = 400, per: int = 30) -> int:
    """Plot side in pixels for n rows or columns: `per` each, within [lo, hi]."""
    return int(min(max(per * n, lo), hi))
