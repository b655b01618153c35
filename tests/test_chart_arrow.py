"""Charts' datasets as Arrow bytes (attention/dashboard/display.py): the fast column-by-column
conversion gives what Streamlit's own conversion gives, and anything unusual goes through
Streamlit's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit import dataframe_util

from attention import charts
from attention.dashboard.display import PackedChart, _arrow_columns, arrow_bytes, packed


def table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def frames_of_real_charts() -> list[pd.DataFrame]:
    rng = np.random.default_rng(0)
    w = rng.random((4, 6, 6))
    w /= w.sum(-1, keepdims=True)
    toks = ["the", "cat", "sat", "on", "a", "mat"]
    out = []
    for ch in (charts.heatmap(w[0], toks, toks, kind="weights"),
               charts.head_grid(w, toks, toks, [f"head {h}" for h in range(4)]),
               charts.head_grid(rng.random((12, 64, 64)), [str(i) for i in range(64)],
                                [str(i) for i in range(64)], [f"h{h}" for h in range(12)])):
        out += list(ch.frames().values())
    return out


MIXED = pd.DataFrame({"i": np.arange(5), "x": np.linspace(0, 1, 5, dtype=np.float32),
                      "b": [True, False, True, True, False], "s": ["a", "b", None, "d", "é"],
                      "u": np.arange(5, dtype=np.uint8)})


@pytest.mark.parametrize("frame", [MIXED, MIXED.iloc[:0], *frames_of_real_charts()])
def test_same_columns_types_and_values_as_streamlit(frame):
    assert _arrow_columns(frame) is not None
    ours, theirs = table(arrow_bytes(frame)), table(dataframe_util.convert_anything_to_arrow_bytes(frame))
    assert ours.schema.names == theirs.schema.names
    assert ours.schema.types == theirs.schema.types
    assert ours.equals(theirs.replace_schema_metadata(None))
    back = dataframe_util.convert_arrow_bytes_to_pandas_df(arrow_bytes(frame))
    pd.testing.assert_frame_equal(back, frame)


@pytest.mark.parametrize("frame", [
    MIXED.set_index("i"),                                    # an index that is data
    MIXED.iloc[1:],                                          # a range index not from 0
    pd.DataFrame({"t": pd.date_range("2026-01-01", periods=3)}),
    pd.DataFrame({"c": pd.Categorical(["a", "b", "a"])}),
    pd.DataFrame({"o": [1, "a", 2.0]}),                       # mixed objects
    pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")}),
    pd.DataFrame([[1, 2]], columns=[0, 1]),                   # names that are not strings
])
def test_anything_else_goes_through_streamlit(frame):
    assert _arrow_columns(frame) is None
    assert arrow_bytes(frame) == dataframe_util.convert_anything_to_arrow_bytes(frame)


def test_duplicate_names_are_not_plain():
    assert _arrow_columns(pd.DataFrame([[1, 2]], columns=["a", "a"])) is None


def test_packed_once():
    ch = charts.heatmap(np.eye(3), ["a", "b", "c"], ["a", "b", "c"], kind="weights")
    p = packed(ch)
    assert isinstance(p, PackedChart) and packed(p) is p
    assert set(p.streamlit_spec()["datasets"]) == set(ch.frames())
