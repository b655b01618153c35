"""Training speed of the lab's vision transformer against the same model on torch's own
attention, and the time its default run takes to reach 95 % test accuracy on the digits.

Two copies of the default vision model (2 layers, pre-norm, MLP 2x, d_model 64, 4 heads,
2x2 patches + a class token, batch 64, AdamW 3e-3) start from the same weights:
  ours   attention.MultiHeadAttention, need_weights=False (torch's fused SDPA kernel);
  mha    torch.nn.MultiheadAttention(need_weights=False).
One training step (batch, forward, backward, AdamW) of each runs in turn, in one process,
on the same batches, alternating which goes first; the ratio is taken per round, then the
median (steps/s of ours / steps/s of torch's: >= 1 means ours is as fast or faster).
Then `train(task="digits", ...)` with its logging, 1 thread, is timed to 95 % test accuracy.

Usage: python bench/vision.py [--seconds S] [--threads 1,2] [--patch 2] [--no-run]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention.lab import TrainConfig, VisionTransformer, train  # noqa: E402
from attention.lab.digits import load_split  # noqa: E402
from bench.train import _Out, sync  # noqa: E402

TARGET = 0.95


class TorchMHA(nn.MultiheadAttention):
    """torch's layer behind the lab's call signature (same parameter names as ours)."""

    def forward(self, x, need_weights=False):
        out, _ = super().forward(x, x, x, need_weights=False)
        return _Out(out)


def contenders(config: TrainConfig) -> dict:
    ours = VisionTransformer.from_config(config)
    theirs = VisionTransformer.from_config(config)
    for block in theirs.blocks:
        block.attn = TorchMHA(config.d_model, config.heads, batch_first=True)
    theirs.load_state_dict(ours.state_dict())
    return {name: (m.train(), torch.optim.AdamW(m.parameters(), lr=config.lr))
            for name, m in (("ours", ours), ("mha", theirs))}


def step(model, opt, images, labels) -> torch.Tensor:
    logits, _ = model(images)  # (B, 10)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def speed(config: TrainConfig, seconds: float) -> dict:
    data, g = load_split(), torch.Generator().manual_seed(0)
    batches = []
    for _ in range(64):
        idx = torch.randint(len(data.train_labels), (config.batch_size,), generator=g)
        batches.append((data.train_images[idx], data.train_labels[idx]))
    models = contenders(config)
    first = {n: step(m, o, *batches[0]).item() for n, (m, o) in models.items()}
    for i in range(1, 6):  # warm-up
        for m, o in models.values():
            step(m, o, *batches[i])
    names, times = list(models), {n: [] for n in models}
    start, r = time.perf_counter(), 0
    while r < 20 or (time.perf_counter() - start < seconds and r < 5000):
        for n in names[r % 2:] + names[:r % 2]:
            m, o = models[n]
            sync(torch.device("cpu"))
            t0 = time.perf_counter()
            step(m, o, *batches[r % len(batches)])
            times[n].append(time.perf_counter() - t0)
        r += 1
    return {"rounds": r, "loss_diff": abs(first["ours"] - first["mha"]),
            "ours": 1.0 / statistics.median(times["ours"]),
            "mha": 1.0 / statistics.median(times["mha"]),
            "vs_mha": statistics.median(a / b for a, b in zip(times["mha"], times["ours"],
                                                              strict=True))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="timing budget per thread count")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--patch", type=int, default=2, choices=(1, 2, 4))
    ap.add_argument("--steps", type=int, default=1500, help="most steps of the timed run")
    ap.add_argument("--no-run", action="store_true", help="skip the time-to-95%% run")
    args = ap.parse_args()
    if not (0 < args.seconds <= 120 and 1 <= args.steps <= 20000):
        ap.error("--seconds in (0, 120], --steps in [1, 20000]")
    config = TrainConfig(task="digits", patch=args.patch)
    print(f"torch {torch.__version__}, load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs; vision model, {config.max_len} tokens, batch "
          f"{config.batch_size}")
    print(f"{'threads':>7} | {'ours/s':>7} {'mha/s':>7} | {'vs mha':>6} | {'rounds':>6} "
          f"{'|dloss| step 1':>14}")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(max(1, min(threads, 64)))
        r = speed(config, args.seconds)
        print(f"{threads:>7} | {r['ours']:>7.1f} {r['mha']:>7.1f} | {r['vs_mha']:>6.2f} | "
              f"{r['rounds']:>6} {r['loss_diff']:>14.2e}")
    if args.no_run:
        return
    torch.set_num_threads(1)
    hits = []  # the first record at the target ends the run

    def on_log(run) -> None:
        if not hits and run.history[-1].accuracy >= TARGET:
            hits.append(run.history[-1])

    t0 = time.perf_counter()
    run = train(task="digits", patch=args.patch, steps=args.steps, on_log=on_log,
                should_stop=lambda: bool(hits))
    wall = time.perf_counter() - t0
    last = run.history[-1]
    print(f"default vision run, patch {args.patch}, 1 thread: "
          + (f"{TARGET:.0%} test accuracy first logged at step {hits[0].step}, "
             f"{hits[0].seconds:.1f} s after the start ({wall:.1f} s with set-up); "
             if hits else f"never reached {TARGET:.0%} in {last.step} steps ({wall:.1f} s); ")
          + f"{last.step / max(last.seconds, 1e-9):.1f} steps/s including the logging")


if __name__ == "__main__":
    main()
