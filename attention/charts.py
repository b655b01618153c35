"""Arrays and DataFrames -> Vega-Lite charts: heatmaps, head grids, bars and lines.

Weights use viridis on a fixed [0, 1] domain so maps compare; scores and logits a
diverging scheme centred at 0 on a symmetric "nice" domain; masked cells are grey,
never a colour of a huge negative number. Small maps are rect marks with exact
tooltips; large ones are images (see `attention.raster`), which the browser paints in
a fraction of the time.

A chart is a `Chart`: a Vega-Lite spec that names its data "table", plus the DataFrame.
Specs are built once per shape (title, sizes, scale) and cached, so a rerun that only
changes the numbers sends the same spec with new data, and builds no Altair objects.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from .frames import matrix_frame
from . import image_maps as im
from .image_maps import SELECTION
from .raster import HIGHLIGHT_COLOR, MASK_COLOR

TABLE = "table"  # the one named dataset of every chart
# Above this many cells per chart, rect marks cost the browser more than a rerun
# (measured with bench/browser.py: 64 x 64 rect maps took ~580 ms of drawing, images ~50 ms).
RECT_MAX_CELLS = 1024
TEXT_MAX_SIDE = 12  # write the numbers in the cells up to 12 x 12
# Streamlit sizes Vega-Lite charts with autosize "fit": width and height include the axes,
# titles and legend. These margins keep the plot area itself near the size asked for.
MARGIN_W, MARGIN_H = 150, 100
_TEMPLATES = 512
PENDING_COLOR = "#fff3cf"  # rows not computed yet (generation step by step)


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec whose data, if any, is the named dataset "table" (and, for image
    maps, the label datasets in `more`)."""

    spec: dict
    data: pd.DataFrame | None = None
    more: dict[str, pd.DataFrame] | None = None

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


def _named() -> alt.Data:
    return alt.Data(name=TABLE)


def _spec(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    spec.pop("$schema", None)
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
    return (0.0, 1.0) if kind == "weights" else nice_domain(values)


def side_px(n: int, lo: int = 180, hi: int = 400, per: int = 30) -> int:
    """Plot side in pixels for n rows or columns: `per` each, within [lo, hi]."""
    return int(min(max(per * n, lo), hi))


def heatmap(values: np.ndarray, rows: list[str], cols: list[str], *, kind: str = "weights",
            title: str = "", masked: np.ndarray | None = None, value_title: str | None = None,
            highlight_row: int | None = None, row_title: str = "query", col_title: str = "key",
            width: int | None = None, height: int | None = None, select: bool = False,
            pending_from: int | None = None) -> Chart:
    """One (L, S) map: rect marks with tooltips when small, an image when large.

    Args:
        values: (L, S); kind: "weights" (viridis, [0, 1]) or "scores" (diverging at 0).
        masked: (L, S) bool, True = masked (drawn grey).
        highlight_row: a query row to outline.
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
    row = None if highlight_row is None else int(highlight_row)
    if L * S > RECT_MAX_CELLS:
        if pending_from is not None:
            masked = np.zeros((L, S), bool) if masked is None else np.array(masked, bool)
            masked[pending_from:] = True
        hit = im.wants_hits(L * S)
        spec = _raster_template(L, S, _scheme(kind), domain, title, value_title, (width, height),
                                row_title, col_title, row, hit, select)
        frames = im.map_data(values, rows, cols, _scheme(kind), domain, masked, hit=hit)
        return Chart(spec, frames.pop(TABLE), frames)
    spec = _rect_template(kind, domain, title, value_title, row_title, col_title, width, height,
                          max(L, S) <= TEXT_MAX_SIDE, row, S > 24, L > 24, select,
                          None if pending_from is None else int(pending_from))
    return Chart(spec, matrix_frame(values, rows, cols, masked))


@functools.lru_cache(maxsize=_TEMPLATES)
def _raster_template(L: int, S: int, scheme: str, domain: tuple[float, float], title: str,
                     value_title: str, size: tuple[int, int], row_title: str, col_title: str,
                     highlight_row: int | None, hit: bool, select: bool) -> dict:
    """An image heatmap's spec, its data (images, labels, hit grid) detached: built once per
    shape, never from the tokens themselves."""
    chart = alt.layer(*im.layers(
        L, S, scheme=scheme, domain=domain, value_title=value_title, size=size,
        row_title=row_title, col_title=col_title, hit=hit, smooth=S > size[0] or L > size[1],
        facet=False, select="query" if select else None, highlight_row=highlight_row,
    )).properties(title=title, width=size[0], height=size[1])
    return _spec(chart)


def _scheme(kind: str) -> str:
    return "viridis" if kind == "weights" else "redblue"


def _scale(kind: str, domain: tuple[float, float]) -> alt.Scale:
    if kind == "weights":
        extra = {} if domain == (0.0, 1.0) else {"clamp": True}  # relative: >= top is brightest
        return alt.Scale(scheme="viridis", domain=list(domain), **extra)
    return alt.Scale(scheme="redblue", domain=list(domain), domainMid=0)


def _axes(row_title: str | None, col_title: str | None, labels: bool = True,
          thin_x: bool = False, thin_y: bool = False) -> dict:
    """Token axes; every label drawn unless `labels` is False or that axis is `thin_*`."""
    return dict(
        x=alt.X("key_token:O", sort=alt.EncodingSortField("key", op="min"), title=col_title,
                axis=alt.Axis(labelAngle=-45, labelLimit=90, labelOverlap=thin_x or not labels)),
        y=alt.Y("query_token:O", sort=alt.EncodingSortField("query", op="min"), title=row_title,
                axis=alt.Axis(labelLimit=90, labelOverlap=thin_y or not labels)),
    )


_TOOLTIP_TEXT = "datum.masked ? 'masked (−∞)' : format(datum.value, '.4f')"
_PENDING_TEXT = "datum.query >= {} ? 'not computed yet' : " + _TOOLTIP_TEXT


@functools.lru_cache(maxsize=_TEMPLATES)
def _rect_template(kind: str, domain: tuple[float, float], title: str, value_title: str,
                   row_title: str, col_title: str, width: int, height: int, text: bool,
                   highlight_row: int | None, thin_x: bool = False, thin_y: bool = False,
                   select: bool = False, pending_from: int | None = None) -> dict:
    """Rect marks over a `matrix_frame`; with `select`, a click on a cell selects its query;
    rows from `pending_from` on are drawn as not computed yet."""
    pending = "false" if pending_from is None else f"datum.query >= {pending_from}"
    # One condition (Vega-Lite takes one before a field): its colour is an expression.
    fill = alt.value(MASK_COLOR) if pending_from is None else alt.value(
        {"expr": f"datum.masked ? '{MASK_COLOR}' : '{PENDING_COLOR}'"})
    test = "datum.masked" if pending_from is None else f"datum.masked || {pending}"
    colour = (alt.when(test).then(fill)
              .otherwise(alt.Color("value:Q", scale=_scale(kind, domain), title=value_title)))
    base = alt.Chart(_named()).encode(**_axes(row_title, col_title, thin_x=thin_x, thin_y=thin_y))
    tip = _TOOLTIP_TEXT if pending_from is None else _PENDING_TEXT.format(pending_from)
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
    if highlight_row is not None:
        layers.append(base.mark_rect(fill=None, stroke=HIGHLIGHT_COLOR, strokeWidth=2)
                      .transform_filter(f"datum.query == {highlight_row}"))
    if text:
        dark = "datum.value < 0.5" if kind == "weights" else f"abs(datum.value) > {0.6 * domain[1]}"
        layers.append(base.mark_text(fontSize=10).encode(
            text=alt.Text("value:Q", format=".2f"),
            color=alt.when(dark).then(alt.value("white")).otherwise(alt.value("black")),
        ).transform_filter("!datum.masked" if pending_from is None
                           else f"!datum.masked && !({pending})"))
    return _spec(alt.layer(*layers).properties(title=title, width=width, height=height))


def bars(frame: pd.DataFrame, *, y: str, title: str, y_title: str, reference: float | None = None,
         reference_label: str = "", per_row_max: str | None = None,
         highlight: int | None = None, x: str = "token", x_title: str = "query token",
         order: str = "position") -> Chart:
    """Bars per position; optional horizontal reference line (e.g. ln n) and per-bar ticks."""
    return Chart(_bars_template(y, title, y_title, reference, reference_label, per_row_max,
                                highlight, x, x_title, order), frame)


@functools.lru_cache(maxsize=_TEMPLATES)
def _bars_template(y: str, title: str, y_title: str, reference: float | None, reference_label: str,
                   per_row_max: str | None, highlight: int | None, x: str, x_title: str,
                   order: str) -> dict:
    enc_x = alt.X(f"{x}:O", sort=alt.EncodingSortField(order, op="min"), title=x_title,
                  axis=alt.Axis(labelAngle=-45, labelLimit=90))
    bar_colour = (alt.when(f"datum.{order} == {highlight}").then(alt.value(HIGHLIGHT_COLOR))
                  .otherwise(alt.value("#4c78a8"))) if highlight is not None else alt.value("#4c78a8")
    base = alt.Chart(_named())
    layers = [base.mark_bar().encode(
        x=enc_x, y=alt.Y(f"{y}:Q", title=y_title), color=bar_colour,
        tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", format=".4f", title=y_title)])]
    if per_row_max:
        layers.append(base.mark_tick(color="black", thickness=2).encode(
            x=enc_x, y=alt.Y(f"{per_row_max}:Q"),
            tooltip=[alt.Tooltip(f"{per_row_max}:Q", format=".4f", title="maximum")]))
    layers += _reference(base, reference, reference_label)
    return _spec(alt.layer(*layers).properties(title=title, height=320))


def _reference(base: alt.Chart, value: float | None, label: str) -> list:
    """A dashed horizontal line at `value`, labelled, drawn without data of its own."""
    if value is None:
        return []
    return [base.mark_rule(color=REFERENCE_COLOR, strokeDash=[6, 3]).encode(y=alt.datum(value)),
            base.mark_text(align="left", dx=4, dy=-6, color=REFERENCE_COLOR, text=label).encode(
                y=alt.datum(value), x=alt.value(0))]


# One colour per meaning across the app: the reference line's red is never a data series.
REFERENCE_COLOR = "#e45756"
SCALED_COLOR, UNSCALED_COLOR = "#4c78a8", "#f58518"  # √d_k scaled / unscaled, in every chart
SERIES_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#9d755d", "#bab0ac")


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
        colors = tuple(zip(names, SERIES_COLORS * (len(names) // len(SERIES_COLORS) + 1)))
    return Chart(_lines_template(x, y, title, x_title, y_title, log_x, reference, reference_label,
                                 marker_x, log_y, colors), frame)


@functools.lru_cache(maxsize=_TEMPLATES)
def _lines_template(x: str, y: str, title: str, x_title: str, y_title: str, log_x: bool,
                    reference: float | None, reference_label: str, marker_x: float | None,
                    log_y: bool = False, colors: tuple[tuple[str, str], ...] = ()) -> dict:
    scale = alt.Scale(type="log", base=2) if log_x else alt.Scale()
    y_scale = alt.Scale(type="log") if log_y else alt.Scale()
    colour_scale = alt.Scale(domain=[n for n, _ in colors], range=[c for _, c in colors])
    base = alt.Chart(_named())
    layers = [base.mark_line(point=True).encode(
        x=alt.X(f"{x}:Q", scale=scale, title=x_title), y=alt.Y(f"{y}:Q", title=y_title, scale=y_scale),
        color=alt.Color("series:N", title=None, scale=colour_scale,
                        legend=alt.Legend(orient="bottom")),
        tooltip=["series:N", alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=".4f")])]
    layers += _reference(base, reference, reference_label)
    if marker_x is not None:
        layers.append(base.mark_rule(color="gray").encode(x=alt.datum(marker_x)))
    return _spec(alt.layer(*layers).properties(title=title, height=360))


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
                                  log_y, marker_x, event_x, event_label, height), frame)


@functools.lru_cache(maxsize=_TEMPLATES)
def _curves_template(x: str, y: str, title: str, x_title: str, y_title: str,
                     colours: tuple[tuple[str, str], ...], x_domain: tuple[float, float] | None,
                     y_domain: tuple[float, float] | None, log_y: bool, marker_x: float | None, event_x: float | None, event_label: str,
                     height: int) -> dict:
    names, hues = [n for n, _ in colours], [c for _, c in colours]
    y_scale = alt.Scale(type="log") if log_y else alt.Scale(domain=list(y_domain) if y_domain else alt.Undefined)
    base = alt.Chart(_named())
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=14), clip=True).encode(
        x=alt.X(f"{x}:Q", title=x_title,
                scale=alt.Scale(domain=list(x_domain)) if x_domain else alt.Scale()),
        y=alt.Y(f"{y}:Q", title=y_title, scale=y_scale),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=hues),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip(f"{x}:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", format=".4f", title=y_title)])]
    if event_x is not None:
        layers += [base.mark_rule(color="#e45756", strokeDash=[6, 3]).encode(x=alt.datum(event_x)),
                   base.mark_text(align="left", baseline="top", dx=4, dy=4, color="#e45756",
                                  text=event_label).encode(x=alt.datum(event_x), y=alt.value(0))]
    if marker_x is not None:
        layers.append(base.mark_rule(color="gray").encode(x=alt.datum(marker_x)))
    return _spec(alt.layer(*layers).properties(title=title, height=height + MARGIN_H))


from .grids import RELATIVE_MAX, head_grid, relative_weights  # noqa: E402  (re-exported)
