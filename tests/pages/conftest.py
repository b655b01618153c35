"""AppTest helpers: run a page from the entry file and read its charts' specs and data."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from attention.dashboard.page_registry import PAGES as REGISTERED

ENTRY = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
PAGES = {p.name: p.file for p in REGISTERED}  # "overview", "single_head", ...
TIMEOUT = 120  # importing torch and a first compute take more than AppTest's 3 s default
CHARTLESS = {"overview"}  # it computes nothing: links, the formula, text


def open_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    """A fresh session opened on `page` (as a direct link would), with `query` in the URL."""
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if page != "overview":
        at.switch_page(PAGES[page])
    at.opened_page = page  # for assert_clean: whether it should have drawn a chart
    at.run()
    return at


def charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def spec(chart) -> dict:
    return json.loads(chart.proto.spec)


def chart_data(chart) -> list[pd.DataFrame]:
    return [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]


class _TableReader(HTMLParser):
    """The header and body cells of the HTML tables in a page (st.html)."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None and self.tables:
            head, rows = self.tables[-1]
            text = "".join(self.cell).strip()
            (head if tag == "th" else rows[-1]).append(text)
            self.cell = None


def html_tables(at: AppTest) -> list[pd.DataFrame]:
    """The static tables a page drew with st.html, as frames of their cells' text."""
    found = []
    for element in at.get("html"):
        reader = _TableReader()
        reader.feed(element.proto.body)
        found += [pd.DataFrame([r for r in rows if r], columns=head) for head, rows in reader.tables]
    return found


def outlined_rows(chart) -> list[int]:
    """The query rows a map outlines: its "outline" dataset (`attention.charts.outline`)."""
    names = [d.name for d in chart.proto.datasets]
    assert "outline" in names, names
    return chart_data(chart)[names.index("outline")]["query"].tolist()


def chart_by_title(at: AppTest, prefix: str):
    for ch in charts(at):
        title = spec(ch).get("title", "")
        if isinstance(title, str) and title.startswith(prefix):
            return ch
    raise AssertionError(f"no chart titled {prefix!r}; have {[spec(c).get('title') for c in charts(at)]}")


def assert_same_charts(a: AppTest, b: AppTest) -> None:
    """The two runs drew the same charts: equal specs and equal data, chart by chart."""
    x_charts, y_charts = charts(a), charts(b)
    assert len(x_charts) == len(y_charts), (len(x_charts), len(y_charts))
    for x, y in zip(x_charts, y_charts, strict=True):
        title = spec(x).get("title")
        assert spec(x) == spec(y), title
        x_data, y_data = chart_data(x), chart_data(y)
        assert len(x_data) == len(y_data), (title, len(x_data), len(y_data))
        for fx, fy in zip(x_data, y_data, strict=True):
            assert fx.equals(fy), title


def assert_clean(at: AppTest) -> None:
    """No exception element, at least one chart (none on a CHARTLESS page), and no NaN or
    inf in any chart's data."""
    assert not at.exception, [e.value for e in at.exception]
    drawn = charts(at)
    assert drawn or getattr(at, "opened_page", None) in CHARTLESS, "the page drew no chart"
    for ch in drawn:
        for frame in chart_data(ch):
            numeric = frame.select_dtypes(include=[np.number])
            assert np.isfinite(numeric.to_numpy(dtype=float)).all(), spec(ch).get("title")


@pytest.fixture
def page():
    return open_page
