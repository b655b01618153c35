"""Core speed: our MultiHeadAttention against torch's nn.MultiheadAttention.

Both return per-head weights: ours always; torch's with need_weights=True and
average_attn_weights=False. In eval mode under inference_mode, with self-attention,
batch_first and an even number of heads, torch runs this in one C++ call
(torch._native_multi_head_attention); that is the reference here. Same weights (copied
with from_torch, biases non-zero), same input, batch 1, float32,
torch.set_num_threads(2). Calls are interleaved in one process, alternating which goes
first; the ratio is taken per pair, then the median.

Peak memory: each implementation runs once in a fresh subprocess (after a tiny
warm-up call that loads the kernels); the figure is the growth of the process's peak
resident set size over that one call (Linux /proc/self/status VmHWM, reset through
/proc/self/clear_refs just before the call). It counts every page torch touches,
including the returned tensors; ru_maxrss is no use here, as it keeps the parent's
peak across fork and exec.

Usage: python bench/core.py [--seconds S]   (S: time budget per size, default 3)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention import MultiHeadAttention  # noqa: E402

SIZES = [(8, 64, 4), (128, 768, 12), (512, 768, 12), (1024, 768, 12)]  # (tokens, d_model, heads)
THREADS = 2


def build(L: int, d_model: int, H: int, seed: int = 0):
    """torch's layer, ours with the same weights, and a (1, L, d_model) input."""
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, H, batch_first=True).eval()
    with torch.no_grad():  # non-zero biases, so they take part in the comparison
        ref.in_proj_bias.normal_(0, 0.1)
        ref.out_proj.bias.normal_(0, 0.1)
    ours = MultiHeadAttention.from_torch(ref).eval()
    x = torch.randn(1, L, d_model)
    return ours, ref, x


def call_ours(ours: MultiHeadAttention, x: torch.Tensor):
    res = ours(x)
    return res.output, res.weights  # (1, L, d_model), (1, H, L, L)


def call_torch(ref: nn.MultiheadAttention, x: torch.Tensor):
    return ref(x, x, x, need_weights=True, average_attn_weights=False)


def time_pairs(ours, ref, x, seconds: float, min_pairs: int = 20, max_pairs: int = 5000):
    """Interleaved timings (s) of ours and torch's, alternating which runs first."""
    t_ours, t_torch = [], []
    runs = [("ours", lambda: call_ours(ours, x)), ("torch", lambda: call_torch(ref, x))]
    for _ in range(5):  # warm-up
        for _, f in runs:
            f()
    start = time.perf_counter()
    i = 0
    while i < max_pairs and (i < min_pairs or time.perf_counter() - start < seconds):
        for name, f in (runs if i % 2 == 0 else runs[::-1]):
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0
            (t_ours if name == "ours" else t_torch).append(dt)
        i += 1
    return t_ours, t_torch


def peak_rss_mib(impl: str, L: int, d_model: int, H: int) -> float:
    """Growth of peak RSS (MiB) over one forward call, measured in a fresh subprocess."""
    out = subprocess.run([sys.executable, __file__, "--memory", impl, str(L), str(d_model), str(H)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def _status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS: resident now; VmHWM: its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_child(impl: str, L: int, d_model: int, H: int) -> None:
    ours, ref, x = build(L, d_model, H)
    f = (lambda t: call_ours(ours, t)) if impl == "ours" else (lambda t: call_torch(ref, t))
    with torch.inference_mode():
        f(torch.randn(1, 8, d_model))  # load the kernels, touch the weights
        try:  # reset the peak to the current RSS (Linux >= 4.0)
            Path("/proc/self/clear_refs").write_text("5")
            before = _status_kib("VmRSS")
        except OSError:
            before = _status_kib("VmHWM")
        result = f(x)
        after = _status_kib("VmHWM")
    del result
    print((after - before) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per size")
    parser.add_argument("--memory", nargs=4, metavar=("IMPL", "L", "D", "H"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    if args.memory:
        impl, *dims = args.memory
        memory_child(impl, *map(int, dims))
        return

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 1, float32, "
          f"inference_mode, per-head weights from both; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    header = (f"{'tokens':>6} {'d_model':>7} {'heads':>5} | {'ours ms':>8} {'torch ms':>8} "
              f"{'ratio':>6} | {'ours MiB':>8} {'torch MiB':>9} | {'pairs':>5} {'max |diff|':>10}")
    print(header)
    print("-" * len(header))
    for L, d_model, H in SIZES:
        ours, ref, x = build(L, d_model, H)
        with torch.inference_mode():
            (o1, w1), (o2, w2) = call_ours(ours, x), call_torch(ref, x)
            diff = max((o1 - o2).abs().max().item(), (w1 - w2).abs().max().item())
            t_ours, t_torch = time_pairs(ours, ref, x, args.seconds)
        ratio = statistics.median(a / b for a, b in zip(t_ours, t_torch, strict=True))
        m_ours, m_torch = peak_rss_mib("ours", L, d_model, H), peak_rss_mib("torch", L, d_model, H)
        print(f"{L:>6} {d_model:>7} {H:>5} | {statistics.median(t_ours) * 1e3:>8.3f} "
              f"{statistics.median(t_torch) * 1e3:>8.3f} {ratio:>6.2f} | {m_ours:>8.1f} "
              f"{m_torch:>9.1f} | {len(t_ours):>5} {diff:>10.1e}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print("ms: median wall time of one forward; ratio: median of ours/torch over interleaved "
          "pairs; MiB: growth of peak RSS over one call in a fresh process (output included); "
          "max |diff|: largest difference of output and weights between the two.")


if __name__ == "__main__":
    main()
