"""Workshop mode in a real browser: the next-step link keeps the mode and the URL says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run

pytestmark = pytest.mark.browser


def test_next_step_link_follows_the_path_in_workshop_mode(open_app):
    page = open_app("/single_head?workshop=true")
    expect(page.get_by_text("Workshop · step 2 of")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    mark = run_mark(page)
    page.get_by_role("link", name="Next step: Multi head").click()
    wait_for_run(page, mark)
    expect(page.get_by_text("Workshop · step 3 of")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    page.wait_for_function("() => location.pathname.endsWith('/multi_head') "
                           "&& location.search.includes('workshop=true')",
                           timeout=SCRIPT_TIMEOUT_MS)


def test_prediction_before_the_answer(open_app):
    page = open_app("/entropy")
    expect(page.get_by_text("Pick your prediction to see the answer.")).to_be_visible(
        timeout=SCRIPT_TIMEOUT_MS)
    assert page.get_by_text("the same as a uniform choice between two options").count() == 0
    mark = run_mark(page)
    page.get_by_text("ln 2 ≈ 0.693 nats", exact=True).click()
    wait_for_run(page, mark)
    expect(page.get_by_text("Yes. ln 2 ≈ 0.693 nats, the same as a uniform choice",
                            exact=False)).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
