"""Download buttons for what a page shows; the bytes are made only when clicked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import streamlit as st

from .. import export


@dataclass
class Downloads:
    """Collects a page's charts and tensors, then draws one download panel."""

    page: str
    charts: list[tuple[str, alt.TopLevelMixin]] = field(default_factory=list)
    arrays: list[tuple[str, np.ndarray, list[str] | None, list[str] | None]] = field(default_factory=list)

    def chart(self, name: str, chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
        self.charts.append((name, chart))
        return chart

    def array(self, name: str, values: np.ndarray, rows: list[str] | None = None,
              cols: list[str] | None = None) -> None:
        self.arrays.append((name, values, rows, cols))

    def panel(self) -> None:
        """One picker and one button (few elements per rerun); bytes are made on click."""
        items = {f"Chart: {name}": ("chart", chart) for name, chart in self.charts}
        items.update({f"Tensor: {name} {tuple(values.shape)}": ("array", (values, rows, cols))
                      for name, values, rows, cols in self.arrays})
        with st.expander("Downloads: charts as PNG / SVG, tensors as CSV / NPY"):
            a, b, c = st.columns([3, 2, 1], vertical_alignment="bottom")
            label = a.selectbox("What", list(items), key=f"dl-{self.page}-what")
            kind, payload = items.get(label, next(iter(items.values())))
            formats = ["PNG", "SVG"] if kind == "chart" else ["CSV", "NPY"]
            fmt = b.radio("Format", formats, horizontal=True, key=f"dl-{self.page}-{kind}-format")
            name = f"{self.page}-{_slug(label.split(': ', 1)[1].split(' (')[0])}.{fmt.lower()}"
            c.download_button("Download", data=lambda: _bytes(kind, fmt, payload), file_name=name,
                              mime=_MIME[fmt], key=f"dl-{self.page}-button", on_click="ignore")


_MIME = {"PNG": "image/png", "SVG": "image/svg+xml", "CSV": "text/csv",
         "NPY": "application/octet-stream"}


def _bytes(kind: str, fmt: str, payload) -> bytes:
    if kind == "chart":
        return export.chart_png(payload) if fmt == "PNG" else export.chart_svg(payload)
    values, rows, cols = payload
    return export.array_csv(values, rows, cols) if fmt == "CSV" else export.array_npy(values)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
