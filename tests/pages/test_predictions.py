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
