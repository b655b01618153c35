"""The training queue of one server process: at most `slots` trainings at once, the others
waiting in arrival order, one place per visitor, and an estimate of each waiter's wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SECONDS_PER_STEP = 0.02  # a first guess of one training step (d_model 64, 2 layers, 1 thread)


class Gate:
    """At most `slots` holders at once; the others wait in arrival order. A `visitor` holds
    at most one place (queued or running); each place says how many `steps` it trains, so
    a waiter learns an estimate of its wait (`wait_estimate`)."""

    def __init__(self, slots: int):
        self.slots = max(1, int(slots))
        self._cond = threading.Condition()
        self._running: dict[object, tuple[int, float]] = {}  # ticket -> (steps, start)
        self._queue: list[object] = []
        self._steps: dict[object, int] = {}  # queued ticket -> steps
        self._visitors: dict[object, str] = {}  # ticket -> visitor, queued or running
        self.seconds_per_step = SECONDS_PER_STEP  # learnt from finished trainings

    def busy(self, visitor: str | None) -> bool:
        """True when `visitor` already holds a place (queued or training)."""
        with self._cond:
            return visitor is not None and visitor in self._visitors.values()

    def acquire(self, wait: Callable[[int], bool] | None = None, poll: float = 0.25, *,
                visitor: str | None = None, steps: int = 0) -> object | None:
        """Take a slot. While queued, `wait(position)` (1 = next) is called about every
        `poll` seconds; it returns False to give up. The held ticket once a slot is held
        (give it to `release`); None when it gave up, or when `visitor` already holds a
        place (check `busy` first to tell the two apart)."""
        ticket = object()
        with self._cond:
            if visitor is not None and visitor in self._visitors.values():
                return None
            self._queue.append(ticket)
            self._steps[ticket] = int(steps)
            if visitor is not None:
                self._visitors[ticket] = visitor
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket and len(self._running) < self.slots:
                        self._queue.pop(0)
                        self._running[ticket] = (self._steps.pop(ticket), time.monotonic())
                        self._cond.notify_all()
                        return ticket
                    position = self._queue.index(ticket) + 1
                if wait is not None and not wait(position):
                    break
                with self._cond:
                    self._cond.wait(poll)
        except BaseException:
            self._leave(ticket)
            raise
        self._leave(ticket)
        return None

    def _leave(self, ticket: object) -> None:
        with self._cond:
            if ticket in self._queue:
                self._queue.remove(ticket)
            self._steps.pop(ticket, None)
            self._visitors.pop(ticket, None)
            self._cond.notify_all()

    def release(self, ticket: object = None, steps_done: int = 0) -> None:
        """Free `ticket`'s slot; `steps_done` steps in its time refine the estimate."""
        with self._cond:
            if ticket is None and self._running:  # an old caller: any one slot
                ticket = next(iter(self._running))
            held = self._running.pop(ticket, None)
            self._visitors.pop(ticket, None)
            if held is not None and steps_done > 0:
                per_step = (time.monotonic() - held[1]) / steps_done
                self.seconds_per_step = 0.7 * self.seconds_per_step + 0.3 * per_step
            self._cond.notify_all()

    def wait_estimate(self, position: int) -> float:
        """Seconds until the waiter at `position` (1 = next) may start, if every run before
        it trains all its steps at the server's recent pace."""
        with self._cond:
            now, rate = time.monotonic(), self.seconds_per_step
            left = sorted(max(0.0, steps * rate - (now - start))
                          for steps, start in self._running.values())
            ahead = [self._steps.get(t, 0) * rate for t in self._queue[: max(0, position - 1)]]
        # Slots free up as runs end: the waiter starts when `slots` lanes have taken
        # every run before it (a greedy schedule over the lanes).
        lanes = left + [0.0] * (self.slots - len(left))
        for seconds in ahead:
            lanes.sort()
            lanes[0] += seconds
        return min(lanes) if lanes else 0.0

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._queue)
