"""The lab's live-training runner: caps, the shared gate (queue order), stop."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import torch

from attention.dashboard.lab_runner import AlreadyTraining, fit_size, train_live
from attention.dashboard.training_gate import Gate
from attention.lab import TrainConfig, check_caps
from attention.settings import load_limits
from tests.tensors import one_thread

TINY = TrainConfig(task="induction", layers=2, heads=2, d_model=16, steps=400, seed=0)
WAIT_S = 60  # generous: the machine may be busy


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():
        yield


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_the_sidebar_width_is_fitted_to_the_training_caps_and_said():
    hosted = load_limits({"ATTENTION_PROFILE": "hosted"})
    wide = TrainConfig(d_model=504, heads=12, layers=4, steps=hosted.max_train_steps)
    cfg, notes = fit_size(wide, hosted)
    assert cfg.d_model <= hosted.max_train_d_model and cfg.layers == hosted.max_train_layers
    assert cfg.d_model % cfg.heads == 0 and cfg.d_model // cfg.heads >= 2
    assert (cfg.heads, cfg.steps, cfg.task, cfg.seed) == (12, wide.steps, wide.task, wide.seed)
    check_caps(cfg, hosted)  # the fitted config passes the door
    said = " ".join(notes)
    assert f"capped at d_model {hosted.max_train_d_model}" in said
    assert "not a multiple of 12 heads" in said and "layers" in said


def test_a_narrow_cap_leaves_each_head_two_dims():
    narrow = replace(load_limits({"ATTENTION_PROFILE": "hosted"}), max_train_d_model=6)
    cfg, notes = fit_size(TrainConfig(d_model=64, heads=4), narrow)
    assert (cfg.d_model, cfg.heads) == (6, 3) and any("room for 3 heads" in n for n in notes)


def test_config_that_fits_is_unchanged():
    config = TrainConfig(layers=1, heads=4, d_model=64, steps=1500, seed=5, scaled=False)
    cfg, notes = fit_size(config, load_limits({"ATTENTION_PROFILE": "local"}))
    assert cfg is config and notes == []


def test_a_config_above_the_caps_is_refused_before_it_queues():
    gate, hosted = Gate(1), load_limits({"ATTENTION_PROFILE": "hosted"})
    waits = []
    with pytest.raises(ValueError, match=f"steps = 5000 is above this server's cap of "
                                         f"{hosted.max_train_steps}"):
        train_live(gate, hosted, replace(TINY, steps=5000), on_wait=waits.append)
    assert gate.running == 0 and gate.waiting == 0 and waits == []


def test_gate_admits_in_arrival_order_and_reports_positions():
    gate = Gate(1)
    assert gate.acquire()
    seen = {"b": [], "c": []}
    entered = []

    def waiter(name):
        def wait(position):
            seen[name].append(position)
            return True
        assert gate.acquire(wait, poll=0.01)
        entered.append(name)

    b = threading.Thread(target=waiter, args=("b",))
    b.start()
    wait_until(lambda: seen["b"], "b to queue")
    c = threading.Thread(target=waiter, args=("c",))
    c.start()
    wait_until(lambda: seen["c"], "c to queue")
    assert seen["b"][-1] == 1 and seen["c"][-1] == 2 and entered == []
    gate.release()
    wait_until(lambda: entered == ["b"], "b to enter")
    time.sleep(0.05)
    assert entered == ["b"] and seen["c"][-1] == 1  # c moved up, still waiting
    gate.release()
    b.join(WAIT_S)
    c.join(WAIT_S)
    assert entered == ["b", "c"] and gate.running == 1 and gate.waiting == 0


def test_a_waiter_that_gives_up_leaves_the_queue():
    gate = Gate(1)
    assert gate.acquire()
    calls = []
    assert gate.acquire(lambda pos: calls.append(pos) or len(calls) < 3, poll=0.01) is None
    assert len(calls) == 3 and gate.waiting == 0 and gate.running == 1


def test_training_waits_for_a_slot_and_stop_ends_it_early():
    """Two trainings through one slot: the second waits in the queue until the first is stopped."""
    gate, limits = Gate(1), load_limits({"ATTENTION_PROFILE": "local"})
    stop_first = threading.Event()
    first_logs, second_logs, second_waits, results = [], [], [], {}

    def first():
        results["first"] = train_live(gate, limits, TINY, on_log=lambda r: first_logs.append(r.history[-1].step),
                                      should_stop=stop_first.is_set)

    def second():
        results["second"] = train_live(
            gate, limits, replace(TINY, steps=20),
            on_log=lambda r: second_logs.append(r.history[-1].step),
            on_wait=lambda pos: second_waits.append(pos) or True)

    a = threading.Thread(target=first)
    a.start()
    wait_until(lambda: len(first_logs) >= 2, "the first training to log")
    b = threading.Thread(target=second)
    b.start()
    wait_until(lambda: second_waits, "the second training to queue")
    assert second_logs == [] and gate.running == 1 and second_waits[-1] == 1
    stop_first.set()
    a.join(WAIT_S)
    b.join(WAIT_S)
    run = results["first"]
    assert run.stopped_early and run.history[-1].step < TINY.steps
    assert results["second"].history[-1].step == 20 and not results["second"].stopped_early
    assert gate.running == 0 and gate.waiting == 0


def test_wall_time_cap_ends_a_training():
    limits = load_limits({"ATTENTION_PROFILE": "hosted", "ATTENTION_MAX_TRAIN_SECONDS": "1"})
    run = train_live(Gate(1), limits, replace(TINY, steps=1500))
    assert run.stopped_early and run.history[-1].step < 1500


def test_training_runs_on_one_torch_thread_and_restores_the_setting():
    torch.set_num_threads(2)
    seen = []
    train_live(Gate(1), load_limits({"ATTENTION_PROFILE": "local"}), replace(TINY, steps=5),
               on_log=lambda r: seen.append(torch.get_num_threads()))
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == 2


def test_a_visitor_holds_one_place_whatever_its_tabs():
    """A second Train from the same visitor (another tab) is refused at once and said; other
    visitors queue as before, and the place is free again once the first run ends."""
    gate, limits = Gate(1), load_limits({"ATTENTION_PROFILE": "local"})
    held = gate.acquire(visitor="ip:192.0.2.7", steps=100)
    assert held and gate.busy("ip:192.0.2.7") and not gate.busy("ip:192.0.2.8")
    said = []
    with pytest.raises(AlreadyTraining, match="already have a training"):
        train_live(gate, limits, replace(TINY, steps=5), visitor="ip:192.0.2.7",
                   on_wait=lambda pos: said.append(pos) or True)
    assert said == [0] and gate.waiting == 0 and gate.running == 1
    gate.release(held, 100)
    assert not gate.busy("ip:192.0.2.7")
    run = train_live(gate, limits, replace(TINY, steps=5), visitor="ip:192.0.2.7")
    assert run.history[-1].step == 5 and not gate.busy("ip:192.0.2.7")


def test_the_wait_estimate_counts_the_steps_ahead_over_the_slots():
    gate = Gate(2)
    gate.seconds_per_step = 0.01
    assert gate.wait_estimate(1) == 0.0  # a free slot: no wait
    a = gate.acquire(visitor="a", steps=1000)  # 10 s
    b = gate.acquire(visitor="b", steps=3000)  # 30 s
    assert 9.0 < gate.wait_estimate(1) <= 10.0  # the next starts when "a" ends
    gate._queue.append(object())  # a queued run of 500 steps (5 s) before position 2
    gate._steps[gate._queue[-1]] = 500
    assert 14.0 < gate.wait_estimate(2) <= 15.0  # after "a", then that run, on one lane
    gate.release(a, 1000)
    gate.release(b, 3000)
    assert gate.seconds_per_step < 0.01  # both ran far faster than the guess: it learns


def test_a_waiting_training_is_told_its_estimated_wait():
    gate, limits = Gate(1), load_limits({"ATTENTION_PROFILE": "local"})
    held = gate.acquire(visitor="other", steps=400)
    told = []

    def wait(position, seconds):
        told.append((position, seconds))
        return len(told) < 2

    assert train_live(gate, limits, replace(TINY, steps=5), visitor="me", on_wait=wait) is None
    assert told and told[0][0] == 1 and told[0][1] > 0
    gate.release(held)


def test_a_pair_of_runs_shares_one_wall_time_budget():
    limits = load_limits({"ATTENTION_PROFILE": "local"})
    run = train_live(Gate(1), limits, replace(TINY, steps=20000), max_seconds=0.5)
    assert run.stopped_early and run.stop_reason == "time" and run.history[-1].seconds < 5
