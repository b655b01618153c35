"""The class store against SQLite (always) and PostgreSQL (when ATTENTION_TEST_DATABASE_URL
names a database it may empty; `.ci/run` starts one): votes from several processes at once
with nothing lost, expiry and clean-up, forged input refused with no effect, bounds."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from attention.classroom import (
    ALPHABET,
    CODE_LENGTH,
    Answered,
    Bounds,
    RateLimit,
    Refused,
    Store,
    View,
    database_url,
    markdown,
    normalise_code,
    remember,
)
from attention.classroom.tables import metadata

QUESTIONS = {"causal": 4, "entropy": 3}
PG_URL = os.environ.get("ATTENTION_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="ATTENTION_TEST_DATABASE_URL not set (.ci/run starts a PostgreSQL)"))]


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
        return
    from sqlalchemy import create_engine

    engine = create_engine(PG_URL)
    metadata.drop_all(engine)  # a database of its own: each test starts empty
    engine.dispose()
    yield PG_URL


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(url, clock):
    s = Store(url, QUESTIONS, Bounds(max_classes=3, max_votes_per_class=5, max_pushes_kept=2),
              clock=clock)
    yield s
    s.close()


def test_a_class_has_a_readable_code_and_a_secret_key(store):
    info, key = store.create_class()
    assert len(info.code) == CODE_LENGTH and set(info.code) <= set(ALPHABET)
    assert not set(info.code) & set("0O1IL")
    assert len(key) >= 32 and store.is_instructor(info.code, key)
    assert store.is_instructor(info.code.lower(), key)  # a code typed in lower case
    assert not store.is_instructor(info.code, key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert not store.is_instructor(info.code, "") and not store.is_instructor(info.code, None)
    assert store.get_class(f" {info.code[:3]}-{info.code[3:].lower()} ").code == info.code
    assert store.get_class("ZZZZZZ") is None and store.get_class("<b>x</b>") is None


def test_votes_count_once_per_learner_and_change_until_revealed(store):
    info, key = store.create_class()
    store.vote(info.code, "causal", "a1", 2)
    store.vote(info.code, "causal", "b2", 2)
    store.vote(info.code, "causal", "a1", 0)  # a1 changes its mind
    assert store.tally(info.code, "causal") == [1, 0, 1, 0]
    assert store.vote_of(info.code, "causal", "a1") == 0
    store.reveal(info.code, key, "causal")
    assert store.revealed(info.code) == {"causal"}
    with pytest.raises(Refused, match="revealed"):
        store.vote(info.code, "causal", "a1", 3)
    with pytest.raises(Refused, match="revealed"):
        store.vote(info.code, "causal", "c3", 3)
    assert store.tally(info.code, "causal") == [1, 0, 1, 0]
    store.vote(info.code, "entropy", "a1", 1)  # another question stays open
    assert store.tallies(info.code) == {"causal": [1, 0, 1, 0], "entropy": [0, 1, 0]}


@pytest.mark.parametrize("question,learner,choice,why", [
    ("nope", "a1", 0, "No such question"),
    ("causal", "a1", 4, "No such option"),
    ("causal", "a1", -1, "No such option"),
    ("causal", "a1", True, "No such option"),
    ("causal", "a1", "1", "No such option"),
    ("causal", "", 1, "Not a learner"),
    ("causal", "a" * 33, 1, "Not a learner"),
    ("causal", "<script>", 1, "Not a learner"),
    (["causal"], "a1", 1, "No such question"),
])
def test_a_forged_vote_is_refused_with_no_effect(store, question, learner, choice, why):
    info, _ = store.create_class()
    store.vote(info.code, "causal", "a1", 1)
    before = store.counts()
    with pytest.raises(Refused, match=why):
        store.vote(info.code, question, learner, choice)
    assert store.counts() == before and store.tally(info.code, "causal") == [0, 1, 0, 0]


def test_a_vote_for_another_or_no_class_is_refused(store):
    mine, _ = store.create_class()
    other, _ = store.create_class()
    for code in ("ZZZZZZ", "", None, "x" * 500):
        with pytest.raises(Refused, match="does not exist"):
            store.vote(code, "causal", "a1", 1)
    store.vote(other.code, "causal", "a1", 1)  # its vote lands in its own class only
    assert store.tally(mine.code, "causal") == [0, 0, 0, 0]
    assert store.tally(other.code, "causal") == [0, 1, 0, 0]


def test_only_the_instructor_reveals_and_pushes(store):
    mine, key = store.create_class()
    other, other_key = store.create_class()
    for bad in ("", "guess", other_key, key.upper() if key != key.upper() else key.lower()):
        with pytest.raises(Refused, match="instructor"):
            store.reveal(mine.code, bad, "causal")
        with pytest.raises(Refused, match="instructor"):
            store.push(mine.code, bad, "causal", {}, "Causal")
    assert store.revealed(mine.code) == set() and store.latest_push(mine.code) is None
    with pytest.raises(Refused, match="No such question"):
        store.reveal(mine.code, key, "nope")


def test_pushes_arrive_in_order_and_only_the_last_few_are_kept(store):
    info, key = store.create_class()
    for n in range(5):
        store.push(info.code, key, "multi_head", {"heads": str(n + 1)}, f"heads={n + 1}")
    last = store.latest_push(info.code)
    assert (last.seq, last.page, last.params, last.label) == (5, "multi_head", {"heads": "5"}, "heads=5")
    assert store.counts()["pushes"] == 2  # max_pushes_kept
    with pytest.raises(Refused, match="too large"):
        store.push(info.code, key, "single_head", {"text": "x" * 20000}, "big")
    assert store.latest_push(info.code).seq == 5


def test_every_table_is_bounded(store):
    codes = [store.create_class()[0].code for _ in range(3)]
    with pytest.raises(Refused, match="Too many classes"):
        store.create_class()
    for i in range(5):
        store.vote(codes[0], "causal", f"l{i}", 0)
    with pytest.raises(Refused, match="number of votes"):
        store.vote(codes[0], "entropy", "l9", 0)
    store.vote(codes[0], "causal", "l0", 3)  # changing a vote is not a new one
    assert store.tally(codes[0], "causal") == [4, 0, 0, 1]
    assert store.counts()["classes"] == 3 and store.counts()["votes"] == 5


def test_a_class_ends_after_a_day_and_is_cleaned_up(store, clock):
    old, key = store.create_class()
    store.vote(old.code, "causal", "a1", 1)
    store.reveal(old.code, key, "causal")
    store.push(old.code, key, "causal", {"step": "3"}, "step 3")
    assert old.expires_at - old.created_at == 24 * 3600
    clock.t += 24 * 3600 + 1
    assert store.get_class(old.code) is None and not store.is_instructor(old.code, key)
    with pytest.raises(Refused, match="does not exist or has ended"):
        store.vote(old.code, "entropy", "a1", 1)
    new, _ = store.create_class()  # starting a class cleans up the ended ones
    assert store.counts() == {"classes": 1, "votes": 0, "reveals": 0, "pushes": 0}
    assert store.get_class(new.code) is not None


def _voter(url: str, code: str, worker: int, learners: int) -> None:
    """One process: `learners` learners each vote twice on one question (the second counts)."""
    s = Store(url, QUESTIONS)
    try:
        for i in range(learners):
            learner = f"w{worker}l{i}"
            s.vote(code, "causal", learner, i % 4)
            s.vote(code, "causal", learner, (i + worker) % 4)
            s.vote(code, "entropy", learner, worker % 3)
    finally:
        s.close()


def test_votes_from_several_processes_at_once_are_all_kept(url):
    store = Store(url, QUESTIONS)
    info, _ = store.create_class()
    workers, learners = 4, 25
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_voter, args=(url, info.code, w, learners)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    expected = [0] * 4
    for w in range(workers):
        for i in range(learners):
            expected[(i + w) % 4] += 1
    assert store.tally(info.code, "causal") == expected
    assert store.tally(info.code, "entropy") == [2 * learners, learners, learners]
    assert store.counts()["votes"] == 2 * workers * learners
    store.close()


def test_the_url_comes_from_the_environment(tmp_path):
    assert database_url({"ATTENTION_DATA_DIR": str(tmp_path)}) == \
        f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
    assert database_url({"ATTENTION_DATABASE_URL": "postgresql://u:p@db/x"}) == \
        "postgresql+psycopg://u:p@db/x"
    assert database_url({"XDG_DATA_HOME": "/xdg"}).endswith("/xdg/attention-explorer/classroom.sqlite3")


def test_sqlite_is_shared_in_wal_mode(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'c.sqlite3'}", QUESTIONS)
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_codes_are_normalised_or_refused():
    assert normalise_code("abc-def") == normalise_code(" abcdef ") == "ABCDEF"
    assert normalise_code("abcde") is None and normalise_code("ABCDE0") is None
    assert normalise_code(123456) is None


def test_a_rate_limit_allows_a_burst_then_one_per_period():
    limit = RateLimit(burst=3, every_s=2.0)
    assert [limit.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.wait_s() > 0
    assert not limit.allow(1.0) and limit.allow(2.5)


def test_a_summary_hides_an_answer_not_yet_revealed():
    doc = markdown([Answered("Causal", "Do rows change?", "Only row 4", None),
                    Answered("Entropy", "Which is flatter?", "A", "A", "Because.")],
                   [View("Multi head", "multi_head", (("heads", "8"),))], base="http://h",
                   class_code="K7PQ2M")
    assert "(not revealed yet)" in doc and "Only row 4" in doc
    assert "- **My prediction:** A (right)" in doc and "Because." in doc
    assert "<http://h/multi_head?heads=8>" in doc and "K7PQ2M" in doc
    views: list[View] = []
    for v in [View("a", "a"), View("a", "a"), View("b", "b")] * 40:
        remember(views, v)
    assert len(views) == 60 and views[-1] == View("b", "b")
