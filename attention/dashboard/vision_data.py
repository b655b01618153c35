"""/vision's shared data and live view: the shipped vision run, digit views keyed on plain
values, the SVC baseline, and the drawing of a training while it runs."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from attention.dashboard import lab_data
from attention.dashboard.display import show
from attention.dashboard.lab_live import LiveView
from attention.lab import vision_view as vv
from attention.lab.digits import MAX_PIXEL, format_pixels, parse_pixels
from attention.lab.vision_analysis import DigitView, digit_view, held_out_digit, svc_baseline
from attention.lab.vision_training import VisionRun

SHIPPED_RUN = "digits_vit"


def shipped_run() -> VisionRun:
    """The shipped vision run, loaded once per process (lab_data's cache)."""
    return lab_data.shipped(SHIPPED_RUN)


@st.cache_data(show_spinner=False)
def baseline() -> float:
    """The SVC baseline's test accuracy on the same split (fitted once per process)."""
    return svc_baseline()


def digit_input(index: int, pixels: str):
    """The digit on screen: the drawn one when `pixels` is not blank, else test digit
    `index`. Returns (image (8, 8), label or None); ValueError with a learner's message."""
    if pixels.strip():
        return parse_pixels(pixels), None
    return held_out_digit(int(index))


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_view(index: int, pixels: str) -> DigitView:
    """The shipped run's view of a digit, keyed on plain values and shared by sessions."""
    return digit_view(shipped_run(), *digit_input(index, pixels))


def view_of(run: VisionRun, shipped: bool, index: int, pixels: str) -> DigitView:
    """`run`'s view of the digit: cached when it is the shipped run, else computed afresh."""
    if shipped:
        return shipped_view(int(index), pixels)
    return digit_view(run, *digit_input(index, pixels))


def grid_editor(container, image, on_edit) -> None:
    """The digit as an 8x8 table of numbers to edit cell by cell; each edit calls
    `on_edit(text)` with the whole image as `parse_pixels` text (values kept to 0-16).

    The editor's key follows the image, so after an edit it opens afresh on the new image.
    """
    values = np.asarray(image, dtype=float).round().astype(int)  # (8, 8)
    frame = pd.DataFrame(values, columns=[str(c) for c in range(values.shape[1])])
    key = "vision_grid_" + hashlib.sha1(values.tobytes()).hexdigest()[:12]
    config = {c: st.column_config.NumberColumn(c, min_value=0, max_value=MAX_PIXEL, step=1,
                                               required=True) for c in frame.columns}
    container.data_editor(frame, key=key, column_config=config, hide_index=True,
                          num_rows="fixed", on_change=_apply_edits, args=(key, values, on_edit))


def _apply_edits(key: str, values: np.ndarray, on_edit) -> None:
    """The editor's edits (absolute cell values) on top of `values`, bounded, as text."""
    edited = st.session_state.get(key, {}).get("edited_rows", {})
    new = values.astype(float).copy()
    for row, cells in edited.items():
        for col, value in cells.items():
            try:
                r, c, v = int(row), int(col), float(value)
            except (TypeError, ValueError):
                continue
            if 0 <= r < new.shape[0] and 0 <= c < new.shape[1] and np.isfinite(v):
                new[r, c] = min(max(v, 0.0), float(MAX_PIXEL))
    on_edit(format_pixels(new))


class VisionLiveView(LiveView):
    """LiveView with /vision's charts: test accuracy and the probe digit's class-token maps."""

    def __init__(self, container, total_steps: int, store_key: str):
        super().__init__(container, total_steps, store_key, charts=False)
        a, b = container.columns(2)
        self.slots = {"accuracy": a.empty(), "entropy": b.empty(), "maps": container.empty()}

    def _draw_charts(self) -> None:
        run = self.run
        if run is None or not run.history:
            return
        self._drawn = len(run.history)
        curves = vv.vision_curves(run)
        for name in ("accuracy", "entropy"):
            self._draw(show, curves[name], key=f"vision_live_{name}",
                       container=self.slots[name], width="stretch")
        self._draw(show, vv.snapshot_chart(run, len(run.snapshots) - 1), key="vision_live_maps",
                   container=self.slots["maps"])
