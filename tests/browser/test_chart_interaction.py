"""In Chromium: every chart is drawn whatever the words, image maps answer a hover with
tokens and a weight, a click on a row picks that query, a click on a thumbnail opens it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from attention.core.inputs import tokenize
from attention.toy.views import DEFAULT_TEXT
from harness.browser import wait_for_charts_settled

from .conftest import SCRIPT_TIMEOUT_MS, run_mark, wait_for_run

ODD = "if constructor toString valueOf __proto__ </script> \" ' \\ 😀"
ODD_LONG = quote(ODD + " a" * 32)
PAINTED = 200  # sampled pixels off the background: a chart with fewer is blank
TOOLTIP_MS = 3000  # how long a point may take to show its tooltip before we call it none

# For each chart element: whether Vega drew it (a canvas with painted pixels that are not
# all the background, or an SVG with marks) and whether it shows an error.
DRAWN_JS = """
() => Array.from(document.querySelectorAll('[data-testid=stVegaLiteChart]')).map((el) => {
  const canvas = el.querySelector('canvas');
  if (canvas && canvas.width > 0 && canvas.height > 0) {
    const ctx = canvas.getContext('2d');
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 0; i < d.length; i += 4 * 7) {
      if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) painted++;
    }
    return painted;
  }
  const svg = el.querySelector('svg.marks');
  return svg ? svg.querySelectorAll('path, rect, image, text').length : 0;
})
"""


def chart_count(page) -> int:
    return page.locator("[data-testid=stVegaLiteChart]").count()


def drawn(page, patience_ms: int = 20_000) -> list[int]:
    """Painted-pixel counts per chart, once all are painted or patience runs out: image
    marks decode their PNGs asynchronously, and a loaded machine draws a long page slowly."""
    try:
        page.wait_for_function(f"() => {{ const c = ({DRAWN_JS})();"
                               f" return c.length > 0 && c.every((n) => n > {PAINTED}); }}",
                               timeout=patience_ms, polling=250)
    except PlaywrightTimeout:
        pass  # the caller's assertion names the blank charts
    return page.evaluate(DRAWN_JS)


@pytest.mark.parametrize("path", [f"/single_head?text={ODD_LONG}", f"/causal?text={ODD_LONG}",
                                  f"/multi_head?text={ODD_LONG}", f"/entropy?text={ODD_LONG}",
                                  f"/pretrained?text={quote(ODD)}"])
def test_every_chart_is_drawn_whatever_the_words(open_app, path):
    page = open_app(path)
    counts = drawn(page)
    assert len(counts) >= 3 and len(counts) == chart_count(page)
    assert all(n > PAINTED for n in counts), counts  # none blank
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stVegaLiteChart] .error, .vega-embed .error").count() == 0


def tooltip_at(page, x: float, y: float) -> str:
    """The tooltip's text with the pointer at (x, y), or "" if none shows in TOOLTIP_MS."""
    tip = page.locator("#vg-tooltip-element.visible")
    page.mouse.move(0, 0)  # off every chart: the previous point's tooltip hides
    tip.wait_for(state="hidden", timeout=SCRIPT_TIMEOUT_MS)
    page.mouse.move(x, y)
    try:
        tip.wait_for(state="visible", timeout=TOOLTIP_MS)
    except PlaywrightTimeout:
        return ""
    return tip.inner_text()


def scan(page, chart, fx_values=(0.3, 0.45, 0.6), fy_values=(0.3, 0.45, 0.6)):
    """(x, y, tooltip text) over a few points of a chart element, scrolled into view."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    for fy in fy_values:
        for fx in fx_values:
            x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
            yield x, y, tooltip_at(page, x, y)


def fields(tip: str) -> dict[str, str]:
    """vega-tooltip's table as {key: value}."""
    lines = [s.strip() for s in tip.splitlines() if s.strip()]
    return dict(zip(lines[::2], lines[1::2], strict=True))


def test_image_map_hover_gives_query_key_and_weight(open_app):
    page = open_app("/single_head?tokens=40")  # 40 x 40: drawn as an image
    # the pipeline reads down the left column (scores, logits), then the right (weights, output)
    weights = page.locator("[data-testid=stVegaLiteChart]").nth(2)
    tips = [fields(t) for _, _, t in scan(page, weights) if t]
    assert tips, "no tooltip over the image map"
    for tip in tips:
        assert re.fullmatch(r"p\d+", tip["query"]) and re.fullmatch(r"p\d+", tip["key"])
        assert 0.0 <= float(tip["weight"]) <= 1.0
    for _, _, t in scan(page, weights):
        assert "data:image" not in t and "x0" not in t and "url" not in t


def test_large_image_maps_never_show_the_raw_mark(open_app):
    page = open_app("/multi_head?tokens=128&heads=12")
    grid = page.locator("[data-testid=stVegaLiteChart]").first
    for _, _, t in scan(page, grid):
        assert "data:image" not in t and "url" not in t and "x0" not in t


@pytest.mark.parametrize("path", ["/single_head?tokens=40", "/single_head"])  # image, rects
def test_click_on_a_row_picks_that_query_everywhere(open_app, path):
    page = open_app(path)
    wait_for_charts_settled(page)  # every chart painted: nth(2) is the weights map
    # the pipeline reads down the left column (scores, logits), then the right (weights, output)
    weights = page.locator("[data-testid=stVegaLiteChart]").nth(2)
    x, y, tip = next((x, y, t) for x, y, t in scan(page, weights) if t)
    token = fields(tip)["query"]
    # Random tokens p0, p1, ... name their row; the default sentence has no repeated word.
    row = int(token[1:]) if "tokens" in path else tokenize(DEFAULT_TEXT).index(token)
    assert row != 0
    mark = run_mark(page)
    page.mouse.click(x, y)
    wait_for_run(page, mark)
    page.wait_for_function("row => new URLSearchParams(location.search).get('query') === row",
                           arg=str(row), timeout=SCRIPT_TIMEOUT_MS)  # in the URL
    assert parse_qs(urlparse(page.url).query).get("query") == [str(row)]
    expect(page.get_by_role("heading", name=f"Query {row}:")).to_have_count(1)  # bars, caption
    slider = page.locator("[data-testid=stSlider]").filter(has_text="Query token")
    expect(slider.locator("[data-testid=stSliderThumbValue]")).to_have_text(str(row))

    # The slider moves away (the map keeps its view), then the same row is clicked again:
    # the click still counts.
    mark = run_mark(page)
    thumb = page.get_by_role("slider", name="Query token").first
    thumb.focus()
    thumb.press("ArrowLeft")
    wait_for_run(page, mark)
    expect(slider.locator("[data-testid=stSliderThumbValue]")).to_have_text(str(row - 1))
    wait_for_charts_settled(page)
    mark = run_mark(page)
    page.mouse.click(x, y)
    wait_for_run(page, mark)
    expect(slider.locator("[data-testid=stSliderThumbValue]")).to_have_text(str(row))
    assert parse_qs(urlparse(page.url).query).get("query") == [str(row)]


def test_click_on_a_thumbnail_opens_that_head(open_app):
    page = open_app("/pretrained")
    grid = page.locator("[data-testid=stVegaLiteChart]").first
    x, y, tip = next((x, y, t) for x, y, t in scan(page, grid, (0.5, 0.7), (0.3, 0.5)) if t)
    info = fields(tip)
    assert {"map", "query", "key", "weight"} <= set(info)
    layer, head = map(int, re.fullmatch(r"layer (\d+) · head (\d+).*", info["map"]).groups())
    assert (layer, head) != (0, 0)
    mark = run_mark(page)
    page.mouse.click(x, y)
    wait_for_run(page, mark)
    q = parse_qs(urlparse(page.url).query)
    assert q.get("layer") == [str(layer)] and q.get("head") == [str(head)]
    assert page.get_by_role("heading", name=f"Head detail: layer {layer}, head {head}").count() == 1
