"""The lab's one training loop, shared by every task: a task gives a `Job` (the run it fills,
one batch's loss, what to log at a step) and the loop does the rest (optimiser, logged
steps, stopping). Text tasks build their job in `training`, images in `vision_training`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from attention.lab.config import Snapshot


def log_steps(steps: int, points: int = 32) -> list[int]:
    """0, then log-spaced steps up to `steps`, plus every steps/points: dense early (the
    start moves fast) and never sparse later (a live page redraws at each)."""
    logs = {0, steps}
    logs.update(int(round(s)) for s in np.geomspace(1, max(steps, 1), points))
    logs.update(int(round(s)) for s in np.linspace(0, steps, points + 1))
    return sorted(s for s in logs if 0 <= s <= steps)


@dataclass(kw_only=True)
class RunProgress:
    """What the loop fills in every task's run while it grows: on_log receives the run.
    A task's run adds its config and probe (`TrainingRun`, `VisionRun`)."""

    history: list = field(default_factory=list)  # one record per logged step
    snapshots: list[Snapshot] = field(default_factory=list)
    model: nn.Module | None = None
    stopped_early: bool = False
    stop_reason: str = ""  # "" (ran every step), "stopped" (should_stop) or "time"

    @property
    def accuracy(self) -> float:
        """Held-out accuracy at the last logged step."""
        return self.history[-1].accuracy if self.history else 0.0

    @property
    def steps_done(self) -> int:
        return self.history[-1].step if self.history else 0


@dataclass
class Job:
    """What the shared loop needs of a task: the run it fills (its model included), one
    training batch's loss, and what to log after `step` updates, `seconds` in."""

    run: RunProgress  # a task's run (a TrainingRun, a VisionRun), its model included
    batch_loss: Callable[[], Tensor]
    measure: Callable[[int, float], tuple]  # (step, seconds) -> (record, Snapshot)


def train_loop(job: Job, *, on_log: Callable | None = None,
               should_stop: Callable[[], bool] | None = None,
               max_seconds: float | None = None, log_points: int = 32):
    """The lab's one training loop, for every task: AdamW at the config's rate, a record
    at each logged step, stopped by should_stop() or max_seconds. Returns job.run."""
    run = job.run
    c, model = run.config, run.model
    opt = torch.optim.AdamW(model.parameters(), lr=c.lr)
    logs = set(log_steps(c.steps, log_points))
    start = time.perf_counter()

    def record(step: int) -> None:
        rec, snap = job.measure(step, time.perf_counter() - start)
        run.history.append(rec)
        run.snapshots.append(snap)
        if on_log is not None:
            on_log(run)

    step = 0
    record(0)
    while step < c.steps:
        if should_stop is not None and should_stop():
            run.stopped_early, run.stop_reason = True, "stopped"
        elif max_seconds is not None and time.perf_counter() - start > max_seconds:
            run.stopped_early, run.stop_reason = True, "time"
        if run.stopped_early:
            if run.history[-1].step != step:
                record(step)
            break
        loss = job.batch_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step in logs:
            record(step)
    model.eval()
    return run
