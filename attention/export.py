"""Charts and arrays -> downloadable bytes: PNG and SVG (vl-convert, offline), CSV, NPY."""

from __future__ import annotations

import io

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from .charts import Chart


def chart_spec(chart: "alt.TopLevelMixin | Chart") -> dict:
    """The self-contained Vega-Lite spec of a `Chart` or an Altair chart, whatever its row
    count (Altair refuses > 5000 rows by default)."""
    if isinstance(chart, Chart):
        return chart.to_dict()
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def chart_png(chart: "alt.TopLevelMixin | Chart", scale: float = 2.0) -> bytes:
    return vlc.vegalite_to_png(chart_spec(chart), scale=scale)


def chart_svg(chart: "alt.TopLevelMixin | Chart") -> bytes:
    return vlc.vegalite_to_svg(chart_spec(chart)).encode("utf-8")


def array_csv(values: np.ndarray, rows: list[str] | None = None,
              cols: list[str] | None = None) -> bytes:
    """A 1-D or 2-D array as CSV with token labels; 3-D arrays become long (head, row, col, value)."""
    v = np.asarray(values)
    if v.ndim == 3:
        h, r, c = np.indices(v.shape)
        frame = pd.DataFrame({"head": h.ravel(), "row": r.ravel(), "col": c.ravel(), "value": v.ravel()})
        return frame.to_csv(index=False).encode("utf-8")
    frame = pd.DataFrame(v if v.ndim == 2 else v[:, None], index=rows,
                         columns=cols if v.ndim == 2 else ["value"])
    return frame.to_csv(index=rows is not None).encode("utf-8")


def array_npy(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(values), allow_pickle=False)
    return buf.getvalue()
