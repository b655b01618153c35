"""In Chromium: a page's own control reruns only its section, the URL follows it, and the
copied link draws the same page.

A run's size is read from the server's messages (one websocket message per element sent,
plus the run's start and end): a section's rerun sends a fraction of what a page's rerun
(Seed, a shared input) sends.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from harness.browser import wait_for_a_drawn_chart, wait_for_charts_settled

from .conftest import new_context, run_mark, wait_for_run

COUNT_MESSAGES_JS = """
(() => {
  const Native = window.WebSocket;
  window.__messages = 0;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { window.__messages += 1; });
    }
  };
})();
"""


def sent_by(page, move) -> int:
    """The server's messages for the run that `move()` starts."""
    mark, before = run_mark(page), page.evaluate("window.__messages")
    move()
    wait_for_run(page, mark)
    return page.evaluate("window.__messages") - before


def type_into(page, label: str, value: str):
    def move():
        field = page.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Enter")
    return move


def arrow(page, label: str):
    def move():
        slider = page.get_by_role("slider", name=label).first
        slider.focus()
        slider.press("ArrowRight")
    return move


def assert_link_draws_the_same(page, browser) -> None:
    """The page's link, opened in a fresh context, draws the same charts as the page."""
    drawn = wait_for_charts_settled(page)
    other = new_context(browser)
    try:
        linked = other.new_page()
        linked.goto(page.url, wait_until="domcontentloaded")
        wait_for_run(linked)
        wait_for_a_drawn_chart(linked)
        assert wait_for_charts_settled(linked) == drawn
    finally:
        other.close()


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


@pytest.mark.parametrize("path, label, move, key, value", [
    ("/multi_head", "Compare head", "type", "head_a", "2"),  # drawn above its section
    ("/multi_head", "Query token", "arrow", "query", "1"),  # drawn inside its section
    ("/single_head", "Query token", "arrow", "query", "1"),
    ("/causal", "Generation step", "arrow", "step", "4"),
])
def test_a_page_control_reruns_its_section_and_the_url_follows(page, dashboard_url, browser,
                                                               path, label, move, key, value):
    page.context.add_init_script(COUNT_MESSAGES_JS)
    page.goto(dashboard_url + path, wait_until="domcontentloaded")
    wait_for_run(page)
    whole = sent_by(page, type_into(page, "Seed", "7"))  # a shared input: the whole page
    change = type_into(page, label, value) if move == "type" else arrow(page, label)
    section = sent_by(page, change)
    assert 0 < section * 2 < whole, (section, whole)
    assert query(page).get(key) == value and query(page).get("seed") == "7"

    # The copied link draws the same charts as the page the control was moved on.
    assert_link_draws_the_same(page, browser)



def test_a_gpt_step_reruns_its_view_only_and_the_url_follows(page, dashboard_url, browser):
    """/gpt: the step slider reruns the chosen view (a section), not the page: it sends
    far fewer messages than the page's own run; the URL follows and the link draws the same."""
    page.context.add_init_script(COUNT_MESSAGES_JS)
    page.goto(dashboard_url + "/gpt?new_tokens=3", wait_until="domcontentloaded")
    wait_for_run(page)
    wait_for_charts_settled(page)
    # A rerun of the whole page (Streamlit's "R" key), then the step moved: the view alone.
    whole = sent_by(page, lambda: (page.evaluate("document.activeElement?.blur()"),
                                   page.keyboard.press("r")))
    step = page.get_by_role("slider", name="Generation step").first
    section = sent_by(page, lambda: (step.focus(), step.press("ArrowLeft")))
    assert 0 < section < whole * 0.75, (section, whole)
    assert query(page).get("gpt_step") == "2" and query(page).get("new_tokens") == "3"

    assert_link_draws_the_same(page, browser)


# The weights map's canvas, tagged so a rebuilt view (a new canvas) shows; and the rows of it
# painted in the outline's colour (HIGHLIGHT_COLOR, #ff4b4b), as fractions of its height.
WEIGHTS_CANVAS_JS = """(tag) => {
  const chart = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
    .find(c => (c.getAttribute('aria-label') || '').startsWith('3. Weights'));
  const canvas = chart && chart.querySelector('canvas');
  if (!canvas) return null;
  if (tag) canvas.dataset.tag = tag;
  const {width, height} = canvas;
  const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rows = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      if (Math.abs(px[i] - 255) < 8 && Math.abs(px[i + 1] - 75) < 8 && Math.abs(px[i + 2] - 75) < 8) {
        rows.push(y); break;
      }
    }
  }
  return {tag: canvas.dataset.tag || null, top: rows.length ? rows[0] / height : null};
}"""


def test_the_query_moves_the_outline_on_the_same_view(page, dashboard_url):
    """The query slider sends the outline as data: the weights map keeps its view (its
    canvas) and only the box moves, one row down; the URL follows."""
    page.goto(dashboard_url + "/single_head?query=1", wait_until="domcontentloaded")
    wait_for_run(page)
    wait_for_charts_settled(page)
    before = page.evaluate(WEIGHTS_CANVAS_JS, "kept")
    assert before and before["top"] is not None, before
    mark = run_mark(page)
    arrow(page, "Query token")()
    wait_for_run(page, mark)
    page.wait_for_function(f"(top) => {{ const s = ({WEIGHTS_CANVAS_JS})(null); "
                           "return s && s.top !== null && s.top > top; }", arg=before["top"],
                           timeout=30_000)
    after = page.evaluate(WEIGHTS_CANVAS_JS, None)
    assert after["tag"] == "kept"  # the same canvas: the view was updated, not rebuilt
    assert query(page).get("query") == "2"
