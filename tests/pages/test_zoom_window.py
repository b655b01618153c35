"""The zoom window: offered exactly when a map is drawn as an image, and drawn in rect marks."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from attention import charts
from attention.dashboard.zoom import WINDOW

from .conftest import charts as charts_of
from .conftest import spec


def _app(L: int, S: int) -> None:
    import numpy as np

    from attention.dashboard.zoom import zoom_window

    values = np.full((L, S), 1.0 / S)
    zoom_window(values, [f"q{i}" for i in range(L)], [f"k{j}" for j in range(S)], title="W")


@pytest.mark.parametrize("L, S", [(32, 32), (32, 33), (8, 200), (1, 1024), (1, 1025)])
def test_zoom_is_offered_exactly_when_the_map_is_an_image(L, S):
    at = AppTest.from_function(_app, args=(L, S), default_timeout=60).run()
    assert not at.exception
    assert bool(at.expander) == charts.draws_as_image(L, S)
    if at.expander:
        assert not charts_of(at) and not at.number_input  # folded: nothing built or sent
        at.session_state["zoom_open"] = True  # the learner opens it
        at.run()
        assert not at.exception
        (zoom,) = charts_of(at)
        assert spec(zoom)["layer"][0]["mark"]["type"] == "rect"  # exact values, tooltips
        assert len(at.number_input) == 2  # where the window starts


def test_the_window_itself_is_drawn_with_rect_marks():
    assert not charts.draws_as_image(WINDOW, WINDOW)
