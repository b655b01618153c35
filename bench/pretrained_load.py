"""Time loading the packaged model and attend() at a few lengths; prints figures.

    .venv/bin/python bench/pretrained_load.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best_and_median_ms(fn, repeats: int) -> str:
    """"best/median" wall time of fn() in milliseconds, after one warm-up call.

    The best run is the figure to compare on a shared machine; the median shows the noise.
    """
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return f"{min(times):.1f}/{statistics.median(times):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    import torch

    t0 = time.perf_counter()
    import transformers  # noqa: F401  (import cost, separate from the load)

    from attention.pretrained.analysis import attention_rollout
    from attention.pretrained.encoder import load_model
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = load_model()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_model()
    t_reload = time.perf_counter() - t0

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {m.name}")
    print(f"import transformers + attention.pretrained: {t_import:6.2f} s")
    print(f"load_model() first:                         {t_load:6.2f} s")
    print(f"load_model() again (files in page cache):   {t_reload:6.2f} s")
    print("ms, best/median of", args.repeats)
    print(f"{'tokens':>6} {'attend':>14} {'head_qkv':>12} {'rollout':>12} {'head_stats':>12}")
    for n in (16, 64, 128, 512):
        run = m.attend("the " * (n - 2))  # "the" is one token: n positions with [CLS], [SEP]
        assert len(run.tokens) == n, len(run.tokens)
        text = run.text
        print(f"{n:>6} {best_and_median_ms(lambda t=text: m.attend(t), args.repeats):>14} "
              f"{best_and_median_ms(lambda r=run: m.head_qkv(r, 3, 5), args.repeats):>12} "
              f"{best_and_median_ms(lambda r=run: attention_rollout(r.weights), args.repeats):>12} "
              f"{best_and_median_ms(run.head_stats, args.repeats):>12}")


if __name__ == "__main__":
    main()
