"""The real models' gate: a few forwards at once, one per visitor, newer requests replace
older waiting ones, and a wait that is given up leaves the queue."""

from __future__ import annotations

import threading
import time

import pytest

from attention.dashboard.forward_gate import ForwardGate, gate_for, model_turn
from attention.settings import PROFILES


def _waiter(gate: ForwardGate, visitor: str, results: dict, name: str, seen: list | None = None):
    def run():
        def wait(ahead):
            if seen is not None:
                seen.append(ahead)
        results[name] = gate.acquire(visitor, wait, poll=0.01)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _until(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition never met"
        time.sleep(0.005)


def test_at_most_slots_forwards_at_once():
    gate, results = ForwardGate(2), {}
    assert gate.acquire("a") and gate.acquire("b")
    seen = []
    t = _waiter(gate, "c", results, "c", seen)
    _until(lambda: seen)
    assert "c" not in results and seen[-1] == 2  # two ahead: the running ones
    gate.release("a")
    t.join(2)
    assert results["c"] is True and gate.running == 2


def test_a_visitor_runs_one_at_a_time_and_others_go_first():
    gate, results = ForwardGate(2), {}
    assert gate.acquire("a")
    ta = _waiter(gate, "a", results, "a2")  # queued first, but "a" already runs
    _until(lambda: gate.waiting == 1)
    tb = _waiter(gate, "b", results, "b")
    tb.join(2)
    assert results.get("b") is True and "a2" not in results
    gate.release("a")
    ta.join(2)
    assert results["a2"] is True


def test_a_newer_request_replaces_the_older_waiting_one():
    gate, results = ForwardGate(1), {}
    assert gate.acquire("x")
    t_old = _waiter(gate, "v", results, "old")
    _until(lambda: gate.waiting == 1)
    t_new = _waiter(gate, "v", results, "new")
    t_old.join(2)
    assert results["old"] is False  # replaced, never ran
    assert gate.waiting == 1 and "new" not in results
    gate.release("x")
    t_new.join(2)
    assert results["new"] is True and gate.running == 1


def test_a_wait_that_raises_leaves_the_queue():
    gate = ForwardGate(1)
    assert gate.acquire("x")

    def leave(ahead):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gate.acquire("v", leave, poll=0.01)
    assert gate.waiting == 0
    gate.release("x")
    assert gate.acquire("w") and gate.running == 1


def test_no_process_limit_still_one_per_visitor():
    gate, results = ForwardGate(None), {}
    assert all(gate.acquire(v) for v in "abcdefgh")
    t = _waiter(gate, "a", results, "a2")
    _until(lambda: gate.waiting == 1)
    assert "a2" not in results
    gate.release("a")
    t.join(2)
    assert results["a2"] is True


def test_profiles_bound_model_forwards():
    assert PROFILES["hosted"].max_model_forwards == 2
    assert PROFILES["local"].max_model_forwards >= 2
    assert gate_for(PROFILES["hosted"]) is gate_for(PROFILES["hosted"])
    assert gate_for(PROFILES["hosted"]).slots == 2


def test_outside_a_session_the_turn_is_free():
    with model_turn("a test", PROFILES["hosted"]):
        assert gate_for(PROFILES["hosted"]).running == 0


def test_streamlit_internals_the_notice_relies_on():
    """The wait notice is drawn with Streamlit's recording flag off (a cached function
    replays what it drew) and leaves the queue through the run's yield check."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import (
        ScriptRunContext,
        in_cached_function,
    )

    token = in_cached_function.set(True)
    assert in_cached_function.get() is True
    in_cached_function.reset(token)
    assert "yield_check" in ScriptRunContext.__dataclass_fields__


def _doubles_behind_a_busy_model():
    import streamlit as st

    from attention.dashboard.forward_gate import model_turn
    from attention.settings import PROFILES

    @st.cache_resource(show_spinner=False)
    def doubled(x: int) -> int:
        with model_turn("a test", PROFILES["hosted"]):
            return 2 * x

    st.text(f"result {doubled(21)}")


def _fill(gate, visitor: str) -> None:
    assert gate.acquire(visitor)


def test_a_replaced_request_says_so_and_a_turn_is_not_replayed_from_the_cache():
    """In a real script run: a request waits behind a full gate; the same visitor's newer
    request replaces it (the page says so and stops, nothing cached); once the model is
    free the next run computes, with no notice left on the page or replayed on a hit."""
    from streamlit.testing.v1 import AppTest

    from attention.dashboard.visitor import visitor_id  # noqa: F401 - the id the gate uses

    gate = gate_for(PROFILES["hosted"])
    _fill(gate, "busy-1")
    _fill(gate, "busy-2")
    results = {}
    newer = None

    def replace_it():
        nonlocal newer
        _until(lambda: gate.waiting == 1)  # the script's request is queued
        results["visitor"] = gate._queue[0].visitor
        newer = _waiter(gate, results["visitor"], results, "newer")

    helper = threading.Thread(target=replace_it, daemon=True)
    helper.start()
    at = AppTest.from_function(_doubles_behind_a_busy_model, default_timeout=30).run()
    helper.join(5)
    assert not at.exception
    assert any("newer request from you" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not [t for t in at.text if t.value.startswith("result")]  # stopped, not computed
    gate.release("busy-1")
    newer.join(5)
    assert results["newer"] is True
    gate.release(results["visitor"])  # the newer request's turn ends
    gate.release("busy-2")
    at.run()
    assert not at.exception and at.text[0].value == "result 42"
    assert not at.warning and not at.info
    at.run()  # a cache hit replays nothing of the wait
    assert at.text[0].value == "result 42" and not at.warning and not at.info
    assert gate.running == 0 and gate.waiting == 0


def test_a_shared_address_counts_each_session_as_a_visitor():
    """A class behind one NAT address must not share one turn: past CROWD_SESSIONS sessions
    in the window, each session is its own visitor; an idle crowd thins out again."""
    from attention.dashboard.forward_gate import Crowds

    crowds = Crowds(limit=2, window=10.0)
    assert crowds.key("ip:192.0.2.1", "s1", now=0.0) == "ip:192.0.2.1"
    assert crowds.key("ip:192.0.2.1", "s2", now=1.0) == "ip:192.0.2.1"  # two tabs: one person
    assert crowds.key("ip:192.0.2.1", "s3", now=2.0) == "ip:192.0.2.1/s3"  # a crowd
    assert crowds.key("ip:192.0.2.1", "s1", now=3.0) == "ip:192.0.2.1/s1"
    assert crowds.key("ip:192.0.2.9", "s9", now=3.0) == "ip:192.0.2.9"  # others unaffected
    assert crowds.key("ip:192.0.2.1", "s1", now=30.0) == "ip:192.0.2.1"  # the others left
    assert crowds.key("unknown", "s5", now=30.0) == "unknown/s5"  # no address: per session
