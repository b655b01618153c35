"""bench/floor_app.py's browser section in Chromium: the in-chart range input moves the
row, and `on_select` brings it back to the link (what `bench/browser.py --floor` times)."""

from __future__ import annotations

from .conftest import run_mark, serve, wait_for_run


def test_the_in_chart_range_input_reaches_the_link(page):
    with serve("bench/floor_app.py") as url:
        page.goto(url + "/?mode=browser", wait_until="domcontentloaded")
        wait_for_run(page)
        row = page.get_by_role("slider", name="Query row")
        mark = run_mark(page)
        row.focus()
        row.press("ArrowRight")
        row.press("ArrowRight")
        wait_for_run(page, mark)  # the selection's rerun, after Streamlit's debounce
        page.wait_for_url("**row=2**")
        assert row.input_value() == "2"
