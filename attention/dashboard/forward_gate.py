"""Fair turns at the real models: a few forwards at once per process, one per visitor.

A forward of the /pretrained encoder or the /gpt decoder (a sentence, a generation, an
induction test) costs up to a second of a core. Without a limit, one tab sending new
sentences many times a second starts a forward per message, and everyone's page waits
behind them. So, around each uncached forward (inside the cached function, so a cache hit
never waits):

- at most `Limits.max_model_forwards` forwards run at once in this process;
- a visitor (one address, all its tabs) runs one forward at a time; while it runs, the
  visitor's next request waits and other visitors go first;
- a visitor's newer waiting request replaces an older one still waiting (the older tab
  says so and stops): requests coalesce to the latest;
- a request whose own session moves on (a control changed, the tab closed) leaves the
  queue at once;
- the page shows the wait: "Waiting for the model: N ahead of you".

One address is not always one person: a class behind one NAT address, or a proxy that is
not trusted (`attention/dashboard/visitor.py`), puts everyone on one id, and these rules
would then serialise and replace everyone's requests. So an address with more than
`CROWD_SESSIONS` sessions active within `CROWD_WINDOW_S` counts as a crowd, and each of its
sessions is then its own visitor (`fair_key`, also used for the lab's trainings).

ATTENTION_FLOOD_GUARDS=off turns it off, with the hosted profile's pacing of reruns
(`hosting.pace_reruns`): bench/flood.py measures with and without them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

# Private Streamlit API, pinned by tests/test_forward_gate.py: while a cached function
# computes, Streamlit records the elements it draws to replay them on every cache hit; a
# wait notice must not be replayed, so it is drawn with the recording flag off.
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    get_script_run_ctx,
    in_cached_function,
)

from attention.settings import Limits, load_limits

POLL_S = 0.1  # how often a waiting request checks its turn and its session
CROWD_SESSIONS = 4  # more sessions than this on one address: a shared address
CROWD_WINDOW_S = 120.0  # sessions seen within this window count
NOTICE_EVERY_S = 0.5  # the wait notice is redrawn at most this often


@dataclass(eq=False)
class _Ticket:
    visitor: str
    superseded: bool = False


class ForwardGate:
    """At most `slots` holders at once (None: no process-wide limit), at most one per
    visitor; waiting requests go in arrival order, a visitor already running is passed
    over, and a visitor's newer request replaces its older waiting one."""

    def __init__(self, slots: int | None):
        self.slots = None if slots is None else max(1, int(slots))
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}  # visitor -> forwards it holds (0 or 1)
        self._queue: list[_Ticket] = []

    def acquire(self, visitor: str, wait: Callable[[int], None] | None = None,
                poll: float = POLL_S) -> bool:
        """Take a turn for `visitor`: True once held; False when a newer request of the
        same visitor replaced this one while it waited. While waiting, `wait(ahead)` is
        called about every `poll` s (ahead: forwards that go first); it may raise to leave."""
        ticket = _Ticket(visitor)
        with self._cond:
            for other in self._queue:
                if other.visitor == visitor:
                    other.superseded = True
            self._queue.append(ticket)
            self._cond.notify_all()
        try:
            while True:
                with self._cond:
                    if ticket.superseded:
                        self._queue.remove(ticket)
                        self._cond.notify_all()
                        return False
                    if self._next() is ticket:
                        self._queue.remove(ticket)
                        self._running[visitor] = self._running.get(visitor, 0) + 1
                        self._cond.notify_all()
                        return True
                    ahead = self.running + self._queue.index(ticket)
                if wait is not None:
                    wait(ahead)
                with self._cond:
                    self._cond.wait(poll)
        except BaseException:
            with self._cond:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()
            raise

    def _next(self) -> _Ticket | None:
        """The waiting request that may start now, if any (call holding the lock)."""
        if self.slots is not None and self.running >= self.slots:
            return None
        for t in self._queue:
            if not t.superseded and not self._running.get(t.visitor):
                return t
        return None

    def release(self, visitor: str) -> None:
        with self._cond:
            left = self._running.get(visitor, 0) - 1
            if left > 0:
                self._running[visitor] = left
            else:
                self._running.pop(visitor, None)
            self._cond.notify_all()

    @property
    def running(self) -> int:
        return sum(self._running.values())

    @property
    def waiting(self) -> int:
        return len(self._queue)


_gates: dict[int | None, ForwardGate] = {}
_gates_lock = threading.Lock()
_gates_state: dict[str, Limits] = {}
_inside = threading.local()  # this thread holds a turn: a nested forward does not queue


def gate_for(limits: Limits) -> ForwardGate:
    """The process's one gate for this profile's limit."""
    slots = limits.max_model_forwards or None
    with _gates_lock:
        return _gates.setdefault(slots, ForwardGate(slots))


def _process_limits() -> Limits:
    if "limits" not in _gates_state:
        _gates_state["limits"] = load_limits()
    return _gates_state["limits"]


def guards_on() -> bool:
    """False when ATTENTION_FLOOD_GUARDS=off (to measure what they change)."""
    return os.environ.get("ATTENTION_FLOOD_GUARDS", "").strip().lower() != "off"


class Crowds:
    """Which addresses carry more than `limit` sessions at once (a class behind one NAT)."""

    def __init__(self, limit: int = CROWD_SESSIONS, window: float = CROWD_WINDOW_S):
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, float]] = {}  # visitor -> session -> last seen

    def key(self, visitor: str, session: str, now: float | None = None) -> str:
        """`visitor`, or `visitor/session` when the address is a crowd (or unknown)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            sessions = self._seen.setdefault(visitor, {})
            sessions[session] = now
            for sid, seen in list(sessions.items()):
                if now - seen > self.window:
                    del sessions[sid]
            if len(self._seen) > 10_000:  # bounded: forget the addresses idle longest
                for v in sorted(self._seen, key=lambda v: max(self._seen[v].values(), default=0))[:5000]:
                    del self._seen[v]
            crowd = len(sessions) > self.limit
        return f"{visitor}/{session}" if crowd or visitor == "unknown" else visitor


CROWDS = Crowds()


def fair_key() -> str:
    """This session's key for the per-visitor rules: its visitor (one address, all its
    tabs), or the session itself on a shared address."""
    from attention.dashboard.visitor import visitor_id

    ctx = get_script_run_ctx(suppress_warning=True)
    session = ctx.session_id if ctx is not None else "no-session"
    return CROWDS.key(visitor_id(), session)


def _draw(fn: Callable[[], object]) -> object:
    """Draw outside the cached function's recording (the notice must not be replayed)."""
    token = in_cached_function.set(False)
    try:
        return fn()
    finally:
        in_cached_function.reset(token)


class _Notice:
    """The wait notice at the cursor where the forward was asked for, drawn on first need."""

    def __init__(self, what: str):
        self.what, self.slot, self._shown, self._at = what, None, None, 0.0

    def waiting(self, ahead: int) -> None:
        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None:
            return
        ctx.yield_check()  # the session moved on (a control changed, the tab left): leave
        now = time.monotonic()
        if ahead == self._shown or now - self._at < NOTICE_EVERY_S:
            return
        self._shown, self._at = ahead, now
        if self.slot is None:
            self.slot = _draw(st.empty)
        _draw(lambda: self.slot.info(
            f"Waiting for the model ({self.what}): {ahead} ahead of you. It serves a few "
            "requests at a time; yours starts as soon as a turn is free.",
            icon=":material/hourglass_top:"))

    def superseded(self) -> None:
        if get_script_run_ctx(suppress_warning=True) is None:
            return
        slot = self.slot or _draw(st.empty)
        _draw(lambda: slot.warning(
            "A newer request from you (this or another tab) took this one's place in the "
            "model's queue. Change any control here to ask again.", icon=":material/update:"))

    def clear(self) -> None:
        if self.slot is not None:
            _draw(self.slot.empty)


@contextmanager
def model_turn(what: str, limits: Limits | None = None) -> Iterator[None]:
    """Hold a turn at the model for the block (`what`: the forward, for the notice), under
    `limits` (default: this process's profile).

    A request replaced by the same visitor's newer one stops this run (`st.stop()`)
    after saying so; nothing is cached for it.
    """
    if (getattr(_inside, "held", False) or get_script_run_ctx(suppress_warning=True) is None
            or not guards_on()):
        yield  # nested in a held turn, outside a session (a notebook, a test), or turned off
        return
    gate = gate_for(limits or _process_limits())
    visitor, notice = fair_key(), _Notice(what)
    if not gate.acquire(visitor, notice.waiting):
        notice.superseded()
        st.stop()
    _inside.held = True
    try:
        notice.clear()
        yield
    finally:
        _inside.held = False
        gate.release(visitor)
