"""Classroom mode in AppTest: an instructor session and learner sessions share one SQLite
file (ATTENTION_DATA_DIR), as the workshop's processes do."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from attention.classroom import Store, normalise_code
from attention.dashboard.classroom import QUESTIONS
from attention.dashboard.lessons import LESSONS

from .conftest import ENTRY, PAGES, TIMEOUT, chart_data, charts, open_page

CLASSROOM = "app_pages/classroom.py"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ATTENTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("ATTENTION_DATA_DIR", str(tmp_path))
    return tmp_path


def the_store(data_dir) -> Store:
    return Store(f"sqlite:///{data_dir / 'classroom.sqlite3'}", QUESTIONS)


def instructor(wait: bool = True) -> tuple[AppTest, str]:
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.switch_page(CLASSROOM)
    at.run()
    if not wait:
        at.toggle(key="class_wait_new").set_value(False)
    at.button(key="class_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    code = normalise_code(at.text_input(key="class").value)
    assert code is not None
    return at, code


def learner(page: str, code: str) -> AppTest:
    at = open_page(page, {"class": code})
    assert not at.exception, [e.value for e in at.exception]
    return at


def wrong_choice(page: str) -> str:
    text = LESSONS[page]
    return next(c for i, c in enumerate(text["choices"]) if i != text["correct"])


def votes_shown(at: AppTest, page: str) -> list[int]:
    chart = next(c for c in charts(at)
                 if chart_data(c)[0]["option"].tolist() == LESSONS[page]["choices"])
    return chart_data(chart)[0]["learners"].tolist()


def test_starting_a_class_gives_a_learner_link_and_a_private_instructor_link(data_dir):
    at, code = instructor()
    links = [c.value for c in at.code]
    assert links[0].endswith(f"/?class={code}") and "key=" not in links[0]
    assert f"class={code}&key=" in links[1]
    key = links[1].rsplit("key=", 1)[1]
    assert the_store(data_dir).is_instructor(code, key)
    # the learner's page never shows the key
    room = learner("causal", code)
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "code", "info")
                     for e in room.get(kind))
    assert key not in shown and code in shown


def test_votes_fill_the_histogram_and_change_until_the_reveal(data_dir):
    at, code = instructor(wait=True)
    page = "causal"
    text = LESSONS[page]
    right = text["choices"][text["correct"]]
    wrong = wrong_choice(page)
    rooms = [learner(page, code) for _ in range(2)]
    rooms[0].radio(key=f"predict_{page}").set_value(wrong).run()
    rooms[1].radio(key=f"predict_{page}").set_value(wrong).run()
    # waiting for the reveal: the answer is not shown, the vote may change
    assert not rooms[0].success and not rooms[0].warning
    assert "instructor reveals" in rooms[0].info[-1].value
    assert not rooms[0].radio(key=f"predict_{page}").disabled
    rooms[1].radio(key=f"predict_{page}").set_value(right).run()
    at.run()
    expected = [0] * len(text["choices"])
    expected[text["choices"].index(wrong)] += 1
    expected[text["correct"]] += 1
    assert votes_shown(at, page) == expected
    assert the_store(data_dir).tally(code, page) == expected
    at.button(key=f"reveal_{page}").click().run()
    for r in rooms:
        r.run()
    assert rooms[0].warning and right in rooms[0].warning[0].value
    assert rooms[1].success
    assert rooms[0].radio(key=f"predict_{page}").disabled  # closed at the reveal


def test_without_waiting_a_learner_sees_the_answer_at_once_and_the_first_vote_stays(data_dir):
    _, code = instructor(wait=False)
    page = "entropy"
    room = learner(page, code)
    room.radio(key=f"predict_{page}").set_value(wrong_choice(page)).run()
    assert room.warning and room.radio(key=f"predict_{page}").disabled
    assert sum(the_store(data_dir).tally(code, page)) == 1


def test_a_choice_after_the_reveal_shows_the_answer_and_is_no_vote(data_dir):
    at, code = instructor(wait=True)
    page = "causal"
    room = learner(page, code)
    at.button(key=f"reveal_{page}").click().run()
    room.run()
    room.radio(key=f"predict_{page}").set_value(wrong_choice(page)).run()
    assert not room.exception
    assert room.warning and room.radio(key=f"predict_{page}").disabled
    assert any("revealed" in c.value for c in room.caption)
    assert sum(the_store(data_dir).tally(code, page)) == 0


def test_an_unknown_or_malformed_code_says_so():
    room = open_page("causal", {"class": "ZZZZZZ"})
    assert not room.exception
    assert any("No class `ZZZZZZ`" in w.value for w in room.sidebar.warning)
    room = open_page("causal", {"class": "<img src=x>"})
    assert any("6 letters and digits" in w.value for w in room.sidebar.warning)
    assert not any("<img" in w.value for w in room.sidebar.warning)


def test_the_instructor_pushes_a_view_and_a_learner_follows_with_one_click(data_dir):
    at, code = instructor()
    room = learner("causal", code)
    at.switch_page(PAGES["multi_head"])
    at.run()
    at.sidebar.number_input(key="heads").set_value(8).run()
    at.sidebar.button(key="class_push").click().run()
    assert not at.exception
    push = the_store(data_dir).latest_push(code)
    assert push.page == "multi_head" and push.params["heads"] == "8"
    assert "key" not in push.params and "class" not in push.params
    room.run()
    banner = [m.value for m in room.markdown if "Follow the instructor" in m.value]
    assert banner and "Multi head" in banner[0] and "heads" in banner[0]
    links = room.get("page_link")
    assert any(link.proto.label == "Go there" for link in links)
    # The link opens /multi_head with the pushed values (AppTest cannot click a page link:
    # go as the browser does; tests/browser/test_classroom.py clicks it for real). The
    # learner's own heads (4) give way to the instructor's.
    for k, v in push.params.items():
        room.query_params[k] = v
    room.switch_page(PAGES["multi_head"]).run()
    assert not room.exception
    assert [t.value for t in room.title] == ["Multi head"]
    assert room.number_input(key="heads").value == 8
    assert not [m for m in room.markdown if "Follow the instructor" in m.value]


def test_an_instructor_link_keeps_the_key_in_the_session_only(data_dir):
    at, code = instructor()
    key = at.code[1].value.rsplit("key=", 1)[1]
    other = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    other.query_params["class"] = code
    other.query_params["key"] = key
    other.switch_page(CLASSROOM)
    other.run()
    assert not other.exception
    assert other.button(key=f"reveal_{next(iter(QUESTIONS))}") is not None
    forged = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    forged.query_params["class"] = code
    forged.query_params["key"] = key[:-2] + "xx"
    forged.switch_page(CLASSROOM)
    forged.run()
    assert any("does not open" in w.value for w in forged.sidebar.warning)
    assert not [b for b in forged.button if b.key and b.key.startswith("reveal_")]


def test_the_session_summary_is_offered_and_remembers_the_views(data_dir):
    page = "causal"
    at = open_page(page)
    at.radio(key=f"predict_{page}").set_value(wrong_choice(page)).run()
    assert at.sidebar.get("download_button")
    views = at.session_state["_views_seen"]
    assert views[-1].path == page
    assert page in at.session_state["_answers_shown"]
