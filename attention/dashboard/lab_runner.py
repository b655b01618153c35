"""Live training on a shared server: bounded, queued in arrival order, stopped with its session.

A training runs inside the script run of the session that asked for it, so it lives and
dies with that run: pressing Stop (or any other control) asks Streamlit for a rerun, and a
session whose browser leaves asks for a stop; `session_wants_stop` sees either request at
the next training step, and the run so far is kept. (With fast reruns, Streamlit starts the
new run at once, while the old one finishes its step: the new run waits for it with
`await_previous_training` before it reads what was trained.)

At most `Limits.max_live_trainings` trainings run at once per process (a `Gate` shared
through st.cache_resource); the others wait with their place in the queue and an estimate
of the wait shown, and leave the queue the same way. A visitor (all its tabs) holds at most
one place, queued or training: a second Train from another tab is refused and says so.
Each trains on one torch thread, within the profile's caps: `train_live` is the one door
from the server to the training loop, and checks them there. The caps are in steps, so a
busy server gives every learner the same run (slower); the wall time is a guard.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace

import streamlit as st
import torch
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from attention.dashboard.training_gate import Gate
from attention.lab.config import TrainConfig, check_caps
from attention.lab.training import TrainingRun, run_training
from attention.settings import Limits


def fit_size(config: TrainConfig, limits: Limits) -> tuple[TrainConfig, list[str]]:
    """`config` with its width and depth inside the server's training caps; what changed.

    The page's own controls are bound by their declarations; d_model and heads come from
    the sidebar, bound by the toy model's caps, which are wider than training's.

    Args:
        config: a valid TrainConfig (d_model a multiple of heads).
    """
    notes = []
    d_model, layers = config.d_model, config.layers
    if d_model > limits.max_train_d_model:
        d_model = limits.max_train_d_model
        notes.append(f"training here is capped at d_model {d_model}; using {d_model}")
    heads = max(1, min(config.heads, d_model // 2))  # each head at least 2 wide
    if heads != config.heads:
        notes.append(f"d_model {d_model} has room for {heads} heads of at least 2 dims; "
                     f"training {heads} heads")
    usable = d_model // heads * heads
    if usable != d_model:
        notes.append(f"d_model {d_model} is not a multiple of {heads} heads; training {usable}")
        d_model = usable
    if layers > limits.max_train_layers:
        layers = limits.max_train_layers
        notes.append(f"training here is capped at {layers} layers; using {layers}")
    if (d_model, heads, layers) == (config.d_model, config.heads, config.layers):
        return config, notes
    return replace(config, d_model=d_model, heads=heads, layers=layers), notes


class AlreadyTraining(ValueError):
    """This visitor already has a training queued or running (another tab)."""


def train_live(gate: Gate, limits: Limits, config: TrainConfig, *,
               on_log: Callable[[TrainingRun], None] | None = None,
               should_stop: Callable[[], bool] | None = None,
               on_wait: Callable[[int], bool] | None = None,
               visitor: str | None = None,
               max_seconds: float | None = None) -> TrainingRun | None:
    """Train `config` on this server: once a slot of `gate` is free, on one torch thread,
    for at most the profile's wall time (or `max_seconds`, if less: a pair of runs shares
    one budget).

    Args:
        visitor: who asks (default on the hosted profile: this session's visitor); one
            place each.

    Returns the run (possibly stopped early), or None when it gave up while queued.

    Raises:
        ValueError: `config` is above the profile's caps (`check_caps`), before it queues;
            `AlreadyTraining` when the visitor already holds a place (after `on_wait(0)`).
    """
    check_caps(config, limits)
    if visitor is None and limits.profile == "hosted":  # one person locally: any tabs
        visitor = _visitor()
    wait = on_wait
    if on_wait is not None and _takes_estimate(on_wait):  # (position, seconds) -> bool
        def wait(position: int) -> bool:
            return on_wait(position, gate.wait_estimate(position))
    ticket = gate.acquire(wait, visitor=visitor, steps=config.steps)
    if ticket is None:
        if gate.busy(visitor):
            if on_wait is not None:
                on_wait(0)  # 0: refused, another place of this visitor's is in the queue
            raise AlreadyTraining("you already have a training queued or running (in another "
                                  "tab?); it must end before this one can start")
        return None
    seconds = float(limits.max_train_seconds)
    if max_seconds is not None:
        seconds = max(0.5, min(seconds, float(max_seconds)))
    run = None
    try:
        with one_torch_thread():
            run = run_training(config, on_log=on_log, should_stop=should_stop,
                               max_seconds=seconds)
            return run
    finally:
        gate.release(ticket, run.steps_done if run is not None else 0)


def _takes_estimate(fn: Callable) -> bool:
    try:
        return len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):
        return False


def _visitor() -> str | None:
    """This session's visitor (all its tabs; each session on a shared address), or None
    outside a session."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    from attention.dashboard.forward_gate import fair_key
    return fair_key()


_threads_lock = threading.Lock()
_threads_state = {"inside": 0, "saved": 1}


@contextmanager
def one_torch_thread():
    """Train on one torch thread. A small model gains little from more, and on a busy
    server more threads than free cores stall it (measured here: 60 steps took 57 s on
    2 threads against 6 s on 1 while other processes kept both cores busy). The setting
    is the process's, so the last training to finish restores it."""
    with _threads_lock:
        if _threads_state["inside"] == 0:
            _threads_state["saved"] = torch.get_num_threads()
        _threads_state["inside"] += 1
        torch.set_num_threads(1)
    try:
        yield
    finally:
        with _threads_lock:
            _threads_state["inside"] -= 1
            if _threads_state["inside"] == 0:
                torch.set_num_threads(_threads_state["saved"])


@st.cache_resource(show_spinner=False)
def shared_gate(slots: int) -> Gate:
    """One gate per server process, whatever page or session asks."""
    return Gate(slots)


def session_wants_stop() -> bool:
    """True when this session has asked for a rerun (a control changed, Stop pressed) or a
    stop (its browser left). Reads the request without consuming it, so Streamlit still
    acts on it at the next element the script draws."""
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None) if ctx is not None else None
    state = getattr(requests, "_state", ScriptRequestType.CONTINUE)
    return state != ScriptRequestType.CONTINUE


BUSY_KEY = "_lab_training_done"
AWAIT_S = 15.0  # a stopped training ends within one step and one log record


@contextmanager
def training_in_this_session():
    """Mark this session as training until the block ends (however it ends)."""
    done = threading.Event()
    st.session_state[BUSY_KEY] = done
    try:
        yield
    finally:
        done.set()


def await_previous_training(timeout: float = AWAIT_S) -> None:
    """Wait until a training this session started in an earlier, interrupted run has ended."""
    done = st.session_state.get(BUSY_KEY)
    if isinstance(done, threading.Event):
        done.wait(timeout)


class Ticker:
    """`due()` is True at most once every `every` seconds: live redraws keep a steady rate."""

    def __init__(self, every: float):
        self.every, self._last = every, 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            return True
        return False
