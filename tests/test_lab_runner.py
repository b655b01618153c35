"""The lab's live-training runner: caps, the shared gate (queue order), stop."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from attention.dashboard.lab_runner import Gate, LabConfig, lab_config, run_training
from attention.settings import load_limits

TINY = LabConfig(task="induction", layers=2, heads=2, d_model=16, steps=400, seed=0, scaled=True)
WAIT_S = 60  # generous: the machine may be busy


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_hosted_caps_clamp_every_size_and_say_so():
    hosted = load_limits({"ATTENTION_PROFILE": "hosted"})
    cfg, notes = lab_config(hosted, task="nonsense", layers=7, heads=99, d_model=10**6,
                            steps=10**9, seed=-3, scaled=True)
    assert cfg.d_model == hosted.max_train_d_model and cfg.steps == hosted.max_train_steps
    assert cfg.layers == 2 and cfg.task == "induction" and cfg.seed == 0
    assert cfg.d_model % cfg.heads == 0 and cfg.d_model // cfg.heads >= 2
    assert any("d_model" in n for n in notes) and any("steps" in n for n in notes)


def test_config_that_fits_is_unchanged():
    cfg, notes = lab_config(load_limits({"ATTENTION_PROFILE": "local"}), task="induction",
                            layers=1, heads=4, d_model=64, steps=1500, seed=5, scaled=False)
    assert cfg == LabConfig("induction", 1, 4, 64, 1500, 5, False) and notes == []


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
    assert gate.acquire(lambda pos: calls.append(pos) or len(calls) < 3, poll=0.01) is False
    assert len(calls) == 3 and gate.waiting == 0 and gate.running == 1


def test_training_waits_for_a_slot_and_stop_ends_it_early():
    """Two trainings through one slot: the second waits in the queue until the first is stopped."""
    gate, limits = Gate(1), load_limits({"ATTENTION_PROFILE": "local"})
    stop_first = threading.Event()
    first_logs, second_logs, second_waits, results = [], [], [], {}

    def first():
        results["first"] = run_training(gate, limits, TINY, on_log=lambda r: first_logs.append(r.history[-1].step),
                                        should_stop=stop_first.is_set)

    def second():
        results["second"] = run_training(
            gate, limits, LabConfig(**{**TINY.kwargs(), "steps": 20}),
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
    run = run_training(Gate(1), limits, LabConfig(**{**TINY.kwargs(), "steps": 1500}))
    assert run.stopped_early and run.history[-1].step < 1500


def test_training_runs_on_one_torch_thread_and_restores_the_setting():
    torch.set_num_threads(2)
    seen = []
    run_training(Gate(1), load_limits({"ATTENTION_PROFILE": "local"}),
                 LabConfig(**{**TINY.kwargs(), "steps": 5}),
                 on_log=lambda r: seen.append(torch.get_num_threads()))
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == 2
