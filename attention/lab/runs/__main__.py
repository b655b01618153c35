"""Train and write the shipped runs: python -m attention.lab.runs [NAME ...]"""

from __future__ import annotations

import sys
import time

import torch

from attention.lab.runs import DIRECTORY, SHIPPED
from attention.lab.store import save_run
from attention.lab.training import run_training


def main(names: list[str]) -> None:
    torch.set_num_threads(1)  # the same numbers on every machine's CPU
    for name in names or list(SHIPPED):
        if name not in SHIPPED:
            raise SystemExit(f"unknown run {name!r}; choose from {sorted(SHIPPED)}")
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
