"""Download panel for what a page shows: the bytes are made on request, off the server's lock.

"Prepare" sends the chosen chart or tensor to a small process pool (`attention.export.pool`),
waits there without holding the interpreter lock, then offers a Save button. The finished
file stays only in the pool's bounded cache, shared by every visitor: the Save button holds
no bytes (Streamlit's deferred download: the file is fetched from that cache, or made again,
when the visitor clicks, and dropped a minute after: `served_files`), so an open tab pins
nothing.
Each visitor (a client address, all their tabs: `attention.dashboard.visitor`) has one
download in flight; another waits for it. A tensor whose CSV would pass the profile's
`export_csv_mb` is offered as NPY only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import streamlit as st

from attention.dashboard.page_parts import LIMITS
from attention.dashboard.served_files import keep_served_files
from attention.dashboard.visitor import visitor_id
from attention.export.convert import chart_parts
from attention.export.pool import ExportRefused, ExportService, Job
from attention.export.worker import csv_size

# This panel offers every chart as PNG and SVG: each chart's own toolbar then keeps "Show data"
# (its numbers as a table) and "Fullscreen", and drops its PNG and spec buttons, two tab
# stops fewer per chart for a keyboard.
ONE_DOWNLOAD_CSS = """<style>
[data-testid=stElementToolbar] button[aria-label^="Download as PNG"],
[data-testid=stElementToolbar] button[aria-label^="Copy Vega-Lite spec"] { display: none; }
</style>"""

keep_served_files()  # a clicked file stays fetchable for a minute, whatever runs end meanwhile


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
        st.html(ONE_DOWNLOAD_CSS)
        with st.expander("Downloads: charts as PNG / SVG, tensors as CSV / NPY"):
            a, b, c = st.columns([3, 2, 1], vertical_alignment="bottom")
            label = a.selectbox("What", list(items), key=f"dl-{self.page}-what")
            kind, payload = items.get(label, next(iter(items.values())))
            formats, key = ["PNG", "SVG"], f"dl-{self.page}-{kind}-format"
            csv_mb = csv_size(np.shape(payload[0])) / 2**20 if kind == "array" else 0.0
            if kind == "array":
                formats = ["CSV", "NPY"] if csv_mb <= LIMITS.export_csv_mb else ["NPY"]
                key += "" if len(formats) == 2 else "-npy"  # a new widget: no stale CSV choice
            fmt = b.radio("Format", formats, horizontal=True, key=key)
            fmt = fmt if fmt in formats else formats[0]
            name = f"{self.page}-{_slug(label.split(': ', 1)[1].split(' (')[0])}.{fmt.lower()}"
            status = st.empty()
            if "CSV" not in formats and kind == "array":
                st.caption(f"As CSV this tensor would be about {csv_mb:.0f} MB, above this "
                           f"server's {LIMITS.export_csv_mb} MB: NPY only (`numpy.load` reads "
                           "it; smaller inputs give a CSV).")
            if not c.button("Prepare", key=f"dl-{self.page}-prepare",
                            help="Makes the file on the server (a big chart takes a second or two); "
                                 "then a Save button appears."):
                status.caption("One download at a time per visitor; files already made by "
                               "anyone are ready at once.")
                return
            pool = service(LIMITS.export_workers, LIMITS.export_cache_mb)
            who, the_job = visitor_id(), job(kind, fmt, payload)
            progress = status.empty()

            def shown(seconds: float, queued: bool = False) -> None:
                progress.caption(f"Waiting for your other download (another tab)… {seconds:.0f} s"
                                 if queued else f"Preparing {name}… {seconds:.0f} s")
            try:
                size = len(pool.build(who, the_job, poll=shown))
            except ExportRefused as e:
                status.warning(str(e), icon=":material/hourglass_top:")
                return
            status.download_button(f"Save {name} ({_size(size)})", data=saver(pool, who, the_job),
                                   file_name=name, mime=_MIME[fmt], key=f"dl-{self.page}-save",
                                   on_click="ignore", icon=":material/download:", type="primary")


def saver(pool: ExportService, who: str, the_job: Job) -> Callable[[], bytes]:
    """What the Save button runs when clicked (outside the script run): the file from the
    shared cache, or made again for `who` if it was dropped meanwhile. It holds the job's
    inputs (references to the page's cached arrays), never the file."""

    def bytes_on_click() -> bytes:
        data = pool.build(who, the_job)
        if len(data) >= pool.BIG_FILE:
            pool.trim_later()  # Streamlit keeps its served copy for two script runs
        return data

    return bytes_on_click


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
