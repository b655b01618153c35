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
        with st.expander("Downloads: charts as PNG / SVG, tensors as CSV / NPY"):
            for name, chart in self.charts:
                slug = _slug(name)
                a, b, c = st.columns([3, 1, 1])
                a.write(name)
                b.download_button("PNG", data=lambda ch=chart: export.chart_png(ch),
                                  file_name=f"{self.page}-{slug}.png", mime="image/png",
                                  key=f"dl-{self.page}-{slug}-png", on_click="ignore")
                c.download_button("SVG", data=lambda ch=chart: export.chart_svg(ch),
                                  file_name=f"{self.page}-{slug}.svg", mime="image/svg+xml",
                                  key=f"dl-{self.page}-{slug}-svg", on_click="ignore")
            for name, values, rows, cols in self.arrays:
                slug = _slug(name)
                a, b, c = st.columns([3, 1, 1])
                a.write(f"{name} `{tuple(values.shape)}`")
                b.download_button("CSV", data=lambda v=values, r=rows, k=cols: export.array_csv(v, r, k),
                                  file_name=f"{self.page}-{slug}.csv", mime="text/csv",
                                  key=f"dl-{self.page}-{slug}-csv", on_click="ignore")
                c.download_button("NPY", data=lambda v=values: export.array_npy(v),
                                  file_name=f"{self.page}-{slug}.npy", mime="application/octet-stream",
                                  key=f"dl-{self.page}-{slug}-npy", on_click="ignore")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
