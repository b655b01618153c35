"""The dashboard in a real browser: direct links, charts drawn, Seed redraws, URL state."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from attention.dashboard.page_registry import PAGES as REGISTERED

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run

pytestmark = pytest.mark.browser

PAGES = [f"/{p.url_path}" for p in REGISTERED if p.url_path]
CORE_PAGES = [f"/{p.url_path}" for p in REGISTERED if p.url_path and not p.unused]  # every input

# One signature per Vega chart: a hash of its canvas pixels (or its SVG's markup), or
# null while it has nothing drawn.
CHART_SIGNATURES_JS = """
() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map((chart) => {
  const canvas = chart.querySelector('canvas');
  if (canvas) {
    if (!canvas.width || !canvas.height) return null;
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261, ink = 0;
    for (let i = 0; i < px.length; i += 1) { h = Math.imul(h ^ px[i], 16777619); }
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) { ink += 1; } }
    return ink ? `${canvas.width}x${canvas.height}:${h >>> 0}` : null;
  }
  const svg = chart.querySelector('svg');
  if (svg && svg.querySelector('.mark-group, path, rect, image')) {
    const s = svg.outerHTML;
    let h = 2166136261;
    for (let i = 0; i < s.length; i += 1) { h = Math.imul(h ^ s.charCodeAt(i), 16777619); }
    return `svg:${h >>> 0}`;
  }
  return null;
})
"""


def chart_signatures(page) -> list[str | None]:
    return page.evaluate(CHART_SIGNATURES_JS)


def wait_for_a_drawn_chart(page) -> None:
    page.wait_for_function(f"() => ({CHART_SIGNATURES_JS})().some(s => s !== null)",
                           timeout=SCRIPT_TIMEOUT_MS)


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
    wait_for_a_drawn_chart(page)
    page.wait_for_timeout(300)  # let the last draws land
    before = chart_signatures(page)
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
