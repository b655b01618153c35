"""The printable workshop handout: every step of the path with its formula, key chart,
question and blank options, and link; never an answer."""

from __future__ import annotations

import html
import re

import pytest

from attention.dashboard import handout
from attention.dashboard.lessons import LESSONS
from attention.dashboard.page_registry import PATH

BASE = "http://class.example:8501"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.:;])\s+", text) if len(s.strip()) > 25]


@pytest.fixture(scope="module")
def page() -> str:
    svgs = {p.name: f"<svg id='chart-{p.name}'></svg>" for p in PATH if p.name != "overview"}
    return handout.handout_html(BASE, {"seed": "3"}, svgs)


def test_every_step_is_there_in_order_with_its_formula_chart_and_link(page):
    starts = [page.index(f'<section id="step-{n}">') for n in range(1, len(PATH) + 1)]
    assert starts == sorted(starts)
    sections = [page[a:b] for a, b in zip(starts, [*starts[1:], len(page)], strict=True)]
    for n, (p, body) in enumerate(zip(PATH, sections, strict=True), 1):
        assert f"{n}. {p.title}" in body and f"about {p.minutes} min" in body
        assert handout.FORMULAS[p.name].split(" ")[0] in body
        assert (f"id='chart-{p.name}'" in body) == (p.name != "overview")
        link = f"{BASE}/{p.url_path}?workshop=true&amp;seed=3"
        assert f'href="{link}"' in body, p.name


def test_each_question_is_asked_with_blank_options_and_no_answer(page):
    for p in PATH:
        text = LESSONS.get(p.name)
        if not text or "question" not in text:
            continue
        assert html.escape(text["question"]) in page
        for choice in text.get("choices", []):
            assert f"<li>{html.escape(choice)}</li>" in page
        options = " ".join(text.get("choices", []))  # an answer may open with its option's words
        leaked = [s for s in _sentences(text["answer"])
                  if (html.escape(s) in page or s in page) and s not in options]
        assert not leaked, (p.name, leaked)
    assert "Yes." not in page and "correct" not in page.lower()
    assert "☐" in page  # the boxes to tick


def test_the_options_on_paper_are_shuffled_not_the_lessons_order(page):
    asked = [p.name for p in PATH if "choices" in LESSONS.get(p.name, {})]
    firsts = []
    for name in asked:
        choices = LESSONS[name]["choices"]
        positions = [page.index(f"<li>{html.escape(c)}</li>") for c in choices]
        firsts.append(positions.index(min(positions)))  # which option prints first
    # the right option (index `correct`) is not always the first one printed
    assert any(f != LESSONS[n]["correct"] for f, n in zip(firsts, asked, strict=True))


def test_link_params_keep_only_inputs_that_differ_from_their_defaults():
    from attention.dashboard.page_registry import INPUTS

    values = {c.key: c.default for c in INPUTS}
    values["seed"] = 7
    c = type("C", (), values)()
    assert handout.link_params(c) == {"seed": "7"}


@pytest.mark.slow
def test_the_key_charts_are_drawn_for_every_step_at_the_sidebar_settings():
    from attention.dashboard.page_registry import SHARED
    from attention.dashboard.sidebar import Controls
    from attention.settings import load_limits

    limits = load_limits()
    values = {c.key: c.default for c in SHARED}
    made = handout.key_charts(Controls(**values), limits)
    assert set(made) == {p.name for p in PATH} - {"overview"}
    other = handout.key_charts(Controls(**{**values, "seed": 9}), limits)
    assert made["single_head"].summary != other["single_head"].summary  # the sidebar's seed
    svg = handout.svg_of(made["causal"], limits)
    assert svg.lstrip().startswith("<svg") and "With the causal mask" in svg
    page = handout.handout_html(BASE, {}, {"causal": svg})
    assert svg in page
