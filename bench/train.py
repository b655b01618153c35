"""Training speed of the lab's model against the same model on torch's own attention.

Three copies of the default lab model (2 layers, attention only, d_model 64, 4 heads,
vocab 64, context 32, batch 64, AdamW 1e-3) start from the same weights:
  ours   attention.MultiHeadAttention, need_weights=False (torch's fused SDPA kernel);
  mha    torch.nn.MultiheadAttention(need_weights=False, is_causal=True);
  sdpa   a hand-written packed projection + F.scaled_dot_product_attention(is_causal=True).
One training step (batch, forward, backward, AdamW) of each runs in turn, in one process,
on the same batches, rotating which goes first; the ratio is taken per round, then the
median (steps/s of ours / steps/s of the other: >= 1 means ours is as fast or faster).
Then the default run (`train()` with its logging, 1 thread) is timed to 90 % held-out accuracy.

Usage: python bench/train.py [--seconds S] [--threads 1,2] [--device cpu] [--no-run]
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
from attention.lab import LabTransformer, TrainConfig, train  # noqa: E402
from attention.lab.tasks import make_batch  # noqa: E402
from attention.lab.training import task_loss  # noqa: E402


class _Out:
    def __init__(self, output):
        self.output = output


class TorchMHA(nn.MultiheadAttention):
    """torch's layer behind the lab's call signature (same parameter names as ours)."""

    def forward(self, x, need_weights=False, is_causal=True):
        L = x.shape[-2]
        mask = torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1)  # True = blocked
        out, _ = super().forward(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
        return _Out(out)


class HandSDPA(nn.Module):
    """Packed projection, F.scaled_dot_product_attention, W_O: the minimal layer."""

    def __init__(self, d_model: int, heads: int):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, need_weights=False, is_causal=True):
        B, L, C = x.shape
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)  # (B, L, 3C)
        qkv = qkv.view(B, L, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B, H, L, d_head) each, strided views
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, L, d_head)
        return _Out(self.out_proj(heads.transpose(1, 2).reshape(B, L, C)))


def twin(model: nn.Module, layer, config: TrainConfig) -> nn.Module:
    """A copy of `model` whose attention layers are `layer(d_model, heads)`, same weights."""
    other = LabTransformer.from_config(config)
    for block in other.blocks:
        block.attn = layer(config.d_model, config.heads)
    other.load_state_dict(model.state_dict())
    return other


def contenders(config: TrainConfig, device: torch.device) -> dict:
    ours = LabTransformer.from_config(config)
    models = {"ours": ours,
              "mha": twin(ours, lambda d, h: TorchMHA(d, h, batch_first=True), config),
              "sdpa": twin(ours, HandSDPA, config)}
    out = {}
    for name, m in models.items():
        m = m.to(device).train()
        out[name] = (m, torch.optim.AdamW(m.parameters(), lr=config.lr))
    return out


def step(model, opt, tokens, predictable) -> float:
    loss, _, _ = task_loss(model, tokens, predictable)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def speed(config: TrainConfig, device: torch.device, seconds: float) -> dict:
    models = contenders(config, device)
    g = torch.Generator().manual_seed(0)
    batches = [[t.to(device) for t in make_batch(config.task, config.batch_size,
                                                 config.max_len, config.vocab_size, g)]
               for _ in range(64)]
    first = {n: step(m, o, *batches[0]).item() for n, (m, o) in models.items()}
    for i in range(1, 6):  # warm-up
        for m, o in models.values():
            step(m, o, *batches[i])
    names = list(models)
    times = {n: [] for n in names}
    start, r = time.perf_counter(), 0
    while r < 20 or (time.perf_counter() - start < seconds and r < 5000):
        order = names[r % 3:] + names[:r % 3]
        for n in order:
            m, o = models[n]
            sync(device)
            t0 = time.perf_counter()
            step(m, o, *batches[r % len(batches)])
            sync(device)
            times[n].append(time.perf_counter() - t0)
        r += 1
    res = {"rounds": r, "loss_diff": max(abs(first[n] - first["ours"]) for n in names)}
    for n in names:
        res[n] = 1.0 / statistics.median(times[n])  # steps/s
    for n in ("mha", "sdpa"):
        res[f"vs_{n}"] = statistics.median(a / b for a, b in zip(times[n], times["ours"], strict=True))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="timing budget per thread count")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-run", action="store_true", help="skip the time-to-90%% run")
    args = ap.parse_args()
    device = torch.device(args.device)
    config = TrainConfig(device=args.device)
    print(f"torch {torch.__version__}, device {device}, load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs; default lab model, batch {config.batch_size}")
    print(f"{'threads':>7} | {'ours/s':>7} {'mha/s':>7} {'sdpa/s':>7} | {'vs mha':>6} "
          f"{'vs sdpa':>7} | {'rounds':>6} {'|dloss| step 1':>14}")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        r = speed(config, device, args.seconds)
        print(f"{threads:>7} | {r['ours']:>7.1f} {r['mha']:>7.1f} {r['sdpa']:>7.1f} | "
              f"{r['vs_mha']:>6.2f} {r['vs_sdpa']:>7.2f} | {r['rounds']:>6} "
              f"{r['loss_diff']:>14.2e}")
    if args.no_run:
        return
    torch.set_num_threads(1)
    hits = []  # the first record at 90 % ends the run (should_stop is polled every step)

    def on_log(run) -> None:
        if not hits and run.history[-1].accuracy >= 0.9:
            hits.append(run.history[-1])

    t0 = time.perf_counter()
    run = train(device=args.device, on_log=on_log, should_stop=lambda: bool(hits))
    wall = time.perf_counter() - t0
    last = run.history[-1]
    print(f"default run, 1 thread, {args.device}: "
          + (f"90 % held-out accuracy first logged at step {hits[0].step}, {hits[0].seconds:.1f} s "
             f"after the start ({wall:.1f} s with model set-up); "
             if hits else f"never reached 90 % in {last.step} steps ({wall:.1f} s); ")
          + f"{last.step / max(last.seconds, 1e-9):.1f} steps/s including the logging")


if __name__ == "__main__":
    main()
