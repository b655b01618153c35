"""The √d_k experiment at three head widths: the same model trained with and without the
1/√d_head scale at d_head 16, 64 and 256 (one width, d_model 256, split into 16, 4 or 1
heads), so the effect is seen not only at the extreme.

    points = run_sweep()             # six short trainings (make lab-runs writes them)
    save_sweep(points, path); load_sweep(path)

Stored as plain JSON (numbers only): the page reads it at once, never trains it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from attention.lab.config import TrainConfig
from attention.lab.training import run_training

SWEEP_D_HEADS = (16, 64, 256)
SWEEP_D_MODEL = 256
SWEEP_STEPS = 200  # every pair has clearly parted by then; six runs stay under a few minutes
SWEEP_LOG_POINTS = 8
FORMAT = "attention-explorer/dhead-sweep"


@dataclass(frozen=True)
class SweepPoint:
    """One training of the sweep: its width, whether it scaled, and its curve."""

    d_head: int
    scaled: bool
    steps: tuple[int, ...]  # logged steps
    accuracy: tuple[float, ...]  # held-out accuracy at each
    loss: tuple[float, ...]  # held-out loss at each
    logit_std: float  # std of the attention logits at init (both layers pooled)
    max_weight: float  # mean largest softmax weight at init (1 = one-hot)

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


def sweep_config(d_head: int, scaled: bool, seed: int = 0) -> TrainConfig:
    """The sweep's model at `d_head`: d_model SWEEP_D_MODEL in SWEEP_D_MODEL // d_head heads."""
    if d_head not in SWEEP_D_HEADS:
        raise ValueError(f"d_head must be one of {SWEEP_D_HEADS}, got {d_head!r}")
    return TrainConfig(d_model=SWEEP_D_MODEL, heads=SWEEP_D_MODEL // d_head, steps=SWEEP_STEPS,
                       scaled=scaled, seed=seed)


def run_sweep(seed: int = 0, log_points: int = SWEEP_LOG_POINTS) -> list[SweepPoint]:
    """Train every (d_head, scaled) pair of the sweep and keep its curve."""
    points = []
    for d_head in SWEEP_D_HEADS:
        for scaled in (True, False):
            run = run_training(sweep_config(d_head, scaled, seed), log_points=log_points)
            h = run.history
            points.append(SweepPoint(
                d_head=d_head, scaled=scaled, steps=tuple(r.step for r in h),
                accuracy=tuple(r.accuracy for r in h), loss=tuple(r.loss for r in h),
                logit_std=h[0].logit_std, max_weight=h[0].max_weight))
    return points


def save_sweep(points: list[SweepPoint], path: str | Path) -> Path:
    path = Path(path)
    doc = {"format": FORMAT, "points": [asdict(p) for p in points]}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


def load_sweep(path: str | Path) -> list[SweepPoint]:
    """The sweep written by save_sweep, checked (numbers finite, one point per pair).

    Raises:
        ValueError: a missing or malformed file.
    """
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("format") != FORMAT:
            raise ValueError("not a d_head sweep")
        points = [SweepPoint(d_head=int(p["d_head"]), scaled=bool(p["scaled"]),
                             steps=tuple(int(s) for s in p["steps"]),
                             accuracy=tuple(float(a) for a in p["accuracy"]),
                             loss=tuple(float(v) for v in p["loss"]),
                             logit_std=float(p["logit_std"]), max_weight=float(p["max_weight"]))
                  for p in doc["points"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"cannot read the d_head sweep {path}: {e}") from None
    pairs = sorted((p.d_head, p.scaled) for p in points)
    if pairs != sorted((d, s) for d in SWEEP_D_HEADS for s in (True, False)):
        raise ValueError(f"{path} does not hold one run per (d_head, scaled) pair")
    for p in points:
        numbers = (*p.accuracy, *p.loss, p.logit_std, p.max_weight)
        if not p.steps or len({len(p.steps), len(p.accuracy), len(p.loss)}) != 1 \
                or not all(math.isfinite(x) for x in numbers):
            raise ValueError(f"{path}: the d_head {p.d_head} run is malformed")
    return points
