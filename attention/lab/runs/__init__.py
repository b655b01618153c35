"""The lab's shipped runs: finished trainings the page opens instantly, offline.

`python -m attention.lab.runs` (or `make lab-runs`) trains them again, deterministically
on the CPU with one thread, and rewrites the files next to this module.
"""

from __future__ import annotations

from pathlib import Path

from attention.lab.config import TrainConfig
from attention.lab.store import load_run
from attention.lab.training import TrainingRun
from attention.lab.vision_training import VisionRun

DIRECTORY = Path(__file__).resolve().parent
SWEEP_FILE = DIRECTORY / "dhead_sweep.json"  # the √d_k sweep (attention.lab.sweep)

# name -> (config, one line saying what it shows)
SHIPPED: dict[str, tuple[TrainConfig, str]] = {
    "induction_2l": (TrainConfig(), "the default: two layers form a previous-token head "
                                    "and an induction head"),
    "induction_1l": (TrainConfig(layers=1), "the control: one layer cannot form an "
                                            "induction head"),
    "scaling_scaled": (TrainConfig(d_model=256, heads=1, steps=600),
                       "d_head 256 with the 1/sqrt(d_head) scale: learns"),
    "scaling_unscaled": (TrainConfig(d_model=256, heads=1, steps=600, scaled=False),
                         "d_head 256 without the scale: the softmax saturates, it stays "
                         "far behind"),
    "digits_vit": (TrainConfig(task="digits"),
                   "a vision transformer on the 8x8 digits: 2x2 patches and a class token, "
                   "two layers of four heads"),
}


def load_shipped(name: str, device: str = "cpu") -> TrainingRun | VisionRun:
    """The shipped run `name` (a key of SHIPPED): a TrainingRun, or a VisionRun for an
    image task.

    Raises:
        ValueError: `name` is not a shipped run.
    """
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped run {name!r}; choose from {sorted(SHIPPED)}")
    return load_run(DIRECTORY, name, device=device)
