"""Tables of numbers drawn as static HTML: formatted, escaped, marked; long ones as a grid."""

import numpy as np
import pandas as pd

from attention.dashboard import display


class Recorder:
    """Stands in for a Streamlit container: keeps what was drawn."""

    def __init__(self):
        self.drawn: list[tuple[str, object, dict]] = []

    def html(self, body):
        self.drawn.append(("html", body, {}))

    def dataframe(self, data, **kw):
        self.drawn.append(("dataframe", data, kw))


def test_numbers_are_formatted_and_tokens_escaped():
    box = Recorder()
    frame = pd.DataFrame({"key": ["<b>x</b>", "cat"], "weight": [0.123456, 0.5],
                          "picked": [True, False]})
    display.show_numbers(frame, {"weight": 4}, "t", container=box)
    (kind, body, _), = box.drawn
    assert kind == "html"
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body
    assert ">0.1235<" in body and ">0.5000<" in body and ">✓<" in body
    assert ".numbers-t td:nth-child(1)" in body  # the text column reads left to right
    assert ".numbers-t td:nth-child(2)" not in body


def test_bars_sit_behind_their_numbers():
    box = Recorder()
    frame = pd.DataFrame({"token": ["a", "<i>"], "probability": [0.75, 0.25]})
    display.show_numbers(frame, {"probability": 3}, "top", bars=("probability",), container=box)
    (_, body, _), = box.drawn
    assert body.count("linear-gradient") == 2 and "75.0%" in body
    assert ">0.750<" in body and "&lt;i&gt;" in body and "<i>" not in body


def test_a_long_table_is_a_data_grid():
    box = Recorder()
    n = display.STATIC_ROWS + 1
    frame = pd.DataFrame({"key": [f"t{i}" for i in range(n)], "weight": np.linspace(0, 1, n)})
    display.show_numbers(frame, {"weight": 4}, "long", container=box)
    (kind, data, kw), = box.drawn
    assert kind == "dataframe" and data is frame
    assert kw["column_config"]["weight"]["type_config"]["format"] == "%.4f"


def test_a_table_grows_on_a_projector(monkeypatch):
    frame = pd.DataFrame({"key": ["a"], "weight": [0.5]})
    sizes = {}
    for on in (False, True):
        box = Recorder()
        monkeypatch.setattr(display.workshop, "is_on", lambda on=on: on)
        display.show_numbers(frame, {"weight": 4}, "w", container=box)
        sizes[on] = ".numbers-w table {font-size: 1rem;}" in box.drawn[0][1]
    assert sizes == {False: False, True: True}
