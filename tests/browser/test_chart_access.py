"""Charts for a screen reader and a keyboard, in a real browser: each chart's accessible
name is its data in words (not "Vega visualization") and follows the data; a chart on a page
with a download panel costs two tab stops (Show data, Fullscreen), not four."""

from __future__ import annotations

import pytest

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run

pytestmark = pytest.mark.browser

# Vega-Embed puts the chart's description on the chart's element (role graphics-document).
NAMES_JS = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
  .map(ch => ch.getAttribute('aria-label'))"""
STOPS_JS = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map(ch => {
  const box = ch.closest('[data-testid=stElementContainer]');
  return [...box.querySelectorAll('button, a[href], input, select, textarea, [tabindex]')]
    .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0)
    .map(e => (e.getAttribute('aria-label') || '').split(':')[0]); })"""


def _masked_chart_name(page) -> str:
    page.wait_for_function(f"() => ({NAMES_JS})().filter(n => n).length >= 4",
                           timeout=SCRIPT_TIMEOUT_MS)
    return next(n for n in page.evaluate(NAMES_JS) if n and n.startswith("With the causal mask"))


def test_each_chart_is_named_by_its_data_and_the_name_follows_it(open_app):
    page = open_app("/causal")
    before = _masked_chart_name(page)
    names = page.evaluate(NAMES_JS)
    assert all(n and "Vega visualization" not in n for n in names), names
    assert "queries × 8 keys" in before and "cells masked" in before, before
    mark = run_mark(page)
    seed = page.get_by_role("spinbutton", name="Seed")
    seed.fill("11")
    seed.press("Enter")
    wait_for_run(page, mark)
    page.wait_for_function(
        f"(old) => ({NAMES_JS})().some(n => n && n.startsWith('With the causal mask') "
        "&& n !== old)", arg=before, timeout=SCRIPT_TIMEOUT_MS)
    assert _masked_chart_name(page) != before


def test_a_chart_costs_two_tab_stops_where_the_page_offers_downloads(open_app):
    page = open_app("/causal")
    _masked_chart_name(page)  # every chart drawn
    stops = page.evaluate(STOPS_JS)
    assert len(stops) >= 4
    for chart_stops in stops:
        assert chart_stops == ["Show data", "Fullscreen"], chart_stops
