"""/lab in a real browser: Train redraws the charts while it runs (the shipped run hidden
meanwhile) and leaves its fresh seed in the link, Stop keeps the run so far, with one
training slot a second session queues until the first one leaves; the step and generation
controls rerun only their sections; the key chart is above the fold at 1280x720."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.browser import CHART_SIGNATURES_JS, wait_for_charts_settled

from .conftest import SCRIPT_TIMEOUT_MS, new_context, serve, wait_for_run
from .test_pages import assert_no_exception
from .test_sections import COUNT_MESSAGES_JS, arrow, query, sent_by, type_into

pytestmark = pytest.mark.browser

TINY = "d_model=16&heads=2&seed=1"
PROGRESS = "[data-testid=stProgress]"
MAIN = "[data-testid=stMainBlockContainer]"


def press(page, name: str) -> None:
    """A button of the page itself (Streamlit's header has a "Stop" of its own)."""
    page.locator(MAIN).get_by_role("button", name=name, exact=True).click()


def test_train_redraws_the_charts_while_it_runs(open_app):
    page = open_app(f"/lab?steps=400&{TINY}")
    before = wait_for_charts_settled(page)
    page.get_by_text("no big jump", exact=True).click()  # predict: the curves then train live
    wait_for_run(page)
    press(page, "Train")
    expect(page.locator(PROGRESS)).to_contain_text("step", timeout=SCRIPT_TIMEOUT_MS)
    # While the progress bar is up, a chart already differs from the shipped run's, and the
    # shipped run is not on the page.
    page.wait_for_function(
        "before => document.querySelector('[data-testid=stProgress]') && (" + CHART_SIGNATURES_JS
        + ")().some((s, i) => s !== null && s !== before[i])", arg=before, timeout=SCRIPT_TIMEOUT_MS)
    assert page.locator(PROGRESS).count() == 1
    assert page.get_by_text("Showing the shipped run").count() == 0
    expect(page.get_by_text("Showing your run")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    alert = page.locator("[data-testid=stAlert]").first.inner_text()
    assert "400 steps" in alert
    seed = query(page).get("run_seed")  # the fresh seed: in the link and on the page
    assert seed is not None and f"seed {seed}" in alert


def test_stop_keeps_the_run_so_far(open_app):
    page = open_app(f"/lab?steps=5000&{TINY}")
    press(page, "Train")
    expect(page.locator(PROGRESS)).to_contain_text("step", timeout=SCRIPT_TIMEOUT_MS)
    # a few steps in: the progress text names a step past 0
    page.wait_for_function(
        "() => /step [1-9]/.test(document.querySelector('[data-testid=stProgress]')?.innerText || '')",
        timeout=SCRIPT_TIMEOUT_MS)
    press(page, "Stop")
    alert = page.get_by_text("Showing your run (stopped early)")
    expect(alert).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    assert page.locator(PROGRESS).count() == 0


@pytest.fixture
def one_slot_url():
    """A server of its own that allows one live training at a time."""
    with serve(env={"ATTENTION_MAX_LIVE_TRAININGS": "1",
                    "ATTENTION_MAX_TRAIN_SECONDS": "300"}) as url:
        yield url


def test_second_training_queues_until_the_first_session_leaves(browser, one_slot_url):
    first_ctx, second_ctx = new_context(browser), new_context(browser)
    try:
        first, second = first_ctx.new_page(), second_ctx.new_page()
        # Far more than the 60 s allowed below: only the first session leaving can free the slot.
        first.goto(f"{one_slot_url}/lab?steps=20000")
        expect(first.locator(MAIN).get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
        press(first, "Train")
        expect(first.locator(PROGRESS)).to_contain_text("step", timeout=SCRIPT_TIMEOUT_MS)
        second.goto(f"{one_slot_url}/lab?steps=20&{TINY}")
        expect(second.locator(MAIN).get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
        press(second, "Train")
        expect(second.locator(PROGRESS)).to_contain_text("waiting in the queue, you are next",
                                                  timeout=SCRIPT_TIMEOUT_MS)
        expect(second.locator(PROGRESS)).to_contain_text("waiting in the queue")
        first_ctx.close()  # the first learner leaves: their training stops, the slot frees
        expect(second.get_by_text("Showing your run")).to_be_visible(timeout=60_000)
        assert_no_exception(second)
    finally:
        for ctx in (first_ctx, second_ctx):
            try:
                ctx.close()
            except Exception:
                pass


@pytest.mark.parametrize("label, key", [("Training step", "step"), ("Generation step", "gen_step")])
def test_the_step_and_generation_controls_rerun_only_their_section(page, dashboard_url, label, key):
    page.context.add_init_script(COUNT_MESSAGES_JS)
    page.goto(dashboard_url + "/lab?step=200&gen_step=3", wait_until="domcontentloaded")
    wait_for_run(page)
    whole = sent_by(page, type_into(page, "Seed", "7"))  # a shared input: the whole page
    section = sent_by(page, arrow(page, label))
    assert 0 < section * 2 < whole, (section, whole)
    moved = query(page)
    assert moved.get(key) not in (None, "200" if key == "step" else "3") and moved.get("seed") == "7"
    assert_no_exception(page)


def test_the_key_chart_is_above_the_fold_at_1280x720(browser, dashboard_url):
    ctx = new_context(browser, {"width": 1280, "height": 720})
    try:
        page = ctx.new_page()
        page.goto(dashboard_url + "/lab", wait_until="domcontentloaded")
        wait_for_run(page)
        chart = page.locator("[data-testid=stVegaLiteChart]").first
        expect(chart).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
        box = chart.bounding_box()
        # the page's first chart, the loss on a repeated sequence: at least 80 % of it shows
        assert box is not None and box["height"] > 150 and box["y"] + 0.8 * box["height"] <= 720, box
    finally:
        ctx.close()
