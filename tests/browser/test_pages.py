"""The dashboard in a real browser: direct links, charts drawn, Seed redraws, URL state."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from attention.dashboard.page_registry import PAGES as REGISTERED
from harness.browser import (
    CHART_SIGNATURES_JS,
    wait_for_a_drawn_chart,
    wait_for_charts_settled,
)

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run

pytestmark = pytest.mark.browser

PAGES = [f"/{p.url_path}" for p in REGISTERED if p.url_path]
CORE_PAGES = [f"/{p.url_path}" for p in REGISTERED if p.url_path and not p.unused]  # every input


def sidebar_input(page, label: str):
    return page.locator("[data-testid=stSidebar]").get_by_label(label, exact=True)


def set_number(page, label: str, value: int) -> None:
    """Type a value into a sidebar number input, commit it, wait for the rerun."""
    box = sidebar_input(page, label)
    box.fill(str(value))
    mark = run_mark(page)
    box.press("Enter")
    wait_for_run(page, mark)


def assert_no_exception(page) -> None:
    errors = page.locator("[data-testid=stException]")
    assert errors.count() == 0, errors.first.inner_text()[:2000]


@pytest.mark.parametrize("path", PAGES)
def test_page_opens_from_a_direct_link(open_app, path):
    page = open_app(path)
    assert_no_exception(page)
    # The entry file ran too (the shared sidebar), not the page on its own.
    expect(sidebar_input(page, "Seed")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_a_drawn_chart(page)
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1
    assert_no_exception(page)


@pytest.mark.parametrize("path", CORE_PAGES)
def test_changing_seed_redraws_a_chart(open_app, path):
    page = open_app(path)
    before = wait_for_charts_settled(page)
    set_number(page, "Seed", 12345)
    expect(sidebar_input(page, "Seed")).to_have_value("12345")
    assert "seed=12345" in page.url  # Seed is bound to the URL
    page.wait_for_function(
        "before => { const now = (" + CHART_SIGNATURES_JS + ")();"
        " return now.some((s, i) => s !== null && s !== before[i]); }",
        arg=before, timeout=SCRIPT_TIMEOUT_MS)
    assert_no_exception(page)


def test_link_with_parameters_sets_the_widgets(open_app):
    page = open_app("/multi_head?heads=2&seed=7")
    expect(sidebar_input(page, "Heads")).to_have_value("2", timeout=SCRIPT_TIMEOUT_MS)
    expect(sidebar_input(page, "Seed")).to_have_value("7", timeout=SCRIPT_TIMEOUT_MS)
    wait_for_a_drawn_chart(page)
    assert_no_exception(page)


def test_link_values_are_clamped(open_app):
    """Out-of-range values from a URL are clamped, never an exception."""
    page = open_app("/single_head?seed=-5&heads=999")
    assert_no_exception(page)
    expect(sidebar_input(page, "Seed")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    assert int(sidebar_input(page, "Seed").input_value()) >= 0
    assert 1 <= int(sidebar_input(page, "Heads").input_value()) <= 16
    wait_for_a_drawn_chart(page)
