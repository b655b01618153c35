"""/vision in a real browser: a test digit by link, a drawn digit that the URL keeps, and
a tiny training that replaces the shipped run."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from harness.browser import wait_for_charts_settled

from .conftest import SCRIPT_TIMEOUT_MS, wait_for_run
from .test_lab import MAIN, press
from .test_pages import assert_no_exception

pytestmark = pytest.mark.browser

TINY = "steps=30&d_model=16&heads=2&seed=1"
ONE = ";".join(" ".join("16" if c in (3, 4) and 1 <= r <= 6 else "0" for c in range(8))
               for r in range(8))  # a vertical bar


def test_pick_draw_and_train(open_app):
    page = open_app(f"/vision?digit=5&{TINY}")
    signatures = wait_for_charts_settled(page)
    assert_no_exception(page)
    assert len([s for s in signatures if s]) >= 10
    area = page.locator(MAIN).get_by_role("textbox", name="Or draw a digit")
    area.fill(ONE)
    area.press("Control+Enter")
    page.wait_for_function("() => location.search.includes('pixels=')", timeout=SCRIPT_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    drawn = parse_qs(urlsplit(page.url).query)["pixels"][0]
    assert drawn.count(";") == 7 and len(drawn.replace(";", " ").split()) == 64
    expect(page.get_by_text("drawn by you")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    press(page, "Train")
    expect(page.get_by_text("Showing your run")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    assert "30 steps" in page.locator("[data-testid=stAlert]").first.inner_text()
