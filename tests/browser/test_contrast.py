"""Text on a projector: every caption, paragraph and widget label of the main area has at
least 4.5:1 contrast on its background (WCAG AA for small text), as the browser paints it:
the colour blended by every opacity above it onto the nearest painted background."""

from __future__ import annotations

import pytest

CONTRAST_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(c => c / 255)
      .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      .reduce((a, c, i) => a + c * [0.2126, 0.7152, 0.0722][i], 0);
  // What is painted under the text: the first opaque background among the elements at its
  // centre (an ancestor positioned elsewhere, such as a slider's track, does not count).
  const background = e => {
    const r = e.getBoundingClientRect();
    for (const n of document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2)) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const main = document.querySelector('[data-testid=stMainBlockContainer]');
  const selector = '[data-testid=stCaptionContainer], [data-testid=stMarkdownContainer] p, ' +
                   '[data-testid=stWidgetLabel] p';
  for (const e of main.querySelectorAll(selector)) {
    if (!e.innerText.trim() || !e.offsetParent) continue;
    let alpha = 1;
    for (let n = e; n && n !== main; n = n.parentElement) alpha *= Number(getComputedStyle(n).opacity);
    if (alpha === 0) continue;  // not painted (a slider's tick labels until hovered)
    const fg = rgb(getComputedStyle(e).color), bg = background(e);
    const a = alpha * (fg.length === 4 ? fg[3] : 1);
    const seen = fg.slice(0, 3).map((c, i) => a * c + (1 - a) * bg[i]);
    const [hi, lo] = [lum(seen), lum(bg)].sort((x, y) => y - x);
    out.push([e.innerText.slice(0, 40), (hi + 0.05) / (lo + 0.05)]);
  }
  return out;
}
"""


@pytest.mark.parametrize("path", ["/", "/causal", "/entropy"])
def test_text_has_projector_contrast(open_app, path):
    page = open_app(path)
    measured = page.evaluate(CONTRAST_JS)
    assert len(measured) >= 3, measured  # the page drew text to measure
    low = [(text, round(ratio, 2)) for text, ratio in measured if ratio < 4.5]
    assert not low, low
