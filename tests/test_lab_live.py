"""LiveView keeps a training's run when Streamlit interrupts it at any of its calls into
Streamlit, session state included: the training then ends at its next step, stopped early."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from attention.dashboard import lab_live


class Placeholder:
    """Stands for the containers a LiveView draws into (progress bar, columns, empties)."""

    def progress(self, *args, **kwargs):
        return self

    def columns(self, n):
        return [Placeholder() for _ in range(n)]

    def empty(self):
        return Placeholder()


class InterruptingState(dict):
    """Session state whose writes meet a stop request, as Streamlit's do (it checks for a
    rerun or stop before each write)."""

    def __setitem__(self, key, value):
        raise StopException()


def test_a_stop_met_while_storing_the_run_ends_the_training_instead_of_escaping(monkeypatch):
    monkeypatch.setattr(lab_live, "st", SimpleNamespace(session_state=InterruptingState()))
    monkeypatch.setattr(lab_live, "session_wants_stop", lambda: False)
    view = lab_live.LiveView(Placeholder(), total_steps=100, store_key="run", charts=False)
    run = SimpleNamespace(history=[], snapshots=[])
    view.on_log(run)  # must not raise: the training's loop would lose the stop
    assert isinstance(view.interrupted, StopException)
    assert view.should_stop() is True  # the loop ends at its next step, stopped early
    with pytest.raises(StopException):
        view.resume()  # passed on once the run is kept
