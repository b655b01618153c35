"""Every chart in words, for a screen reader: what it shows, its size and its extremes.

A chart drawn on a canvas is one opaque element; without a description a screen reader
says only "Vega visualization". `describe(chart)` gives the sentence the page passes as the
chart's accessible name (Streamlit's `alt`, which Vega-Embed sets as the aria-label), built
from this run's data, so it changes with the numbers while the spec stays the same:

    "Attention weights: 9 queries × 9 keys. Strongest: query 'cat' → key 'sat', 0.41."

Attention maps say it from their values (`map_summary`, called by `heatmap` and `head_grid`:
an image map carries no values in its data); every other chart is described from its spec
(title, the fields its axes and colour encode) and its frame, in `describe`.

Part of `attention.charts` (which re-exports `describe`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_CHARS = 400  # a description a screen reader reads in one breath
_CHANNELS = ("y", "x", "color", "strokeDash", "facet", "row", "column")


def _number(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _quote(label) -> str:
    return f"'{str(label).replace(chr(0x200b), '').strip()}'"


def _plural(n: int, word: str) -> str:
    """"1 query", "9 queries", "3 series": the last word of `word` in the plural."""
    if n == 1 or word.endswith("s") or not word:
        return f"{n} {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"


def map_summary(values: np.ndarray, rows: list[str], cols: list[str], *, title: str,
                masked: np.ndarray | None = None, head_titles: list[str] | None = None,
                row_title: str = "query", col_title: str = "key",
                kind: str = "weights") -> str:
    """One or several attention maps in a sentence: their size and strongest cell.

    Args:
        values: (L, S) or (H, L, S); masked: bool, broadcastable, True = masked.
        kind: "weights" names the largest value "strongest"; other kinds (scores, logits)
            give the highest and the lowest.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[None] if v.ndim == 2 else v
    H, L, S = v.shape
    ok = np.isfinite(v)
    if masked is not None:
        ok &= ~np.broadcast_to(np.asarray(masked, dtype=bool), v.shape)
    rows_word, cols_word = (row_title or "row").split(" (")[0], (col_title or "column").split(" (")[0]
    size = f"{_plural(L, rows_word)} × {_plural(S, cols_word)}"
    if H > 1:
        size = f"{H} maps of {size}"
    text = f"{title or kind}: {size}."
    if not ok.any():
        return text + " Every cell is masked."

    def cell(flat: int) -> str:
        h, i, j = np.unravel_index(flat, v.shape)
        where = (f"{head_titles[h]}, " if head_titles is not None and H > 1 else
                 f"map {h}, " if H > 1 else "")
        row = rows[i] if i < len(rows) else i
        col = cols[j] if j < len(cols) else j
        return f"{where}{rows_word} {_quote(row)} → {cols_word} {_quote(col)}, {_number(v[h, i, j])}"

    if kind == "weights":
        # A row with a single key (row 0 under a causal mask) puts all on it, whatever the
        # data: the strongest choice is among the rows that have one.
        chose = ok & (ok.sum(axis=-1, keepdims=True) >= 2)
        top = int(np.where(chose if chose.any() else ok, v, -np.inf).argmax())
        text += f" Strongest: {cell(top)}."
    else:
        top = int(np.where(ok, v, -np.inf).argmax())
        low = int(np.where(ok, v, np.inf).argmin())
        text += f" Highest: {cell(top)}; lowest: {cell(low)}."
    if (~ok).any():
        text += f" {int((~ok).sum())} of {v.size} cells masked."
    return text[:MAX_CHARS]


def _title_of(spec: dict) -> str:
    t = spec.get("title", "")
    if isinstance(t, dict):
        t = t.get("text", "")
    if isinstance(t, list):
        t = " ".join(map(str, t))
    return str(t or "")


def _encodings(spec: dict) -> dict[str, dict]:
    """The first field each channel encodes, across the spec's layers and facets."""
    found: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, dict):
            for channel, enc in (node.get("encoding") or {}).items():
                if channel in _CHANNELS and isinstance(enc, dict) and "field" in enc:
                    found.setdefault(channel, enc)
            facet = node.get("facet")
            if isinstance(facet, dict) and "field" in facet:
                found.setdefault("facet", facet)
            for key in ("layer", "spec", "hconcat", "vconcat", "concat"):
                walk(node.get(key))
        elif isinstance(node, list):
            for n in node:
                walk(n)

    walk(spec)
    return found


def _name(enc: dict) -> str:
    title = enc.get("title")
    return str(title) if isinstance(title, str) and title else str(enc["field"]).replace("_", " ")


def frame_summary(spec: dict, frame: pd.DataFrame | None) -> str:
    """A chart's sentence from its spec and its data frame: the value it encodes (the
    colour's number if it has one, else the y axis', else the x axis') with where it is
    highest and lowest, named by the other encoded fields."""
    title = _title_of(spec)
    if frame is None or frame.empty:
        return f"{title or 'Chart'}: no data."
    enc = {c: e for c, e in _encodings(spec).items() if e["field"] in frame.columns}
    numeric = [c for c in ("color", "y", "x") if c in enc and enc[c].get("type") == "quantitative"
               and pd.api.types.is_numeric_dtype(frame[enc[c]["field"]])]
    if not numeric:
        return f"{title or 'Chart'}: {_plural(len(frame), 'row')} of data."
    value = enc[numeric[0]]
    others, seen = [], {value["field"]}
    for c, e in enc.items():  # one mention per field (colour and dash often share one)
        if e["field"] not in seen:
            seen.add(e["field"])
            others.append((c, e))
    names = ", ".join(_plural(frame[e["field"]].nunique(), _name(e)) for c, e in others
                      if e.get("type") in ("nominal", "ordinal"))
    what = f"{_name(value)}" + (f" by {names}" if names else "")
    data = frame[frame[value["field"]].notna()]
    if "masked" in data.columns and data["masked"].dtype == bool:
        data = data[~data["masked"]]
    if data.empty:
        return f"{title or _name(value)}: {what}; no values."

    def at(index) -> str:
        row = data.loc[index]
        where = ", ".join(f"{_name(e)} {_label(row[e['field']], e)}" for _, e in others)
        return f"{_number(float(row[value['field']]))}" + (f" at {where}" if where else "")

    column = data[value["field"]].astype(float)
    text = f"{title + ': ' if title else ''}{what}. Highest {at(column.idxmax())}"
    if len(data) > 1:
        text += f"; lowest {at(column.idxmin())}"
    return (text + ".")[:MAX_CHARS]


def _label(value, enc: dict) -> str:
    return _number(float(value)) if enc.get("type") == "quantitative" else _quote(value)


def describe(chart) -> str:
    """The chart's accessible description: the builder's own (`Chart.summary`, attention
    maps) or one read from its spec and data."""
    summary = getattr(chart, "summary", "")
    return summary or frame_summary(chart.spec, chart.data)
