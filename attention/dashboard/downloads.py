"""Download panel for what a page shows: the bytes are made on request, off the server's lock.

"Prepare" sends the chosen chart or tensor to a small process pool (`attention.export.pool`),
waits there without holding the interpreter lock, then offers the finished file. Finished
files are cached for every visitor; each visitor has at most one download in flight.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import streamlit as st

from attention.dashboard.page_parts import LIMITS
from attention.export.convert import chart_parts
from attention.export.pool import ExportRefused, ExportService, Job

OWNER_KEY = "_download_owner"


@st.cache_resource(show_spinner=False)
def service(workers: int, cache_mb: int) -> ExportService:
    """One pool and cache per server process."""
    return ExportService(workers=workers, cache_mb=cache_mb)


@dataclass
class Downloads:
    """Collects a page's charts and tensors, then draws one download panel."""

    page: str
    charts: list[tuple[str, alt.TopLevelMixin]] = field(default_factory=list)
    arrays: list[tuple[str, np.ndarray, list[str] | None, list[str] | None]] = field(default_factory=list)

    def chart(self, name: str, chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
        """Offer `chart` as `name`; a section that reruns alone replaces its own entry."""
        self.charts[:] = [(n, c) for n, c in self.charts if n != name]
        self.charts.append((name, chart))
        return chart

    def array(self, name: str, values: np.ndarray, rows: list[str] | None = None,
              cols: list[str] | None = None) -> None:
        self.arrays.append((name, values, rows, cols))

    def panel(self) -> None:
        """A picker and a Prepare button; the file is offered once it is made."""
        items = {f"Chart: {name}": ("chart", chart) for name, chart in self.charts}
        items.update({f"Tensor: {name} {tuple(values.shape)}": ("array", (values, rows, cols))
                      for name, values, rows, cols in self.arrays})
        with st.expander("Downloads: charts as PNG / SVG, tensors as CSV / NPY"):
            a, b, c = st.columns([3, 2, 1], vertical_alignment="bottom")
            label = a.selectbox("What", list(items), key=f"dl-{self.page}-what")
            kind, payload = items.get(label, next(iter(items.values())))
            formats = ["PNG", "SVG"] if kind == "chart" else ["CSV", "NPY"]
            fmt = b.radio("Format", formats, horizontal=True, key=f"dl-{self.page}-{kind}-format")
            fmt = fmt if fmt in formats else formats[0]
            name = f"{self.page}-{_slug(label.split(': ', 1)[1].split(' (')[0])}.{fmt.lower()}"
            status = st.empty()
            if not c.button("Prepare", key=f"dl-{self.page}-prepare",
                            help="Makes the file on the server (a big chart takes a second or two); "
                                 "then a Save button appears."):
                status.caption("One download at a time per visitor; files already made by "
                               "anyone are ready at once.")
                return
            pool = service(LIMITS.export_workers, LIMITS.export_cache_mb)
            owner = st.session_state.setdefault(OWNER_KEY, uuid.uuid4().hex)
            progress = status.empty()
            try:
                data = pool.build(owner, job(kind, fmt, payload),
                                  poll=lambda s: progress.caption(f"Preparing {name}… {s:.0f} s"))
            except ExportRefused as e:
                status.warning(str(e), icon=":material/hourglass_top:")
                return
            status.download_button(f"Save {name} ({_size(len(data))})", data=data, file_name=name,
                                   mime=_MIME[fmt], key=f"dl-{self.page}-save", on_click="ignore",
                                   icon=":material/download:", type="primary")


_MIME = {"PNG": "image/png", "SVG": "image/svg+xml", "CSV": "text/csv",
         "NPY": "application/octet-stream"}


def job(kind: str, fmt: str, payload) -> Job:
    """Plain data for the worker: a chart's spec and DataFrame, or an array and its labels."""
    if kind == "chart":
        spec, data = chart_parts(payload)
        return Job(fmt, (spec, data))
    values, rows, cols = payload
    return Job(fmt, (np.asarray(values), rows, cols) if fmt == "CSV" else (np.asarray(values),))


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, n // 1024)} kB"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
