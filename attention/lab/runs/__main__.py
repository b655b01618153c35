"""Train and write the shipped runs: python -m attention.lab.runs [NAME ...] (a NAME of
SHIPPED, or "dhead_sweep" for the √d_k sweep's six short trainings)."""

from __future__ import annotations

import sys
import time

import torch

from attention.lab.runs import DIRECTORY, SHIPPED, SWEEP_FILE
from attention.lab.store import save_run
from attention.lab.sweep import run_sweep, save_sweep
from attention.lab.training import run_training

SWEEP = "dhead_sweep"


def main(names: list[str]) -> None:
    torch.set_num_threads(1)  # the same numbers on every machine's CPU
    for name in names or [*SHIPPED, SWEEP]:
        if name == SWEEP:
            start = time.perf_counter()
            points = run_sweep()
            save_sweep(points, SWEEP_FILE)
            print(f"{SWEEP}: " + ", ".join(f"d_head {p.d_head} {'scaled' if p.scaled else 'unscaled'} "
                                           f"{p.final_accuracy:.2f}" for p in points)
                  + f"; {time.perf_counter() - start:.0f} s ({SWEEP_FILE.name})")
            continue
        if name not in SHIPPED:
            raise SystemExit(f"unknown run {name!r}; choose from {sorted(SHIPPED)} or {SWEEP}")
        config, _ = SHIPPED[name]
        start = time.perf_counter()
        run = run_training(config)
        paths = save_run(run, DIRECTORY, name)
        size = sum(p.stat().st_size for p in paths) / 1024
        print(f"{name}: accuracy {run.accuracy:.3f} after {run.steps_done} steps, "
              f"{time.perf_counter() - start:.0f} s, {size:.0f} KiB "
              f"({', '.join(p.name for p in paths)})")


if __name__ == "__main__":
    main(sys.argv[1:])
