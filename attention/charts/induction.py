"""The lab's induction charts: one head's map with the ideal induction pattern drawn over
it and the repeat's start marked, and the loss at each position of a repeated sequence."""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

from attention.charts.base import (
    REFERENCE_COLOR,
    SERIES_COLORS,
    TEMPLATES,
    TEXT_COLOR,
    Chart,
    colour_scale,
    named_data,
    once,
    vega_spec,
)
from attention.charts.raster import MASK_COLOR

IDEAL_COLOR = "#ff4fa3"  # the ideal pattern's outline: apart from viridis and the red rules


def induction_frame(weights: np.ndarray, labels: list[str], targets: np.ndarray,
                    masked: np.ndarray) -> pd.DataFrame:
    """Long frame of one (L, L) map: query, key (positions), their tokens, value, masked,
    ideal (the key an induction head would attend to)."""
    L = weights.shape[0]
    q, k = (a.ravel() for a in np.indices((L, L)))
    w = np.asarray(weights, dtype=np.float64).ravel()
    m = np.asarray(masked, bool).ravel() | ~np.isfinite(w)
    tokens = np.asarray([str(t) for t in labels], dtype=object)
    return pd.DataFrame({"query": q, "key": k, "query_token": tokens[q], "key_token": tokens[k],
                         "value": np.where(m, 0.0, w), "masked": m,
                         "ideal": np.asarray(targets, bool).ravel()})


def induction_map(weights: np.ndarray, labels: list[str], *, targets: np.ndarray,
                  masked: np.ndarray, repeat_start: int, title: str, size: int = 330) -> Chart:
    """One head's (L, L) map, rect marks on positions: the ideal induction pattern outlined
    (`targets`, (L, L) bool) and the repeat's start as dashed red rules on both axes.

    Args:
        weights: (L, L) in [0, 1]; masked: (L, L) bool, True = never seen (grey).
    """
    L = weights.shape[0]
    frame = induction_frame(weights, labels, targets, masked)
    return Chart(_induction_template(L, int(repeat_start), title, int(size)), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _induction_template(L: int, repeat_start: int, title: str, size: int) -> dict:
    axis = dict(scale=alt.Scale(domain=[-0.5, L - 0.5], nice=False, zero=False))
    base = alt.Chart(named_data()).transform_calculate(
        q0="datum.query - 0.5", q1="datum.query + 0.5", k0="datum.key - 0.5", k1="datum.key + 0.5")
    x = alt.X("k0:Q", title="key position", **axis)
    # query 0 at the top, as on every other map
    y = alt.Y("q0:Q", title="query position",
              scale=alt.Scale(domain=[L - 0.5, -0.5], nice=False, zero=False))
    cells = dict(x=x, x2="k1:Q", y=y, y2="q1:Q")
    colour = (alt.when("datum.masked").then(alt.value(MASK_COLOR))
              .otherwise(alt.Color("value:Q", scale=colour_scale("weights", (0.0, 1.0)),
                                   title="weight", legend=None)))  # the grid beside has one
    heat = base.mark_rect().encode(
        **cells, color=colour,
        tooltip=[alt.Tooltip("query_token:N", title="query token"),
                 alt.Tooltip("key_token:N", title="key token"),
                 alt.Tooltip("value:Q", format=".3f", title="weight"),
                 alt.Tooltip("ideal:N", title="ideal induction target")])
    ideal = base.mark_rect(fill=None, stroke=IDEAL_COLOR, strokeWidth=1.5).encode(
        **cells).transform_filter("datum.ideal")
    edge = repeat_start - 0.5
    rules = [once(alt.Chart(named_data()).mark_rule(color=REFERENCE_COLOR, strokeDash=[5, 3])
                   .encode(**{axis_name: alt.datum(edge)})) for axis_name in ("x", "y")]
    label = once(alt.Chart(named_data()).mark_text(
        align="left", baseline="bottom", dx=3, dy=-2, color=REFERENCE_COLOR,
        text="repeat starts").encode(x=alt.datum(edge), y=alt.datum(edge)))
    chart = alt.layer(heat, ideal, *rules, label).properties(
        title=title, width=size, height=size)
    return vega_spec(chart)


def position_loss(loss: np.ndarray, knocked: np.ndarray | None, *, repeat_start: int,
                  chance: float, knocked_label: str, title: str) -> Chart:
    """Loss at each position of a sequence repeated twice, and (if given) the same with
    heads knocked out; the repeat's start and the loss of a uniform guess marked.

    Args:
        loss, knocked: (L - 1,) mean cross-entropy of the next token, read at each position.
    """
    rows = [("trained model", t, float(v)) for t, v in enumerate(loss)]
    if knocked is not None:
        rows += [(knocked_label, t, float(v)) for t, v in enumerate(knocked)]
    frame = pd.DataFrame(rows, columns=["series", "position", "value"])
    names = ("trained model",) + (() if knocked is None else (knocked_label,))
    return Chart(_position_loss_template(names, len(loss), int(repeat_start), float(chance),
                                         title), frame)


@functools.lru_cache(maxsize=TEMPLATES)
def _position_loss_template(names: tuple[str, ...], n: int, repeat_start: int, chance: float,
                            title: str) -> dict:
    base = alt.Chart(named_data())
    line = base.mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("position:Q", title="position (the loss of predicting the next token)",
                scale=alt.Scale(domain=[0, n - 1], nice=False)),
        y=alt.Y("value:Q", title="cross-entropy (nats)"),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=list(names), range=list(SERIES_COLORS[:len(names)])),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=list(names),
                                                  range=[[1, 0], [6, 3]][:len(names)])),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("position:Q"),
                 alt.Tooltip("value:Q", format=".3f", title="loss (nats)")])
    start = repeat_start - 0.5
    marks = [once(m) for m in (
        base.mark_rule(color=REFERENCE_COLOR, strokeDash=[5, 3]).encode(x=alt.datum(start)),
        base.mark_text(align="left", baseline="top", dx=4, dy=4, color=REFERENCE_COLOR,
                       text="second copy starts").encode(x=alt.datum(start), y=alt.value(0)),
        base.mark_rule(color=TEXT_COLOR, strokeDash=[2, 2]).encode(y=alt.datum(chance)),
        base.mark_text(align="left", baseline="bottom", dx=2, dy=-2, color=TEXT_COLOR,
                       text=f"uniform guess (ln V = {chance:.2f})").encode(
            x=alt.value(0), y=alt.datum(chance)),
    )]
    return vega_spec(alt.layer(line, *marks).properties(title=title, height=300))
