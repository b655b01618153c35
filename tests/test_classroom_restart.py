"""Nothing is lost when a server process restarts: a process that wrote a class, its votes,
a reveal and a push is killed (SIGTERM, or SIGKILL with no chance to clean up), and a new
`Store` on the same SQLite file (found through ATTENTION_DATA_DIR, as the app finds it)
sees all of it; a process killed in the middle of a stream of votes keeps every vote it
had been told was written, and the file stays sound."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from attention.classroom import Refused, Store, database_url

QUESTIONS = {"causal": 4, "entropy": 3}
LEARNERS = 12


def _server(out, hold_s: float) -> None:
    """A server process: opens a class, its learners vote (a third change their vote), the
    instructor reveals one question and pushes a view; then it stays up, store open."""
    s = Store(None, QUESTIONS)
    info, key = s.create_class(wait_for_reveal=True)
    for i in range(LEARNERS):
        s.vote(info.code, "causal", f"l{i}", i % 4)
        s.vote(info.code, "entropy", f"l{i}", i % 3)
        if i % 3 == 0:
            s.vote(info.code, "causal", f"l{i}", 3)
    s.reveal(info.code, key, "entropy")
    s.push(info.code, key, "causal", {"pad": "2"}, "Causal (pad=2)")
    out.put((info.code, key))
    time.sleep(hold_s)  # killed before this ends


def _voter(code: str, acked, limit: int) -> None:
    """Votes one new learner at a time; `acked` counts the votes `Store.vote` returned from."""
    s = Store(None, QUESTIONS)
    for i in range(limit):
        s.vote(code, "causal", f"v{i}", i % 4)
        with acked.get_lock():
            acked.value += 1


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("ATTENTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("ATTENTION_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_a_killed_process_loses_no_class_vote_reveal_or_push(data_dir, how):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_server, args=(out, 120.0))
    proc.start()
    try:
        code, key = out.get(timeout=60)
    finally:
        getattr(proc, how)()
        proc.join(30)
    assert proc.exitcode is not None and proc.exitcode < 0  # ended by the signal

    assert database_url().startswith(f"sqlite:///{data_dir}")
    s = Store(None, QUESTIONS)  # the restarted process
    try:
        info = s.get_class(code)
        assert info is not None and info.wait_for_reveal
        assert s.is_instructor(code, key)
        causal = [0] * 4
        for i in range(LEARNERS):
            causal[3 if i % 3 == 0 else i % 4] += 1
        assert s.tallies(code) == {"causal": causal, "entropy": [LEARNERS // 3] * 3}
        assert s.vote_of(code, "causal", "l1") == 1 and s.vote_of(code, "causal", "l0") == 3
        assert s.revealed(code) == {"entropy"}
        push = s.latest_push(code)
        assert (push.seq, push.page, push.params, push.label) == \
            (1, "causal", {"pad": "2"}, "Causal (pad=2)")
        with pytest.raises(Refused):  # the reveal still closes that question's votes
            s.vote(code, "entropy", "l0", 1)
        s.vote(code, "causal", "late", 2)  # and the class goes on
        assert sum(s.tally(code, "causal")) == LEARNERS + 1
        assert s.push(code, key, "causal", {}, "Causal").seq == 2
    finally:
        s.close()


def test_a_process_killed_while_voting_keeps_every_vote_it_acknowledged(data_dir):
    s = Store(None, QUESTIONS)
    info, _ = s.create_class()
    ctx = multiprocessing.get_context("fork")
    acked = ctx.Value("i", 0)
    proc = ctx.Process(target=_voter, args=(info.code, acked, 3000))
    proc.start()
    deadline = time.monotonic() + 60
    while acked.value < 100 and proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()  # in the middle of the stream: no clean-up, perhaps mid-transaction
    proc.join(30)
    assert proc.exitcode is not None and proc.exitcode < 0
    s.close()

    s = Store(None, QUESTIONS)  # the restarted process
    try:
        counted = sum(s.tally(info.code, "causal"))
        # Every acknowledged vote is there; at most the one in flight was also committed.
        assert acked.value >= 100
        assert acked.value <= counted <= acked.value + 1
        assert all(s.vote_of(info.code, "causal", f"v{i}") == i % 4 for i in range(acked.value))
        with s.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        s.vote(info.code, "causal", "after", 1)  # the file takes writes again
        assert sum(s.tally(info.code, "causal")) == counted + 1
    finally:
        s.close()
