"""bench/floor_app.py measures what it says: on the server, a move changes the map's
outline data and never its spec (the least a server-drawn section costs); in the browser,
the outline is a point selection bound to a range input and the row reaches the link."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "bench" / "floor_app.py")


def following_chart(at: AppTest):
    """The chart of the section that follows the control (the 12 static maps come first)."""
    charts = list(at.get("vega_lite_chart"))
    assert len(charts) == 13
    return charts[-1]


def datasets(chart) -> dict[str, pd.DataFrame]:
    return {d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
            for d in chart.proto.datasets}


def test_a_server_move_changes_the_outline_data_not_the_spec():
    at = AppTest.from_file(APP).run()
    before = following_chart(at)
    assert set(datasets(before)["outline"]["query"]) == {0}
    at.slider(key="query").set_value(5).run()
    after = following_chart(at)
    assert not at.exception
    assert set(datasets(after)["outline"]["query"]) == {5}
    assert len(datasets(after)["outline"]) == 8  # the whole row of 8 keys
    assert json.loads(after.proto.spec) == json.loads(before.proto.spec)
    assert "Row 5, “t5”" in at.caption[0].value


def test_the_browser_section_binds_its_row_to_a_range_input_and_writes_the_link():
    at = AppTest.from_file(APP)
    at.query_params["mode"] = "browser"
    at.run()
    assert not at.exception
    spec = json.loads(following_chart(at).proto.spec)
    (param,) = [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert param["select"]["type"] == "point" and param["bind"]["input"] == "range"
    assert spec["layer"][1]["transform"] == [{"filter": {"param": "row"}}]
    assert at.query_params["row"] == "0"
    assert not at.get("slider")  # no server-side control: the browser moves the row
