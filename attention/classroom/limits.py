"""The bounds of the class store and the per-session rate limit on votes and pushes."""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 24 * 3600


@dataclass(frozen=True)
class Bounds:
    """What the store may hold: every table is bounded."""

    ttl_s: float = DAY_S  # a class ends (and is cleaned up) this long after it starts
    max_classes: int = 500  # live classes at once; a new one beyond is refused
    max_votes_per_class: int = 6000  # e.g. 300 learners x 20 questions
    max_pushes_kept: int = 20  # a class keeps its last pushes; older ones are deleted
    max_params_chars: int = 12000  # a pushed view's state, as JSON
    max_label_chars: int = 300


class RateLimit:
    """A token bucket: `burst` actions at once, then one every `every_s` seconds.

    Kept per session (in its state) by the app; `allow(now)` spends a token if one is left.
    """

    def __init__(self, burst: int, every_s: float):
        self.burst = burst
        self.every_s = every_s
        self.tokens = float(burst)
        self.last: float | None = None

    def allow(self, now: float) -> bool:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.last) / self.every_s)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until the next action is allowed (0 if one is now)."""
        return max(0.0, (1 - self.tokens) * self.every_s)
