"""A prediction is made before its answer can be read: options in an order of the learner's
own, nothing on the page that gives the answer away before the choice, the first choice kept."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from attention.dashboard.lessons import LESSONS
from attention.dashboard.predict import option_order

from .conftest import assert_clean, open_page

ASKED = [page for page, text in LESSONS.items() if "choices" in text]

# Evidence on a page that answers its question: folded until the learner has predicted, then
# shown (so each phrase must be on the page after the choice: the list stays true).
GIVEAWAYS = {
    "causal": ["Rows above the newest are unchanged by every later step"],
    "multi_head": ["0 for a head that spreads uniformly, which outputs the same average"],
    "pretrained": ["What the weight brings"],
}


def visible_text(at) -> str:
    """What a learner can read on the page, folded expanders included, radio options not."""
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "title", "header",
             "subheader", "text", "latex")
    return " ".join(str(e.value) for kind in kinds for e in at.get(kind))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.:;])\s+", text) if len(s.strip()) > 25]


def test_an_order_is_a_permutation_fixed_per_learner_and_question():
    order = option_order("abc", "causal", 4)
    assert sorted(order) == [0, 1, 2, 3]
    assert option_order("abc", "causal", 4) == order  # every rerun
    orders = {tuple(option_order(f"learner{i}", "causal", 4)) for i in range(50)}
    assert len(orders) > 10  # learners differ


@pytest.mark.parametrize("n", [3, 4])
def test_the_right_option_is_not_always_first(n):
    first = Counter(option_order(f"learner{i}", "q", n).index(0) for i in range(600))
    assert set(first) == set(range(n))
    assert all(abs(count - 600 / n) < 600 / n * 0.3 for count in first.values()), first


@pytest.mark.parametrize("page", ASKED)
def test_the_answer_cannot_be_read_before_choosing(page):
    text = LESSONS[page]
    at = open_page(page)
    assert_clean(at)
    radio = at.radio(key=f"predict_{page}")
    assert radio.value is None and sorted(radio.options) == sorted(text["choices"])
    shown = visible_text(at)
    right = text["choices"][text["correct"]]
    assert right not in shown, f"/{page} prints the right option outside the question"
    leaked = [s for s in sentences(text["answer"]) if s in shown]
    assert not leaked, f"/{page} shows the answer before the choice: {leaked}"
    assert not at.success and not at.warning


@pytest.mark.parametrize("page", ASKED)
def test_choosing_reveals_the_answer_and_locks_the_choice(page):
    text = LESSONS[page]
    at = open_page(page)
    wrong = next(c for i, c in enumerate(text["choices"]) if i != text["correct"])
    at.radio(key=f"predict_{page}").set_value(wrong).run()
    assert at.warning and sentences(text["answer"])[0] in at.warning[0].value
    assert at.radio(key=f"predict_{page}").disabled


@pytest.mark.parametrize("page, query", [
    ("causal", {}), ("multi_head", {}), ("multi_head", {"workshop": "true"}),
    pytest.param("pretrained", {}, marks=pytest.mark.slow)])
def test_the_evidence_that_answers_waits_for_the_prediction(page, query):
    text = LESSONS[page]
    at = open_page(page, query)
    assert_clean(at)
    before = visible_text(at)
    shown = [phrase for phrase in GIVEAWAYS[page] if phrase in before]
    assert not shown, f"/{page} gives the answer away before the choice: {shown}"
    assert "Predict below first" in before or "predict below first" in before
    wrong = next(c for i, c in enumerate(text["choices"]) if i != text["correct"])
    at.radio(key=f"predict_{page}").set_value(wrong).run()
    assert_clean(at)
    after = visible_text(at)
    missing = [phrase for phrase in GIVEAWAYS[page] if phrase not in after]
    assert not missing, f"/{page} never shows its evidence, even after the choice: {missing}"
