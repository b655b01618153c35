"""Detail on demand for big maps: a window of exact values drawn with rect marks."""

from __future__ import annotations

import numpy as np
import streamlit as st

from attention.dashboard.chart_cache import charts
from attention.dashboard.display import show
from attention.dashboard.params import bounded, clamp_state

WINDOW = 24  # rows and columns shown: small enough for rect marks with tooltips


def zoom_window(values: np.ndarray, rows: list[str], cols: list[str], *, kind: str = "weights",
                masked: np.ndarray | None = None, title: str = "", key: str = "zoom") -> None:
    """If the (L, S) map is drawn as an image (`charts.draws_as_image`), offer a window of it
    small enough for rect marks with exact values. Folded, it costs nothing: its inputs and
    chart are built only while it is open (opening it reruns the section it is in)."""
    L, S = values.shape
    if not charts.draws_as_image(L, S):
        return
    box = st.expander(f"Zoom in: exact values in a {WINDOW} × {WINDOW} window", expanded=False,
                      key=f"{key}_open", on_change="rerun")
    if not box.open:
        return
    with box:
        a, b = st.columns(2)
        clamp_state(f"{key}_q", 0, max(L - WINDOW, 0))
        clamp_state(f"{key}_k", 0, max(S - WINDOW, 0))
        q0 = a.number_input("First query", min_value=0, max_value=max(L - WINDOW, 0), value=0,
                            step=WINDOW // 2, key=f"{key}_q")
        k0 = b.number_input("First key", min_value=0, max_value=max(S - WINDOW, 0), value=0,
                            step=WINDOW // 2, key=f"{key}_k")
        q0 = bounded(q0, 0, max(L - WINDOW, 0), 0)
        k0 = bounded(k0, 0, max(S - WINDOW, 0), 0)
        rs, cs = slice(q0, q0 + WINDOW), slice(k0, k0 + WINDOW)
        show(chart=charts.heatmap(
            values[rs, cs], rows[rs], cols[cs], kind=kind,
            masked=None if masked is None else masked[rs, cs],
            title=f"{title}: queries {q0}–{q0 + WINDOW - 1}, keys {k0}–{k0 + WINDOW - 1}"),
            key=f"{key}_chart")
