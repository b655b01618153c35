"""Drawing a training while it runs: progress, curves and every head's map, kept current.

The training calls `should_stop` every step and `on_log` at every logged step; both
redraw at a steady rate (progress several times a second, charts at least once a
second while new records arrive). Streamlit interrupts a script at the next element it
draws once the session asks for a rerun (a control changed, Stop) or a stop (the browser
left); a draw that is interrupted so is remembered instead, the training ends at its next
step with the run so far, and `resume()` passes the interruption on once the caller has
kept that run.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from attention.dashboard.display import show
from attention.dashboard.lab_runner import Ticker, session_wants_stop
from attention.lab import views as lv

PROGRESS_EVERY_S = 0.25
CHARTS_EVERY_S = 0.5


class LiveView:
    """Placeholders for one training, filled as it goes; the latest run in `store_key`."""

    def __init__(self, container, total_steps: int, store_key: str, label: str = "Training",
                 charts: bool = True):
        self.total, self.store_key, self.label = max(total_steps, 1), store_key, label
        self.progress = container.progress(0.0, text=f"{label}: starting…")
        self.slots = {}
        if charts:
            a, b = container.columns(2)
            c, d = container.columns(2)
            self.slots = {"loss": a.empty(), "accuracy": b.empty(), "prev": c.empty(),
                          "induction": d.empty(), "maps": container.empty()}
        self.step = 0
        self.start = time.monotonic()
        self.run = None
        self.interrupted: ScriptControlException | None = None
        self._drawn = None
        self._progress_tick, self._chart_tick = Ticker(PROGRESS_EVERY_S), Ticker(CHARTS_EVERY_S)

    # -- callbacks handed to the training ------------------------------------------

    def on_wait(self, position: int, seconds: float | None = None) -> bool:
        """While queued: say where we are and about how long it will take (`seconds`); False
        (leave the queue) once the session moves on. Position 0: refused (this visitor
        already has a place)."""
        if position == 0:
            self._draw(self.progress.progress, 0.0,
                       text=f"{self.label}: not started, you already have a training queued "
                            "or running (in another tab?).")
            return False
        if self._moving_on():
            return False
        if self._progress_tick.due():
            ahead = "you are next" if position == 1 else f"{position - 1} ahead of you"
            when = "" if seconds is None else f", starting in about {_duration(seconds)}"
            self._draw(self.progress.progress, 0.0,
                       text=f"{self.label}: every training slot of this server is busy; waiting "
                            f"in the queue, {ahead}{when}. The run on screen stays meanwhile; "
                            "Stop (or any control) leaves the queue.")
        return not self.interrupted

    def should_stop(self) -> bool:
        self.step += 1
        if self._moving_on():
            return True
        if self._progress_tick.due():
            self._draw_progress()
        if self.run is not None and self._drawn != len(self.run.history) and self._chart_tick.due():
            self._draw_charts()
        return self.interrupted is not None

    def on_log(self, run) -> None:
        self.run = run
        # Setting session state is an interruption point too (Streamlit checks for a rerun or
        # stop there): caught like a draw's, so the training ends with the run so far.
        self._draw(st.session_state.__setitem__, self.store_key, run)
        if not self._moving_on() and self._chart_tick.due():
            self._draw_charts()

    def resume(self) -> None:
        """Raise the interruption a draw swallowed, if any: Streamlit then reruns or stops."""
        if self.interrupted is not None:
            raise self.interrupted

    def _moving_on(self) -> bool:
        return self.interrupted is not None or session_wants_stop()

    def _draw(self, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except ScriptControlException as exc:  # a rerun or stop request arrived mid-draw
            self.interrupted = exc

    # -- drawing ---------------------------------------------------------------------

    def _draw_progress(self) -> None:
        step = min(self.step, self.total)
        secs = time.monotonic() - self.start
        self._draw(self.progress.progress, step / self.total,
                   text=f"{self.label}: step {step} of {self.total} · {secs:.1f} s")

    def _draw_charts(self) -> None:
        run = self.run
        if not self.slots or run is None or not run.history:
            return
        self._drawn = len(run.history)
        for name, chart in lv.curve_charts(run).items():
            self._draw(show, chart, key=f"live_{name}", container=self.slots[name], width="stretch")
        self._draw(show, lv.maps_chart(run, len(run.snapshots) - 1), key="live_maps",
                   container=self.slots["maps"])


def _duration(seconds: float) -> str:
    """A wait as a learner reads it: "20 s", "2 min"."""
    seconds = max(0.0, seconds)
    return f"{max(5, round(seconds / 5) * 5):.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
