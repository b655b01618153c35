"""Classroom mode in Chromium: one instructor and three learners on one server and one
SQLite file. The learners' votes reach the class; the instructor's push reaches each
learner's banner, whose one click opens the instructor's view."""

from __future__ import annotations

import pytest

from attention.classroom import Store
from attention.dashboard.classroom import QUESTIONS
from attention.dashboard.lessons import LESSONS

from .conftest import new_context, serve, wait_for_run


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    data = tmp_path_factory.mktemp("classroom")
    with serve("streamlit_app.py", env={"ATTENTION_DATA_DIR": str(data)}) as url:
        yield url, Store(f"sqlite:///{data / 'classroom.sqlite3'}", QUESTIONS)


def test_one_instructor_three_learners_vote_and_follow(browser, classroom):
    url, store = classroom
    info, key = store.create_class()
    text = LESSONS["causal"]
    contexts = [new_context(browser) for _ in range(3)]
    learners = [c.new_page() for c in contexts]
    try:
        for n, page in enumerate(learners):
            page.goto(f"{url}/causal?class={info.code}&heads=2", wait_until="domcontentloaded")
            wait_for_run(page)
            page.get_by_text(text["choices"][n % len(text["choices"])], exact=True).click()
            page.get_by_text("Your prediction is in").wait_for(timeout=30000)
        assert sum(store.tally(info.code, "causal")) == 3
        store.push(info.code, key, "multi_head", {"heads": "8"}, "Multi head (heads=8)")
        for page in learners:
            page.get_by_text("Follow the instructor").wait_for(timeout=30000)
            page.get_by_role("link", name="Go there").click()
            page.wait_for_function("location.pathname.endsWith('/multi_head')", timeout=30000)
            wait_for_run(page)
            heads = page.locator("[data-testid=stSidebar] input[aria-label=Heads]")
            page.wait_for_function("el => el.value === '8'", arg=heads.element_handle(),
                                   timeout=30000)
            assert page.get_by_text("Follow the instructor").count() == 0
    finally:
        for c in contexts:
            c.close()
