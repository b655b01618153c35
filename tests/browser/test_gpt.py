"""/gpt in a real browser: type a prompt, the model continues it, and the generation step
slider adds or removes one query row of the map. Three new tokens keep it short."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.browser import wait_for_charts_settled

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run
from .test_lab import MAIN
from .test_pages import assert_no_exception

pytestmark = pytest.mark.browser

PROMPT = "The cat sat on the mat. The cat"
STEP = re.compile(r"Step (\d+) of (\d+) · (\d+) query rows")


def step_rows(page) -> tuple[int, int, int]:
    """(step, new tokens, query rows of the map) as the page states them."""
    found = STEP.search(page.locator(MAIN).inner_text())
    assert found, "no step line on the page"
    step, total, rows = (int(x) for x in found.groups())
    return step, total, rows


def map_signature(page) -> str | None:
    """The generation map's signature (the first chart of the view)."""
    return wait_for_charts_settled(page)[0]


def test_generate_then_scrub_the_steps(open_app):
    page = open_app("/gpt?new_tokens=3")
    map_signature(page)
    assert_no_exception(page)

    box = page.locator(MAIN).get_by_role("textbox", name="Prompt")
    box.fill(PROMPT)
    mark = run_mark(page)
    box.press("Control+Enter")  # a text area applies on Ctrl+Enter
    wait_for_run(page, mark)
    page.wait_for_function("() => location.search.includes('prompt=')", timeout=SCRIPT_TIMEOUT_MS)
    assert parse_qs(urlsplit(page.url).query)["prompt"] == [PROMPT]
    assert_no_exception(page)
    step, total, rows = step_rows(page)
    assert step == total == 3  # the slider starts at the last step
    before = map_signature(page)

    slider = page.locator(MAIN).get_by_role("slider", name="Generation step")
    for key, change in (("ArrowLeft", -1), ("ArrowLeft", -1), ("ArrowRight", +1)):
        slider.focus()
        mark = run_mark(page)
        slider.press(key)
        wait_for_run(page, mark)
        assert_no_exception(page)
        now = step_rows(page)
        assert now == (step + change, total, rows + change), (key, now)
        after = map_signature(page)
        assert after is not None and after != before  # the map was redrawn with that row
        step, rows, before = now[0], now[2], after
    assert parse_qs(urlsplit(page.url).query)["gpt_step"] == [str(step)]
