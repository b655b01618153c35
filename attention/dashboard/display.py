"""Drawing a chart in the page: a `Chart` (cached spec plus this run's data) or Altair."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit import dataframe_util

from attention.charts import Chart, describe, for_projector
from attention.dashboard import workshop


@dataclass(frozen=True)
class PackedChart(Chart):
    """A `Chart` whose datasets are also kept as Arrow IPC bytes, converted once: for charts
    cached across reruns and sessions, so a rerun does not convert the same DataFrames
    again (Streamlit passes bytes through as they are)."""

    arrow: tuple[tuple[str, bytes], ...] = ()  # (dataset name, Arrow bytes)
    key: bytes = b""  # its fingerprint when kept by `chart_cache` (empty otherwise)

    def streamlit_spec(self) -> dict:
        """The spec with the Arrow bytes as its datasets: a new top-level dict over the
        shared parts (Streamlit copies it again and changes only its top level)."""
        return {**self.spec, "datasets": dict(self.arrow)}

    def with_frame(self, name: str, frame: pd.DataFrame) -> PackedChart:
        """This chart with its dataset `name` replaced by `frame` (a small one: the others'
        bytes are shared, not converted again)."""
        return replace(self, more={**(self.more or {}), name: frame},
                       arrow=tuple((n, b) for n, b in self.arrow if n != name)
                       + ((name, arrow_bytes(frame)),))


def _arrow_columns(frame: pd.DataFrame) -> dict[str, pa.Array] | None:
    """The frame's columns as Arrow arrays when it is plain: the default index, unique string
    names, and numbers, booleans or strings only (None otherwise)."""
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and index.name is None and len(frame.columns) and frame.columns.is_unique):
        return None
    columns = {}
    for name, col in frame.items():
        dtype = col.dtype
        if not isinstance(name, str):
            return None
        if isinstance(dtype, pd.StringDtype):
            columns[name] = pa.array(col.array)
        elif isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            columns[name] = pa.array(col.to_numpy())
        else:
            return None
    return columns


def arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A chart dataset as the Arrow IPC bytes Streamlit sends. A plain frame (`_arrow_columns`)
    is converted column by column: the same columns and Arrow types as Streamlit's conversion,
    without the pandas metadata (a Vega-Lite dataset reads columns only, as with a pyarrow
    table given to Streamlit), for about a quarter less CPU. Anything else goes through
    Streamlit's own conversion."""
    columns = _arrow_columns(frame)
    if columns is None:
        return dataframe_util.convert_anything_to_arrow_bytes(frame)
    return dataframe_util.convert_arrow_table_to_arrow_bytes(pa.table(columns))


def packed(chart: Chart, key: bytes = b"") -> Chart:
    """`chart` with its frames converted to Arrow bytes once (`key`: its cache fingerprint)."""
    if isinstance(chart, PackedChart):
        return chart
    frames = chart.frames()
    if not frames:
        return chart
    arrow = tuple((name, arrow_bytes(frame)) for name, frame in frames.items())
    own = {f.name: getattr(chart, f.name) for f in fields(chart)}  # every field a Chart has
    return PackedChart(**own, arrow=arrow, key=key)


def show(chart: Chart | alt.TopLevelMixin, key: str, container=None, width: str = "content") -> None:
    """Draw `chart`; a `Chart` goes through st.vega_lite_chart with no Altair work at all,
    its frames sent as Arrow bytes made by `arrow_bytes`, its data in words as the chart's
    accessible name (`describe`), its text larger in workshop mode (`for_projector`)."""
    target = container or st
    if isinstance(chart, Chart):
        target.vega_lite_chart(**vega_args(chart), key=key, width=width)
    else:
        target.altair_chart(chart, key=key, width=width)


# A static table: Streamlit's own table look, scrolling past NUMBERS_HEIGHT_PX with its header
# kept in view.
NUMBERS_HEIGHT_PX = 320
STATIC_ROWS = 64  # longer tables go to a data grid (1024 static rows took longer to draw)
NUMBERS_CSS = """<style>
.numbers {max-height: HEIGHTpx; overflow: auto; margin-bottom: 1rem;}
.numbers table {border-collapse: collapse; width: 100%; font-size: 0.875rem;}
.numbers th, .numbers td {padding: 0.25rem 0.5rem; border-bottom: 1px solid rgba(49, 51, 63, 0.2);
                          text-align: right; white-space: nowrap;}
.numbers th {position: sticky; top: 0; background: #fff; font-weight: 600;}
</style>""".replace("HEIGHT", str(NUMBERS_HEIGHT_PX))


def show_numbers(frame: pd.DataFrame, decimals: dict[str, int], key: str, *,
                 bars: tuple[str, ...] = (), container=None) -> None:
    """A table of numbers as one static HTML table: each column in `decimals` to that many
    places, booleans as ✓, every cell escaped (a visitor's tokens are text, never markup).

    Not a data grid: it redraws with its section at once, costs the browser one HTML element
    (not a canvas and a hidden accessible copy), and a screen reader reads it as a table.
    Past STATIC_ROWS rows it is a data grid after all, which draws only the rows in view.
    `bars`: columns in [0, 1] drawn with a bar behind the number (pandas' Styler; for small
    tables, it costs about ten times pandas' plain HTML). `key` names the table's styles.
    """
    target = container or st
    if len(frame) > STATIC_ROWS and not bars:  # a long table: a data grid draws what is in view
        target.dataframe(frame, hide_index=True, key=f"numbers-{key}", column_config={
            c: st.column_config.NumberColumn(c, format=f"%.{p}f") for c, p in decimals.items()})
        return
    marks = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    shown = frame.assign(**{c: np.where(frame[c], "✓", "") for c in marks})
    places = {c: f"{{:.{p}f}}" for c, p in decimals.items()}
    if bars:
        table = (shown.style.hide(axis="index").format(escape="html")
                 .format(places, subset=list(places))
                 .bar(subset=list(bars), vmin=0.0, vmax=1.0, color="#9ecae1", height=70)
                 .set_uuid(key).to_html())
    else:
        table = shown.to_html(index=False, escape=True, border=0, na_rep="", justify=None,
                              formatters={c: f.format for c, f in places.items()})
    # The text columns (tokens) read left to right, and a number drawn on its bar starts where
    # the bar does; the other numbers line up on the right.
    left = "".join(f".numbers-{key} td:nth-child({i + 1}), .numbers-{key} th:nth-child({i + 1}) "
                   "{text-align: left;}" for i, c in enumerate(shown.columns)
                   if c in bars or not pd.api.types.is_numeric_dtype(shown[c]))
    if workshop.is_on():  # on a projector, as the charts' text grows there
        left += f".numbers-{key} table {{font-size: 1rem;}}"
    target.html(f'{NUMBERS_CSS}<style>{left}</style>'
                f'<div class="numbers numbers-{key}">{table}</div>')


def vega_args(chart: Chart) -> dict:
    """What st.vega_lite_chart takes to draw `chart` (every path that draws one uses it):
    the spec with its Arrow datasets, in workshop mode with larger text, and the chart's
    data in words as its accessible name."""
    spec = packed(chart).streamlit_spec()
    return {"spec": for_projector(spec) if workshop.is_on() else spec, "alt": describe(chart)}
